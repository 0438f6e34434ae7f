// Random shapes (fast-check) and seeded random values (the engine's own Generator) for property tests.
import fc from 'fast-check';
import { Generator, tensor, type Tensor } from '../../engine/index.js';

export const seedArb = fc.integer({ min: 0, max: 0x7fffffff });

/** Small dims with size-1 and odd sizes; rank 0 included when minRank is 0. */
export function shapeArb(minRank = 0, maxRank = 3, dims: number[] = [1, 2, 3, 5]): fc.Arbitrary<number[]> {
  return fc.array(fc.constantFrom(...dims), { minLength: minRank, maxLength: maxRank });
}

export interface ValueOptions {
  /** Uniform in [low, high) instead of standard normal. */
  low?: number;
  high?: number;
  /** Keep |x| ≥ this (for ops with a kink or pole at 0: abs, relu, div). */
  awayFromZero?: number;
  /** All values distinct and at least `distinct` apart (for max/min, where ties break central differences). */
  distinct?: number;
  /** Values k·step + offset + jitter (|jitter| ≤ jitter), k a small integer: keeps clear of kinks at multiples of step. */
  lattice?: { step: number; offset: number; jitter: number };
  requiresGrad?: boolean;
}

export function randomValues(n: number, seed: number, options: ValueOptions = {}): Float64Array {
  const g = new Generator(seed);
  const out = new Float64Array(n);
  if (options.distinct !== undefined) {
    // a shuffled ladder: values k·step + small jitter, centred on 0
    const order = [...Array(n).keys()];
    for (let i = n - 1; i > 0; i--) { const j = g.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
    const step = Math.max(options.distinct * 2, 4 / Math.max(n, 1));
    for (let i = 0; i < n; i++) out[i] = (order[i] - (n - 1) / 2) * step + (g.uniform() - 0.5) * (step - options.distinct);
    return out;
  }
  if (options.lattice) {
    const { step, offset, jitter } = options.lattice;
    for (let i = 0; i < n; i++) out[i] = Math.round(2 * g.normal()) * step + offset + (2 * g.uniform() - 1) * jitter;
    return out;
  }
  for (let i = 0; i < n; i++) {
    let v = options.low !== undefined ? options.low + ((options.high ?? options.low + 1) - options.low) * g.uniform() : g.normal();
    const away = options.awayFromZero;
    if (away !== undefined && Math.abs(v) < away) v = v < 0 ? v - away : v + away;
    out[i] = v;
  }
  return out;
}

/** A float64 cpu tensor of seeded random values. */
export function randomTensor(shape: readonly number[], seed: number, options: ValueOptions = {}): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(randomValues(n, seed, options), { shape, dtype: 'float64', requiresGrad: options.requiresGrad ?? true });
}

/** A random subset of axes of a rank-`rank` tensor, some written negative. */
export function axesArb(rank: number): fc.Arbitrary<number[]> {
  if (rank === 0) return fc.constant([]);
  return fc.subarray([...Array(rank).keys()], { minLength: 1 }).chain((axes) =>
    fc.tuple(...axes.map((a) => fc.constantFrom(a, a - rank))));
}

/** n float32 values uniform in [−scale, scale) from a xorshift32 stream (for raw kernel tests). */
export function uniformF32(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    out[i] = (((s >>> 0) / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

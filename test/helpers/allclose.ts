// Comparing numbers: |a − b| ≤ rtol · max(|b|, floor), naming the first element that is not.
import assert from 'node:assert/strict';
import type { Tensor } from '../../engine/index.js';

/** The values of a tensor as float64, after any asynchronous work on its device. */
export async function valuesOf(t: Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data());
}

/** The same, synchronously (cpu tensors, or after `await sync()`). */
export function valuesNow(t: Tensor): Float64Array {
  return Float64Array.from(t.toTypedArray());
}

export interface CloseOptions {
  /** Relative tolerance. */
  rtol: number;
  /** The denominator never drops below this (absolute floor for elements near 0). */
  floor?: number;
  /** Floor as a fraction of max|expected| (added to `floor`). */
  floorRel?: number;
  what?: string;
}

export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, options: CloseOptions): void {
  const what = options.what ?? 'values';
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
  const floor = (options.floor ?? 0) + (options.floorRel ?? 0) * maxAbs;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], b = expected[i];
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    if (a === b) continue; // equal infinities included
    const tol = options.rtol * Math.max(Math.abs(b), floor);
    if (!(Math.abs(a - b) <= tol)) {
      assert.fail(`${what}: element ${i} is ${a}, expected ${b} (|diff| ${Math.abs(a - b).toExponential(3)} > ${tol.toExponential(3)} = rtol ${options.rtol} · max(|expected|, floor ${floor.toExponential(2)}))`);
    }
  }
}

/** Tensor against tensor, shape first. */
export async function assertTensorClose(actual: Tensor, expected: Tensor, options: CloseOptions): Promise<void> {
  assert.deepEqual(actual.shape, expected.shape, `${options.what ?? 'tensor'}: shape`);
  assertAllClose(await valuesOf(actual), await valuesOf(expected), options);
}

/**
 * Tolerances for one O(1)-scaled computation done two ways (fused vs composed, broadcast vs expanded).
 * Results that cancel to near 0 carry the rounding of their O(1) terms, so below |x| = 1e-4 (float64)
 * or 1e-2 (float32) the comparison is absolute: 1e-14 and 2e-6 (float32: ~16 roundings of an O(1) term).
 */
export function tolFor(dtype: 'float32' | 'float64'): CloseOptions {
  return dtype === 'float64' ? { rtol: 1e-10, floor: 1e-4 } : { rtol: 2e-4, floor: 1e-2 };
}

/** max |a − b| over a tensor, relative to max |expected|: strict on the whole, tolerant of entries near 0. */
export function assertMaxRelClose(actual: Tensor | null | undefined, expected: { shape: number[]; data: number[] }, rtol: number, what: string): void {
  assert.ok(actual, `${what}: missing`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.toTypedArray();
  let maxErr = 0, scale = 0;
  expected.data.forEach((b, i) => {
    maxErr = Math.max(maxErr, Math.abs(a[i] - b));
    scale = Math.max(scale, Math.abs(b));
  });
  assert.ok(maxErr <= rtol * Math.max(scale, Number.MIN_VALUE), `${what}: max error ${maxErr.toExponential(3)} exceeds ${rtol} × max |expected| ${scale.toExponential(3)}`);
}

// The f32x4 GELU kernels (gelu32-kernel.ts), which the cpu backend runs for x.gelu() on large float32 tensors:
// forward and fused backward equal float64 references to 1e-6 relative at every size (odd tails, one and two
// threads); and, as tensor ops on random shapes, the fused gelu equals its composition from primitives
// ½x(1 + erf(x/√2)) forward and backward, with the float32 tolerances of the other fused ops.
//
// Tolerance for the raw kernels, stated once: |got − truth| ≤ 1e-6 · scale + 2^-126, scale = |truth| (forward)
// or |g|(Φ(x) + |x φ(x)|) (backward, which cancels at its root); 2^-126 is float32's smallest normal: below
// it the kernels keep no relative precision (the f64x2 kernels, tested in wasm-elementwise.test.ts, do).
// ±∞ give the limits (gelu(∞) = ∞, gelu'(±∞) = 1 and 0), gelu(−∞) = −∞·0 = NaN as x·Φ(x), NaN gives NaN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gelu32BackwardF32, gelu32F32, gelu32WithGradF32, setWasmThreads, wasmAvailable } from '../../engine/backend/cpu/wasm/index.js';
import { normalCdf64 } from '../../engine/backend/cpu/special.js';
import { getNumThreads, noGrad, tensor, type Tensor } from '../../engine/index.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { binaryForward } from '../../engine/ops/elementwise.js';
import { seedArb, uniformF32 } from '../helpers/random.js';

const skip = !wasmAvailable() && 'WebAssembly SIMD is not available';
const TOL = 1e-6;
const NORMAL_MIN = 2 ** -126;

const cdf = (x: number): number => (x === Infinity ? 1 : x === -Infinity ? 0 : normalCdf64(x));
const pdfTimesX = (x: number): number => (Number.isFinite(x) ? (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI) : Number.isNaN(x) ? NaN : 0);

const SPECIAL = [0, -0, 1, -1, 0.5, -0.5, 1e-30, -1e-30, 1e-45, -0.7517915, 3, -3, 5, -5, 10, -10, -12.9, -13.2, 14.4, -14.4,
  14.6, -14.6, 30, -30, 3e38, -3e38, Infinity, -Infinity, NaN];

/** Values for the kernels' short path (groups of four all within |x| ≤ 2.5), its edges, and some groups sent to the general path. */
const SHORT_SPECIAL = [0, -0, 2.5, -2.5, 2.4999998, -2.4999998, 1e-30, -1e-30, 1e-45, -1e-45, 1, -1, 0.5, -0.7517915];

/** mostly within [−2.5, 2.5] (the short path), its specials, and one lane in 37 pushed up to 3.75 */
function shortInputs(n: number, seed: number): Float32Array {
  const x = uniformF32(n, seed, 2.5);
  for (let i = 0; i < n; i++) {
    if (i % 37 === 7) x[i] *= 1.5;
    if (i % 13 === 0) x[i] = SHORT_SPECIAL[(i / 13) % SHORT_SPECIAL.length];
  }
  return x;
}

/** special values, [−8, 8], [−16, 16] and [−200, 200] */
function inputs(n: number, seed: number): Float32Array {
  const x = uniformF32(n, seed, 8);
  for (let i = 0; i < n; i++) {
    if (i % 7 === 3) x[i] *= 2;
    if (i % 11 === 5) x[i] *= 25;
    if (i % 13 === 0) x[i] = SPECIAL[(i / 13) % SPECIAL.length];
  }
  return x;
}

function checkForward(x: number, got: number): void {
  const truth = x * cdf(x);
  if (Number.isNaN(truth)) { assert.ok(Number.isNaN(got), `gelu32(${x}) = ${got}, expected NaN`); return; }
  if (x === 0) { assert.ok(Object.is(got, x), `gelu32(${Object.is(x, -0) ? '-0' : '0'}) = ${got}, expected the same zero`); return; }
  if (got === truth) return;
  const err = Math.abs(got - truth), bound = TOL * Math.abs(truth) + NORMAL_MIN;
  assert.ok(err <= bound, `gelu32(${x}) = ${got}, expected ${truth} (error ${err.toExponential(2)} > ${bound.toExponential(2)})`);
}

function checkBackward(g: number, x: number, got: number): void {
  const phi = cdf(x), xpdf = pdfTimesX(x), truth = g * (phi + xpdf);
  if (Number.isNaN(truth)) { assert.ok(Number.isNaN(got), `gelu32Backward(${g}, ${x}) = ${got}, expected NaN`); return; }
  const err = Math.abs(got - truth), bound = TOL * Math.abs(g) * (phi + Math.abs(xpdf)) + NORMAL_MIN;
  assert.ok(err <= bound || got === truth, `gelu32Backward(${g}, ${x}) = ${got}, expected ${truth} (error ${err.toExponential(2)} > ${bound.toExponential(2)})`);
}

const SIZES = [1, 3, 4, 7, 8, 17, 4095, 4097, 100003];

/** Runs body with the wasm pool at one thread, then two, and restores the count. */
function onOneAndTwoThreads(body: (threads: number) => void): void {
  const before = getNumThreads();
  try {
    for (const threads of [1, 2]) {
      setWasmThreads(threads);
      body(threads);
    }
  } finally {
    setWasmThreads(before);
  }
}

/** The input sets every kernel test runs on: wide (mostly the general path) and short (mostly the short one). */
const INPUT_SETS = [inputs, shortInputs];

test('wasm gelu32 equals x·Φ(x) in float64 to 1e-6 relative, at every size, on one and two threads, on both paths', { skip }, () => {
  onOneAndTwoThreads((threads) => INPUT_SETS.forEach((make) => {
    SIZES.forEach((n, i) => {
      const x = make(n, 31 * i + threads), y = new Float32Array(n + 1).fill(12345);
      gelu32F32(x.subarray(0, n), y.subarray(0, n));
      for (let j = 0; j < n; j++) checkForward(x[j], y[j]);
      assert.equal(y[n], 12345, 'gelu32 wrote past the end');
    });
  }));
  fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), seedArb, fc.constantFrom(...INPUT_SETS), (n, seed, make) => {
    const x = make(n, seed + 1), y = new Float32Array(n);
    gelu32F32(x, y);
    for (let j = 0; j < n; j++) checkForward(x[j], y[j]);
  }), { numRuns: 20 });
});

test("wasm gelu32 backward equals g·(Φ(x) + xφ(x)) in float64 to 1e-6 of its terms, at every size, on one and two threads, on both paths", { skip }, () => {
  onOneAndTwoThreads((threads) => INPUT_SETS.forEach((make) => {
    SIZES.forEach((n, i) => {
      const x = make(n, 7 * i + threads), g = uniformF32(n, 13 * i + 5, 3), y = new Float32Array(n + 1).fill(12345);
      gelu32BackwardF32(g, x.subarray(0, n), y.subarray(0, n));
      for (let j = 0; j < n; j++) checkBackward(g[j], x[j], y[j]);
      assert.equal(y[n], 12345, 'gelu32Backward wrote past the end');
    });
  }));
});

test("wasm gelu32WithGrad writes gelu32's y and gelu32Backward's gelu'(x) (grad 1) bit for bit, at every size, on one and two threads, on both paths", { skip }, () => {
  const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
  onOneAndTwoThreads((threads) => INPUT_SETS.forEach((make) => {
    SIZES.forEach((n, i) => {
      const x = make(n, 17 * i + threads), ones = new Float32Array(n).fill(1);
      const y = new Float32Array(n + 1).fill(12345), d = new Float32Array(n + 1).fill(12345);
      gelu32WithGradF32(x.subarray(0, n), y.subarray(0, n), d.subarray(0, n));
      const yRef = new Float32Array(n), dRef = new Float32Array(n);
      gelu32F32(x, yRef);
      gelu32BackwardF32(ones, x, dRef);
      assert.deepEqual(bits(y.subarray(0, n)), bits(yRef), `gelu32WithGrad y differs from gelu32 at n = ${n}`);
      assert.deepEqual(bits(d.subarray(0, n)), bits(dRef), `gelu32WithGrad d differs from gelu32Backward(1, x) at n = ${n}`);
      for (let j = 0; j < n; j++) checkBackward(1, x[j], d[j]);
      assert.equal(y[n], 12345, 'gelu32WithGrad wrote past the end of y');
      assert.equal(d[n], 12345, 'gelu32WithGrad wrote past the end of d');
    });
  }));
});

test("gelu's gradient from the saved gelu'(x) (recorded forward) equals the backward's recomputation: bit for bit on the f32x4 path, to float32 rounding on the TypeScript one", { skip }, async () => {
  const gradients = (x: Tensor, g: Tensor) => {
    const y = x.gelu();
    assert.ok(y.gradFn !== null, 'gelu of a tensor that requires grad is recorded');
    y.backward(g);
    // g · gelu'(x) from the fused backward kernel, nothing saved
    return { y, saved: x.grad!, recomputed: noGrad(() => binaryForward('geluBackward', g, x.detach())), unrecorded: noGrad(() => x.detach().gelu()) };
  };
  // sizes around the wasm threshold (4096 elements): the TypeScript path rounds gelu'(x) to float32 before the product
  const shapeArb = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom(1, 3, 64, 129, 257));
  await fc.assert(fc.asyncProperty(shapeArb, seedArb, async (shape, seed) => {
    const n = shape[0] * shape[1];
    const r = gradients(tensor(uniformF32(n, seed + 1, 6), { shape, requiresGrad: true }), tensor(uniformF32(n, seed + 2, 1), { shape }));
    assertAllClose(await valuesOf(r.saved), await valuesOf(r.recomputed), { ...tolFor('float32'), what: 'gelu gradient, saved vs recomputed' });
    assert.deepEqual(await valuesOf(r.y), await valuesOf(r.unrecorded), 'the recorded forward differs from the unrecorded one');
  }), { numRuns: 20 });
  // on the f32x4 path both are g · (the same float32 gelu'(x)), rounded once
  const n = 70001;
  const r = gradients(tensor(inputs(n, 5), { shape: [n], requiresGrad: true }), tensor(uniformF32(n, 6, 2), { shape: [n] }));
  assert.deepEqual(await valuesOf(r.saved), await valuesOf(r.recomputed), 'f32x4 path: the saved-derivative gradient differs from the recomputed one');
  assert.deepEqual(await valuesOf(r.y), await valuesOf(r.unrecorded), 'f32x4 path: the recorded forward differs from the unrecorded one');
});

// ½x(1 + erf(x/√2)): gelu from primitives, the composed reference of the fused op and its backward
const geluComposed = (x: Tensor): Tensor => x.mul(x.mul(Math.SQRT1_2).erf().add(1)).mul(0.5);

test('fused gelu equals its composition ½x(1 + erf(x/√2)) forward and backward on random float32 shapes (the wasm kernel path included)', { skip }, async () => {
  // sizes around the wasm threshold (4096 elements): both the TypeScript and the f32x4 paths are drawn
  const shapeArb = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom(1, 3, 64, 129, 257));
  await fc.assert(fc.asyncProperty(shapeArb, seedArb, async (shape, seed) => {
    const n = shape[0] * shape[1];
    const values = uniformF32(n, seed + 1, 6);
    const x1 = tensor(values, { shape, requiresGrad: true }), x2 = tensor(values, { shape, requiresGrad: true });
    const g = tensor(uniformF32(n, seed + 2, 1), { shape });
    const y1 = x1.gelu(), y2 = geluComposed(x2);
    assertAllClose(await valuesOf(y1), await valuesOf(y2), { ...tolFor('float32'), what: 'gelu forward' });
    y1.backward(g);
    y2.backward(g);
    assertAllClose(await valuesOf(x1.grad!), await valuesOf(x2.grad!), { ...tolFor('float32'), floorRel: 1e-6, what: 'gelu backward' });
  }), { numRuns: 25 });
  // and a large one, certainly on the wasm path, against the composition evaluated in float64
  const x = tensor(inputs(70001, 99).map((v) => (Number.isFinite(v) ? Math.max(-12, Math.min(12, v)) : 0.5)), { shape: [70001] });
  const fused = noGrad(() => x.gelu()), composed = noGrad(() => geluComposed(x.double()));
  assertAllClose(await valuesOf(fused), await valuesOf(composed), { ...tolFor('float32'), what: 'gelu forward, 70001 elements' });
});

// The wasm float32 elementwise kernels (exp, log, tanh, sigmoid, erf, erfGrad, gelu, geluGrad, geluTanh,
// geluTanhGrad, and the fused gelu backward) equal float64 references to 1e-6 relative, tails included,
// at every size (vector body and odd tails, one and two threads), and the cpu backend routes to them.
//
// Tolerance, stated once: |got − truth| ≤ 1e-6 · scale + 2^-149, where truth is the float64 reference at the
// same (float32) input, scale = |truth|, except for the two derivatives that cross zero (geluGrad,
// geluTanhGrad), where scale = the sum of the magnitudes of the terms they add, so that the cancellation at
// their root is not charged as relative error; 2^-149 is one float32 subnormal step (results below 2^-126
// cannot carry 24 bits); a truth beyond float32's range must give ±∞. NaN must give NaN, and a ±0 input must
// give the reference's sign of zero. Upstream gradients are finite or NaN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { geluBackwardF32, setWasmThreads, unaryF32, WASM_UNARY, wasmAvailable, type WasmUnaryOp } from '../../engine/backend/cpu/wasm/index.js';
import { erf64, normalCdf64 } from '../../engine/backend/cpu/special.js';
import { noGrad, tensor } from '../../engine/index.js';

const skip = !wasmAvailable() && 'WebAssembly SIMD is not available';
const TOL = 1e-6;
const SUBNORMAL_STEP = 2 ** -149;

const K = Math.sqrt(2 / Math.PI), C = 0.044715;
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
// special.ts's float64 erfc is NaN at ±∞ (its continued fraction divides ∞ by ∞): the limits are given here
const cdf = (x: number): number => (x === Infinity ? 1 : x === -Infinity ? 0 : normalCdf64(x));
const pdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const erf = (x: number): number => (Number.isNaN(x) || Number.isFinite(x) ? erf64(x) : Math.sign(x));

/** float64 truth and the scale its error is measured against */
const REFERENCE: Record<WasmUnaryOp, (x: number) => [number, number]> = {
  exp: (x) => [Math.exp(x), Math.exp(x)],
  log: (x) => [Math.log(x), Math.log(x)],
  tanh: (x) => [Math.tanh(x), Math.tanh(x)],
  sigmoid: (x) => [sigmoid(x), sigmoid(x)],
  erf: (x) => [erf(x), erf(x)],
  erfGrad: (x) => [(2 / Math.sqrt(Math.PI)) * Math.exp(-x * x), Math.exp(-x * x)],
  gelu: (x) => [x * cdf(x), x * cdf(x)],
  geluGrad: (x) => [cdf(x) + x * pdf(x), cdf(x) + Math.abs(x * pdf(x))],
  // ½(1 + tanh u) = σ(2u) and 1 − ½(1 + tanh u) = σ(−2u): no cancellation in either tail
  geluTanh: (x) => [x * sigmoid(2 * K * (x + C * x ** 3)), x * sigmoid(2 * K * (x + C * x ** 3))],
  geluTanhGrad: (x) => {
    const u = K * (x + C * x ** 3), s = sigmoid(2 * u), q = sigmoid(-2 * u);
    const second = 2 * x * s * q * K * (1 + 3 * C * x * x);
    return [s + second, s + Math.abs(second)];
  },
};

const SPECIAL = [0, -0, 1, -1, 0.5, -0.5, 1e-30, -1e-30, 1e-45, -0.7517915, 5, -5, 10, -10, 30, -30, 88, -88,
  88.7, 89, -87.4, -104, 100, -100, 3e38, -3e38, Infinity, -Infinity, NaN];

/** A mixture: special values, [−12, 12], [−120, 120], and float32s from random bits (every magnitude, NaNs). */
function inputs(n: number, seed: number): Float32Array {
  const x = new Float32Array(n), bits = new Uint32Array(1), f = new Float32Array(bits.buffer);
  let s = seed >>> 0 || 1;
  const next = (): number => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return s >>> 0; };
  for (let i = 0; i < n; i++) {
    const kind = next() % 4;
    if (kind === 0) x[i] = SPECIAL[next() % SPECIAL.length];
    else if (kind === 1) x[i] = (next() / 2 ** 32 - 0.5) * 24;
    else if (kind === 2) x[i] = (next() / 2 ** 32 - 0.5) * 240;
    else { bits[0] = next(); x[i] = f[0]; }
  }
  return x;
}

function check(name: string, x: number, got: number, [truth, scale]: [number, number]): void {
  if (Number.isNaN(truth)) { assert.ok(Number.isNaN(got), `${name}(${x}) = ${got}, expected NaN`); return; }
  if (x === 0 && truth === 0) { assert.ok(Object.is(got, truth), `${name}(${Object.is(x, -0) ? '-0' : '0'}) = ${got}, expected ${Object.is(truth, -0) ? '-0' : '0'}`); return; }
  if (got === truth) return;
  if (Number.isFinite(truth) && !Number.isFinite(Math.fround(truth))) { assert.equal(got, Math.fround(truth), `${name}(${x}) overflows float32`); return; }
  const err = Math.abs(got - truth), bound = TOL * Math.abs(scale) + SUBNORMAL_STEP;
  assert.ok(err <= bound, `${name}(${x}) = ${got}, expected ${truth} (error ${err.toExponential(2)} > ${bound.toExponential(2)})`);
}

const SIZES = [1, 3, 17, 4095, 4097, 100003];

for (const op of WASM_UNARY) {
  test(`wasm ${op} equals its float64 reference to 1e-6 relative, tails and special values included`, { skip }, () => {
    for (const threads of [1, 2]) {
      setWasmThreads(threads);
      SIZES.forEach((n, i) => {
        const x = inputs(n, 17 * i + op.length + threads);
        if (n > SPECIAL.length) x.set(SPECIAL);
        const y = new Float32Array(n + 1).fill(12345);
        unaryF32(op, x, y);
        for (let j = 0; j < n; j++) check(op, x[j], y[j], REFERENCE[op](x[j]));
        assert.equal(y[n], 12345, `${op}: wrote past the end`);
      });
    }
    fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer(), (n, seed) => {
      const x = inputs(n, seed), y = new Float32Array(n);
      unaryF32(op, x, y);
      for (let j = 0; j < n; j++) check(op, x[j], y[j], REFERENCE[op](x[j]));
    }), { numRuns: 20 });
  });
}

test('wasm gelu backward: grad · gelu\'(x) to 1e-6 of the terms, at every size', { skip }, () => {
  for (const threads of [1, 2]) {
    setWasmThreads(threads);
    SIZES.forEach((n, i) => {
      const x = inputs(n, 5 * i + threads), g = inputs(n, 11 * i + 3).map((v) => (Number.isFinite(v) ? v % 4 : v * 0)); // finite or NaN
      const y = new Float32Array(n);
      geluBackwardF32(g, x, y);
      for (let j = 0; j < n; j++) {
        const [d, scale] = REFERENCE.geluGrad(x[j]);
        const truth = g[j] * d;
        if (Number.isNaN(truth)) { assert.ok(Number.isNaN(y[j]), `geluBackward(${g[j]}, ${x[j]}) = ${y[j]}, expected NaN`); continue; }
        const err = Math.abs(y[j] - truth), bound = TOL * Math.abs(g[j] * scale) + SUBNORMAL_STEP;
        assert.ok(err <= bound || y[j] === truth, `geluBackward(${g[j]}, ${x[j]}) = ${y[j]}, expected ${truth}`);
      }
    });
  }
});

test('the cpu backend routes large contiguous float32 gelu (forward and backward) through the same accuracy', { skip }, () => {
  for (const n of [100, 4097]) { // below and above the wasm threshold
    const x0 = inputs(n, n).map((v) => (Number.isFinite(v) ? Math.max(-12, Math.min(12, v)) : 0.25));
    const x = tensor(x0, { shape: [n], requiresGrad: true });
    const g = tensor(x0.map((v) => 1 - v / 24), { shape: [n] });
    const y = x.gelu();
    y.backward(g);
    const yv = y.toTypedArray(), gx = x.grad!.toTypedArray(), gv = g.toTypedArray();
    for (let j = 0; j < n; j++) {
      check(`gelu [n=${n}]`, x0[j], yv[j], REFERENCE.gelu(x0[j]));
      const [d, scale] = REFERENCE.geluGrad(x0[j]);
      check(`gelu backward [n=${n}]`, x0[j], gx[j], [gv[j] * d, gv[j] * scale]);
    }
    // a strided view takes the TypeScript path and must agree too
    const t = noGrad(() => tensor(x0, { shape: [n] }).reshape([1, n]).expand([2, n]).mT.gelu().toTypedArray());
    for (let j = 0; j < n; j++) check(`gelu strided [n=${n}]`, x0[j], t[2 * j + 1], REFERENCE.gelu(x0[j]));
  }
});

// The wasm kernels for float32 add/sub/mul/div over broadcast views, strided copies and bias-gradient sums
// (broadcast-kernel.ts) give exactly the TypeScript reference's results (each op is one correctly rounded
// float32 operation; the column sum accumulates in float64 in the same order), on random shapes large enough
// to take the wasm path, on one thread and on two with the jobs split over the worker pool, with
// row, column and scalar broadcasting, transposed and permuted operands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { setCpuKernels } from '../../engine/backend/cpu/fast.js';
import { setWasmThreads, wasmAvailable } from '../../engine/backend/cpu/wasm/index.js';
import { planesTuning } from '../../engine/backend/cpu/wasm/broadcast.js';
import { cat, getNumThreads, noGrad, tensor, type Tensor } from '../../engine/index.js';
import { seedArb, uniformF32 } from '../helpers/random.js';

const skip = !wasmAvailable() && 'WebAssembly SIMD is not available';

/** Runs body on one thread, then on two with every job from 4096 elements split over the worker pool. */
function onOneAndTwoThreads(body: () => void): void {
  const before = getNumThreads(), threshold = planesTuning.parallelMinElements;
  try {
    setWasmThreads(1);
    body();
    setWasmThreads(2);
    planesTuning.parallelMinElements = 4096;
    body();
  } finally {
    setWasmThreads(before);
    planesTuning.parallelMinElements = threshold;
  }
}

/** Runs fn with the wasm kernels, then with the TypeScript reference; returns both results' values. */
function bothWays(fn: () => Tensor): [Float32Array, Float32Array] {
  const fast = noGrad(fn).toTypedArray() as Float32Array;
  setCpuKernels('reference');
  try {
    return [fast, noGrad(fn).toTypedArray() as Float32Array];
  } finally {
    setCpuKernels('wasm');
  }
}

function assertSameBits(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}: element ${i} is ${got[i]}, the TypeScript reference gives ${want[i]}`);
  }
}

const rand = (shape: number[], seed: number): Tensor => tensor(uniformF32(shape.reduce((a, b) => a * b, 1), seed, 3), { shape });

// [rows, cols] with rows·cols from ~100 to ~40k: both sides of the wasm threshold (2048 elements)
const dimsArb = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.constantFrom(1, 3, 4, 7, 16, 64, 65, 192));

for (const op of ['add', 'sub', 'mul', 'div'] as const) {
  test(`wasm ${op} over broadcast and strided views equals the TypeScript reference bit for bit, on one and two threads`, { skip }, () => onOneAndTwoThreads(() => {
    fc.assert(fc.property(dimsArb, seedArb, ([rows, cols], seed) => {
      const a = rand([rows, cols], seed + 1), b = rand([rows, cols], seed + 2);
      const row = rand([cols], seed + 3), column = rand([rows, 1], seed + 4), at = rand([cols, rows], seed + 5);
      const cases: [string, () => Tensor][] = [
        ['same shape', () => a[op](b)],
        ['row vector (a bias)', () => a[op](row)],
        ['row vector first', () => row[op](a)],
        ['column vector', () => a[op](column)],
        ['scalar', () => a[op](0.75)],
        ['transposed operand', () => a[op](at.mT)],
        ['batched [2, rows, cols] with [rows, cols]', () => a.expand(2, rows, cols)[op](b)],
      ];
      for (const [what, fn] of cases) assertSameBits(...bothWays(fn), `${op}, ${what}, [${rows}, ${cols}]`);
    }), { numRuns: 15 });
  }));
}

test('wasm strided copy (contiguous() of permuted and sliced views, cat into a middle-axis slice, broadcast parts included) equals the TypeScript reference bit for bit, on one and two threads', { skip }, () => onOneAndTwoThreads(() => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.constantFrom(2, 4), fc.integer({ min: 1, max: 60 }), fc.constantFrom(3, 16, 17), seedArb, (b, h, n, hd, seed) => {
    const x = rand([b, n, h, hd], seed);
    const cases: [string, () => Tensor][] = [
      ['head split [B, N, H, hd] → [B, H, N, hd]', () => x.permute(0, 2, 1, 3).contiguous()],
      ['head merge', () => x.permute(0, 2, 1, 3).contiguous().transpose(1, 2).reshape(b * n, h * hd)],
      ['a column slice', () => x.reshape(b * n, h * hd).narrow(1, 1, h * hd - 1).contiguous()],
      ['a transpose', () => x.reshape(b * n, h * hd).mT.contiguous()],
      // the copy into a slice along a middle axis (each batch a contiguous run), from a transposed view
      ['cat along the tokens, contiguous parts', () => cat([x.narrow(1, 0, 1).reshape(b, 1, h * hd), x.reshape(b, n, h * hd)], 1)],
      ['cat along the tokens, a broadcast part (the class token expanded over the batch)', () => cat([x.narrow(0, 0, 1).narrow(1, 0, 1).reshape(1, 1, h * hd).expand(b, 1, h * hd), x.reshape(b, n, h * hd)], 1)],
      ['cat along the tokens, a transposed part (the patch embedding\'s [B, D, N]ᵀ)', () => cat([x.narrow(1, 0, 1).reshape(b, 1, h * hd), x.reshape(b, h * hd, n).transpose(1, 2)], 1)],
    ];
    for (const [what, fn] of cases) assertSameBits(...bothWays(fn), `${what}, [${b}, ${n}, ${h}, ${hd}]`);
  }), { numRuns: 20 });
}));

test('wasm bias-gradient sum (Σ over leading axes, float64 accumulators) equals the TypeScript reference bit for bit', { skip }, () => {
  fc.assert(fc.property(dimsArb, fc.integer({ min: 1, max: 3 }), seedArb, ([rows, cols], lead, seed) => {
    const x = rand([lead, rows, cols], seed);
    assertSameBits(...bothWays(() => x.sum([0, 1])), `sum over [${lead}, ${rows}] of [${lead}, ${rows}, ${cols}]`);
    assertSameBits(...bothWays(() => x.reshape(lead * rows, cols).sum(0)), `sum over rows of [${lead * rows}, ${cols}]`);
  }), { numRuns: 25 });
});

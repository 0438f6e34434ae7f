// The cpu backend's fused attention kernel (engine/backend/cpu/wasm/attention*.ts) gives the composed path's
// float32 bits, forward and backward: its products use the batched matmul's multiply-add and k blocking, its
// softmax is the same kernel, and the scale lands where the composed path puts it. Held on random shapes (size-1
// and odd dims, sequences past the GEMM's k block), scales that are powers of two (moved onto kᵀ) and not, q, k,
// v as views into one [B, N, 3D] tensor, one and two threads; and the op takes the kernel (no matmul or softmax
// runs beneath it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { attention, attentionComposed, getNumThreads, noGrad, profile, setNumThreads, tensor, type Tensor } from '../../engine/index.js';
import { setCpuKernels } from '../../engine/backend/cpu/fast.js';
import { wasmAvailable } from '../../engine/backend/cpu/wasm/index.js';
import { assertAllClose } from '../helpers/allclose.js';
import { randomValues, seedArb } from '../helpers/random.js';

const skip = !wasmAvailable() && 'WebAssembly SIMD is not available';

type Attention = typeof attention;
interface Outputs { y: Float32Array; grads: Float32Array[] }

/**
 * Runs `fn` forward and backward on float32 q, k, v [b, n, h·hd] from `seed` (as views into one [b, n, 3·h·hd]
 * tensor when `thirds`), with the upstream gradient from seed + 1.
 */
function run(fn: Attention, [b, n, h, hd]: readonly number[], seed: number, scale: number, thirds = false): Outputs {
  const d = h * hd;
  const values = (count: number, s: number) => Float32Array.from(randomValues(count, s));
  let leaves: Tensor[], q: Tensor, k: Tensor, v: Tensor;
  if (thirds) {
    const qkv = tensor(values(b * n * 3 * d, seed), { shape: [b, n, 3 * d], requiresGrad: true });
    leaves = [qkv];
    [q, k, v] = [0, 1, 2].map((i) => qkv.narrow(2, i * d, d));
  } else {
    leaves = [0, 1, 2].map((i) => tensor(values(b * n * d, seed + 7 * i), { shape: [b, n, d], requiresGrad: true }));
    [q, k, v] = leaves;
  }
  const y = fn(q, k, v, h, scale);
  y.backward(tensor(values(b * n * d, seed + 1), { shape: [b, n, d] }));
  return { y: y.toTypedArray() as Float32Array, grads: leaves.map((t) => t.grad!.toTypedArray() as Float32Array) };
}

/** Equal floats, element by element (rtol 0: the kernel promises the composed path's rounding, not a bound). */
function assertSameBits(got: Outputs, want: Outputs, what: string): void {
  assertAllClose(got.y, want.y, { rtol: 0, what: `${what}: forward` });
  got.grads.forEach((g, i) => assertAllClose(g, want.grads[i], { rtol: 0, what: `${what}: gradient ${i}` }));
}

const SCALES = [0.25, 0.125, 1, 0.3, 1.7];
const dimsArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 20 }));

test('wasm attention gives the composed attention bit for bit, forward and backward, on random shapes and scales', { skip }, () => {
  setCpuKernels('wasm');
  fc.assert(fc.property(dimsArb, seedArb, fc.constantFrom(...SCALES), fc.boolean(), (dims, seed, scale, thirds) => {
    const what = `dims ${JSON.stringify(dims)}, scale ${scale}${thirds ? ', q k v as views' : ''}`;
    assertSameBits(run(attention, dims, seed, scale, thirds), run(attentionComposed, dims, seed, scale, thirds), what);
  }), { numRuns: 30 });
});

test('wasm attention gives the composed attention bit for bit when a chunk takes several heads of a batch element (large batches)', { skip }, () => {
  setCpuKernels('wasm');
  const before = getNumThreads();
  try {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const arb = fc.tuple(fc.integer({ min: 8, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }));
      fc.assert(fc.property(arb, seedArb, fc.constantFrom(...SCALES), fc.boolean(), (dims, seed, scale, thirds) => {
        const what = `dims ${JSON.stringify(dims)}, ${threads} thread(s), scale ${scale}${thirds ? ', q k v as views' : ''}`;
        assertSameBits(run(attention, dims, seed, scale, thirds), run(attentionComposed, dims, seed, scale, thirds), what);
      }), { numRuns: 15 });
    }
  } finally {
    setNumThreads(before);
  }
});

test('wasm attention gives the composed bits on sequences past the GEMM k block (K = N = 300), and without grad', { skip }, () => {
  setCpuKernels('wasm');
  for (const scale of [0.5, 0.3]) {
    assertSameBits(run(attention, [1, 300, 2, 8], 5, scale), run(attentionComposed, [1, 300, 2, 8], 5, scale), `N 300, scale ${scale}`);
  }
  const [q, k, v] = [9, 10, 11].map((seed) => tensor(Float32Array.from(randomValues(2 * 50 * 64, seed)), { shape: [2, 50, 64] }));
  const fused = noGrad(() => attention(q, k, v, 4, 0.25).toTypedArray());
  const composed = noGrad(() => attentionComposed(q, k, v, 4, 0.25).toTypedArray());
  assertAllClose(fused, composed, { rtol: 0, what: 'forward without grad (no probabilities kept)' });
});

test('wasm attention gives the same bits on one and two threads (the pool takes heads of one batch element a chunk)', { skip }, () => {
  setCpuKernels('wasm');
  const before = getNumThreads();
  try {
    setNumThreads(1);
    const one = run(attention, [8, 64, 4, 16], 11, 0.25);
    setNumThreads(2);
    assertSameBits(run(attention, [8, 64, 4, 16], 11, 0.25), one, 'two threads against one');
    assertSameBits(run(attentionComposed, [8, 64, 4, 16], 11, 0.25), one, 'composed on two threads against fused on one');
  } finally {
    setNumThreads(before);
  }
});

test('attention on the cpu backend runs the fused kernel: no matmul or softmax beneath it, forward or backward, and q, k, v views of one tensor read in place', { skip }, () => {
  setCpuKernels('wasm');
  for (const thirds of [false, true]) {
    const report = profile(() => run(attention, [2, 50, 4, 16], 3, 0.25, thirds));
    const names = report.rows.map((r) => `${r.name} (${r.phase})`);
    assert.ok(names.includes('attention (forward)') && names.includes('attentionBackward (backward)'), `profile rows: ${names.join(', ')}`);
    const beneath = names.filter((n) => /^(matmul|softmax|copy \(forward\))/.test(n));
    assert.deepEqual(beneath, [], `ops beneath the fused attention${thirds ? ' (q, k, v as views)' : ''}: ${beneath.join(', ')}`);
  }
});

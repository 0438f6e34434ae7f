// The gpujs backend's kernels (the engine's Kernels interface) equal naive float64 references, on every gpu.js mode present here.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { availableGpuModes, createGpujsBackend, disposeGpuKernels, gpuKernelCompileCount, type GpujsBackend } from '../../engine/backend/gpujs/index.js';
import type { View } from '../../engine/backend/interface.js';

const modes = await availableGpuModes();
after(() => disposeGpuKernels());

/** Deterministic values in [-scale, scale] from a seed (mulberry32). */
function randomArray(length: number, seed: number, scale = 2): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** A [batch, rows, cols] view of a dense array: batch 1 broadcasts (stride 0); `trans` stores it as [batch, cols, rows]. */
function view(data: Float32Array, batch: number, broadcast: boolean, rows: number, cols: number, trans: boolean): View {
  const strides = trans ? [rows * cols, 1, rows] : [rows * cols, cols, 1];
  return { data, layout: { shape: [batch, rows, cols], strides: [broadcast ? 0 : strides[0], strides[1], strides[2]], offset: 0 } };
}

/** Reads results back to the host where the backend keeps them on its device (webgpu); a no-op elsewhere. */
async function readBack(backend: GpujsBackend, ...arrays: (Float32Array | null)[]): Promise<void> {
  for (const a of arrays) if (a) await backend.residency?.download(a);
}

/** |got - want| <= tol[i] everywhere, naming the first index that is not. */
function assertClose(got: Float32Array, want: Float64Array, tol: (i: number) => number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol(i))) assert.fail(`${what}: at ${i} got ${got[i]}, want ${want[i]} (error ${err}, tolerance ${tol(i)})`);
  }
}

interface MatmulCase { batch: number; broadcast: 'none' | 'a' | 'b'; M: number; K: number; N: number; transA: boolean; transB: boolean; seed: number }

function matmulReference(c: MatmulCase, a: Float32Array, b: Float32Array): { out: Float64Array; magnitude: Float64Array } {
  const { batch, M, K, N } = c;
  const out = new Float64Array(batch * M * N);
  const magnitude = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    const za = c.broadcast === 'a' ? 0 : z;
    const zb = c.broadcast === 'b' ? 0 : z;
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let sum = 0, abs = 0;
      for (let k = 0; k < K; k++) {
        const av = a[za * M * K + (c.transA ? k * M + m : m * K + k)];
        const bv = b[zb * K * N + (c.transB ? n * K + k : k * N + n)];
        sum += av * bv;
        abs += Math.abs(av * bv);
      }
      out[(z * M + m) * N + n] = sum;
      magnitude[(z * M + m) * N + n] = abs;
    }
  }
  return { out, magnitude };
}

async function checkMatmul(backend: GpujsBackend, c: MatmulCase): Promise<void> {
  const aBatch = c.broadcast === 'a' ? 1 : c.batch;
  const bBatch = c.broadcast === 'b' ? 1 : c.batch;
  const a = randomArray(aBatch * c.M * c.K, c.seed);
  const b = randomArray(bBatch * c.K * c.N, c.seed + 1);
  const got = new Float32Array(c.batch * c.M * c.N);
  const av = view(a, c.batch, aBatch === 1, c.M, c.K, c.transA), bv = view(b, c.batch, bBatch === 1, c.K, c.N, c.transB);
  await backend.kernels.matmul(av, bv, got, c.batch, c.M, c.N, c.K);
  await readBack(backend, got);
  const { out, magnitude } = matmulReference(c, a, b);
  assertClose(got, out, (i) => 1e-5 + 1e-4 * magnitude[i], `${backend.mode} matmul ${JSON.stringify(c)}`);
}

function softmaxReference(x: Float32Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity, sum = 0;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[r * cols + j]);
    for (let j = 0; j < cols; j++) sum += Math.exp(x[r * cols + j] - max);
    for (let j = 0; j < cols; j++) y[r * cols + j] = Math.exp(x[r * cols + j] - max) / sum;
  }
  return y;
}

// d softmax: y * (g - sum(g * y))
function softmaxBackwardReference(y: Float32Array, g: Float32Array, rows: number, cols: number): Float64Array {
  const dx = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += g[r * cols + j] * y[r * cols + j];
    for (let j = 0; j < cols; j++) dx[r * cols + j] = y[r * cols + j] * (g[r * cols + j] - dot);
  }
  return dx;
}

async function checkSoftmax(backend: GpujsBackend, rows: number, cols: number, seed: number): Promise<void> {
  const x = randomArray(rows * cols, seed, 4);
  const y = new Float32Array(rows * cols);
  await backend.kernels.softmax(x, y, rows, cols, false);
  await readBack(backend, y);
  assertClose(y, softmaxReference(x, rows, cols), (i) => 1e-6 + 1e-4 * Math.abs(y[i]), `${backend.mode} softmax [${rows}, ${cols}]`);
  const g = randomArray(rows * cols, seed + 1);
  const dx = new Float32Array(rows * cols);
  await backend.kernels.softmaxBackward(y, g, dx, rows, cols, false);
  await readBack(backend, dx);
  assertClose(dx, softmaxBackwardReference(y, g, rows, cols), () => 1e-5, `${backend.mode} softmaxBackward [${rows}, ${cols}]`);
}

function layerNormReference(x: Float32Array, w: Float32Array, b: Float32Array, g: Float32Array, rows: number, cols: number, eps: number) {
  const y = new Float64Array(rows * cols), dx = new Float64Array(rows * cols);
  const mean = new Float64Array(rows), rstd = new Float64Array(rows);
  const dw = new Float64Array(cols), db = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = 0, v = 0, c1 = 0, c2 = 0;
    for (let j = 0; j < cols; j++) m += x[o + j] / cols;
    for (let j = 0; j < cols; j++) v += (x[o + j] - m) ** 2 / cols;
    const s = 1 / Math.sqrt(v + eps);
    mean[r] = m;
    rstd[r] = s;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j] - m) * s;
      y[o + j] = xhat * w[j] + b[j];
      c1 += (g[o + j] * w[j]) / cols;
      c2 += (g[o + j] * w[j] * xhat) / cols;
      dw[j] += g[o + j] * xhat;
      db[j] += g[o + j];
    }
    // d layernorm: dx = rstd (g w - mean(g w) - x̂ mean(g w x̂))
    for (let j = 0; j < cols; j++) dx[o + j] = s * (g[o + j] * w[j] - c1 - (x[o + j] - m) * s * c2);
  }
  return { y, mean, rstd, dx, dw, db };
}

async function checkLayerNorm(backend: GpujsBackend, rows: number, cols: number, seed: number): Promise<void> {
  const eps = 1e-5;
  const x = randomArray(rows * cols, seed, 3);
  const w = randomArray(cols, seed + 1);
  const b = randomArray(cols, seed + 2);
  const g = randomArray(rows * cols, seed + 3);
  const want = layerNormReference(x, w, b, g, rows, cols, eps);
  const what = `${backend.mode} layerNorm [${rows}, ${cols}]`;
  const y = new Float32Array(rows * cols), mean = new Float32Array(rows), rstd = new Float32Array(rows);
  await backend.kernels.layerNorm(x, w, b, y, mean, rstd, rows, cols, eps);
  await readBack(backend, y, mean, rstd);
  const rel = (ref: Float64Array, scale: number) => (i: number) => scale * (1 + Math.abs(ref[i]));
  assertClose(y, want.y, rel(want.y, 1e-4), `${what} y`);
  assertClose(mean, want.mean, rel(want.mean, 1e-5), `${what} mean`);
  assertClose(rstd, want.rstd, rel(want.rstd, 1e-4), `${what} rstd`);
  const dx = new Float32Array(rows * cols), dw = new Float32Array(cols), db = new Float32Array(cols);
  await backend.kernels.layerNormBackward(x, w, mean, rstd, g, dx, dw, db, rows, cols);
  await readBack(backend, dx, dw, db);
  assertClose(dx, want.dx, rel(want.dx, 1e-3), `${what} dx`);
  assertClose(dw, want.dw, () => 1e-4 * rows, `${what} dw`);
  assertClose(db, want.db, () => 1e-5 * rows, `${what} db`);
}

const side = fc.oneof(fc.constantFrom(1, 3, 17), fc.integer({ min: 1, max: 24 }));
const matmulCase = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  broadcast: fc.constantFrom('none' as const, 'a' as const, 'b' as const),
  M: side,
  K: fc.oneof(side, fc.integer({ min: 25, max: 64 })),
  N: side,
  transA: fc.boolean(),
  transB: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
});
const rowsShape = fc.record({ rows: side, cols: side, seed: fc.integer({ min: 0, max: 2 ** 30 }) });

if (modes.length === 0) it('gpujs kernels', { skip: 'no gpu.js mode can run here' }, () => {});

for (const mode of modes) {
  describe(`gpujs kernels on ${mode}`, async () => {
    const backend = await createGpujsBackend(mode);
    const kernels = backend.kernels;
    const numRuns = 12;

    it('reports its mode, and answers with Promises exactly when async', async () => {
      assert.equal(backend.mode, mode);
      assert.equal(backend.async, mode === 'webgpu');
      const y = new Float32Array(2);
      const result = kernels.softmax(new Float32Array([0, 0]), y, 1, 2, false);
      assert.equal(result instanceof Promise, backend.async);
      await result;
      await readBack(backend, y);
      assert.deepEqual([...y], [0.5, 0.5]);
    });

    it('matmul is exact in its tiled form (N a multiple of 4) and its odd-N form, batched as attention is', async () => {
      // [batch·heads, tokens, headDim] @ [batch·heads, headDim, tokens] and back: N = 4, 8, 20 take the four-wide tiles,
      // 1, 5, 13 and 17 one output per thread
      for (const N of [1, 4, 5, 8, 13, 17, 20]) {
        for (const [transA, transB] of [[false, false], [false, true], [true, false]] as const) {
          await checkMatmul(backend, { batch: 6, broadcast: 'none', M: 9, K: 16, N, transA, transB, seed: N * 7 + (transA ? 1 : 0) + (transB ? 2 : 0) });
          await checkMatmul(backend, { batch: 3, broadcast: 'a', M: 7, K: 33, N, transA, transB, seed: N * 11 });
        }
      }
    });

    it('matmul equals the float64 reference for any shape, transpose and batch broadcast', async () => {
      await fc.assert(fc.asyncProperty(matmulCase, (c) => checkMatmul(backend, c)), { numRuns });
    });

    it('matmul is exact past 1000-long inner dimensions (K = 1023, 1500) in every layout', async () => {
      for (const K of [1023, 1500]) {
        for (const transA of [false, true]) for (const transB of [false, true]) {
          await checkMatmul(backend, { batch: 2, broadcast: 'b', M: 3, K, N: 17, transA, transB, seed: K });
        }
      }
    });

    it('softmax and its backward equal the float64 reference for any shape', async () => {
      await fc.assert(fc.asyncProperty(rowsShape, ({ rows, cols, seed }) => checkSoftmax(backend, rows, cols, seed)), { numRuns });
      for (const cols of [1023, 1500]) await checkSoftmax(backend, 3, cols, cols);
    });

    it('layerNorm and its backward equal the float64 reference for any shape', async () => {
      await fc.assert(fc.asyncProperty(rowsShape, ({ rows, cols, seed }) => checkLayerNorm(backend, rows, cols, seed)), { numRuns });
      for (const cols of [1023, 1500]) await checkLayerNorm(backend, 3, cols, cols);
      await checkLayerNorm(backend, 1500, 3, 7); // dw and db loop over 1500 rows
    });

    it('repeated calls with the same shapes compile nothing new', async () => {
      const a = randomArray(2 * 5 * 7, 1), b = randomArray(7 * 3, 2), x = randomArray(4 * 9, 3), w = randomArray(9, 4);
      const callAll = async () => {
        await kernels.matmul(view(a, 2, false, 5, 7, false), view(b, 2, true, 7, 3, false), new Float32Array(2 * 5 * 3), 2, 5, 3, 7);
        const y = new Float32Array(4 * 9), mean = new Float32Array(4), rstd = new Float32Array(4);
        await kernels.softmax(x, y, 4, 9, false);
        await kernels.softmaxBackward(y, x, new Float32Array(4 * 9), 4, 9, false);
        await kernels.layerNorm(x, w, w, new Float32Array(4 * 9), mean, rstd, 4, 9, 1e-5);
        await kernels.layerNormBackward(x, w, mean, rstd, x, new Float32Array(4 * 9), new Float32Array(9), new Float32Array(9), 4, 9);
      };
      await callAll();
      const compiled = gpuKernelCompileCount();
      await callAll();
      await callAll();
      assert.equal(gpuKernelCompileCount(), compiled);
    });
  });
}

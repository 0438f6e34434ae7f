// The gpu.js kernels equal naive float64 references, on every gpu.js mode present here.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { availableGpuModes, createGpuKernels, disposeGpuKernels, gpuKernelCompileCount, type GpuKernels } from '../../engine/backend/gpujs/index.js';

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

async function checkMatmul(kernels: GpuKernels, c: MatmulCase): Promise<void> {
  const aBatch = c.broadcast === 'a' ? 1 : c.batch;
  const bBatch = c.broadcast === 'b' ? 1 : c.batch;
  const a = randomArray(aBatch * c.M * c.K, c.seed);
  const b = randomArray(bBatch * c.K * c.N, c.seed + 1);
  const got = await kernels.matmul(a, b, aBatch, bBatch, c.M, c.K, c.N, c.transA, c.transB);
  const { out, magnitude } = matmulReference(c, a, b);
  assertClose(got, out, (i) => 1e-5 + 1e-4 * magnitude[i], `${kernels.mode} matmul ${JSON.stringify(c)}`);
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

async function checkSoftmax(kernels: GpuKernels, rows: number, cols: number, seed: number): Promise<void> {
  const x = randomArray(rows * cols, seed, 4);
  const y = await kernels.softmax(x, rows, cols);
  assertClose(y, softmaxReference(x, rows, cols), (i) => 1e-6 + 1e-4 * Math.abs(y[i]), `${kernels.mode} softmax [${rows}, ${cols}]`);
  const g = randomArray(rows * cols, seed + 1);
  const dx = await kernels.softmaxBackward(y, g, rows, cols);
  assertClose(dx, softmaxBackwardReference(y, g, rows, cols), () => 1e-5, `${kernels.mode} softmaxBackward [${rows}, ${cols}]`);
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

async function checkLayerNorm(kernels: GpuKernels, rows: number, cols: number, seed: number): Promise<void> {
  const eps = 1e-5;
  const x = randomArray(rows * cols, seed, 3);
  const w = randomArray(cols, seed + 1);
  const b = randomArray(cols, seed + 2);
  const g = randomArray(rows * cols, seed + 3);
  const want = layerNormReference(x, w, b, g, rows, cols, eps);
  const what = `${kernels.mode} layerNorm [${rows}, ${cols}]`;
  const { y, mean, rstd } = await kernels.layerNorm(x, w, b, rows, cols, eps);
  const rel = (ref: Float64Array, scale: number) => (i: number) => scale * (1 + Math.abs(ref[i]));
  assertClose(y, want.y, rel(want.y, 1e-4), `${what} y`);
  assertClose(mean, want.mean, rel(want.mean, 1e-5), `${what} mean`);
  assertClose(rstd, want.rstd, rel(want.rstd, 1e-4), `${what} rstd`);
  const { dx, dw, db } = await kernels.layerNormBackward(x, w, mean, rstd, g, rows, cols);
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
    const kernels = await createGpuKernels(mode);
    const numRuns = 12;

    it('reports its mode, and answers with Promises exactly when async', async () => {
      assert.equal(kernels.mode, mode);
      assert.equal(kernels.async, mode === 'webgpu');
      const result = kernels.softmax(new Float32Array([0, 0]), 1, 2);
      assert.equal(result instanceof Promise, kernels.async);
      await result;
    });

    it('matmul equals the float64 reference for any shape, transpose and batch broadcast', async () => {
      await fc.assert(fc.asyncProperty(matmulCase, (c) => checkMatmul(kernels, c)), { numRuns });
    });

    it('matmul is exact past 1000-long inner dimensions (K = 1023, 1500) in every layout', async () => {
      for (const K of [1023, 1500]) {
        for (const transA of [false, true]) for (const transB of [false, true]) {
          await checkMatmul(kernels, { batch: 2, broadcast: 'b', M: 3, K, N: 17, transA, transB, seed: K });
        }
      }
    });

    it('softmax and its backward equal the float64 reference for any shape', async () => {
      await fc.assert(fc.asyncProperty(rowsShape, ({ rows, cols, seed }) => checkSoftmax(kernels, rows, cols, seed)), { numRuns });
      for (const cols of [1023, 1500]) await checkSoftmax(kernels, 3, cols, cols);
    });

    it('layerNorm and its backward equal the float64 reference for any shape', async () => {
      await fc.assert(fc.asyncProperty(rowsShape, ({ rows, cols, seed }) => checkLayerNorm(kernels, rows, cols, seed)), { numRuns });
      for (const cols of [1023, 1500]) await checkLayerNorm(kernels, 3, cols, cols);
      await checkLayerNorm(kernels, 1500, 3, 7); // dw and db loop over 1500 rows
    });

    it('repeated calls with the same shapes compile nothing new', async () => {
      const a = randomArray(2 * 5 * 7, 1), b = randomArray(7 * 3, 2), x = randomArray(4 * 9, 3), w = randomArray(9, 4);
      const callAll = async () => {
        await kernels.matmul(a, b, 2, 1, 5, 7, 3, false, false);
        const y = await kernels.softmax(x, 4, 9);
        await kernels.softmaxBackward(y, x, 4, 9);
        const ln = await kernels.layerNorm(x, w, w, 4, 9, 1e-5);
        await kernels.layerNormBackward(x, w, ln.mean, ln.rstd, x, 4, 9);
      };
      await callAll();
      const compiled = gpuKernelCompileCount();
      await callAll();
      await callAll();
      assert.equal(gpuKernelCompileCount(), compiled);
    });
  });
}

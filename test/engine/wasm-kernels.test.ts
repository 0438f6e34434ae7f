// The emitted wasm kernels equal plain TS references: matmul on every stride layout, batch broadcast,
// offsets, odd sizes and both thread counts; softmax and layernorm forward and backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  layerNormBackwardF32, layerNormF32, matmulF32, setWasmThreads, softmaxBackwardF32, softmaxF32, staged, wasmAvailable,
} from '../../engine/backend/cpu/wasm/index.js';
import { workerChunkCount } from '../../engine/backend/cpu/wasm/pool.js';
import { KERNELS, RELAXED, runtime } from '../../engine/backend/cpu/wasm/runtime.js';
import { tuning } from '../../engine/backend/cpu/wasm/matmul.js';
import { uniformF32 } from '../helpers/random.js';

const skip = !wasmAvailable() && 'WebAssembly SIMD is not available';

const randomArray = uniformF32;

interface Case {
  batch: number; M: number; N: number; K: number; transA: boolean; transB: boolean;
  broadcastA: boolean; broadcastB: boolean; aOff: number; bOff: number; outOff: number; seed: number;
}

/** Lays the operands out as the case says and checks the kernel against a float64 triple loop. */
function checkMatmul(c: Case): void {
  const { batch, M, N, K } = c;
  const aBatch = c.broadcastA ? 0 : M * K, bBatch = c.broadcastB ? 0 : K * N;
  const [aRow, aCol] = c.transA ? [1, M] : [K, 1];
  const [bRow, bCol] = c.transB ? [1, K] : [N, 1];
  const a = randomArray(c.aOff + (c.broadcastA ? 1 : batch) * M * K + 3, c.seed);
  const b = randomArray(c.bOff + (c.broadcastB ? 1 : batch) * K * N + 3, c.seed + 7);
  const out = new Float32Array(c.outOff + batch * M * N + 2).fill(NaN);
  matmulF32(a, c.aOff, aBatch, aRow, aCol, b, c.bOff, bBatch, bRow, bCol, out, c.outOff, batch, M, N, K);
  const tol = 1e-5 * Math.sqrt(K);
  for (let q = 0; q < batch; q++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let ref = 0, mag = 0;
        for (let k = 0; k < K; k++) {
          const p = a[c.aOff + q * aBatch + i * aRow + k * aCol] * b[c.bOff + q * bBatch + k * bRow + j * bCol];
          ref += p; mag += Math.abs(p);
        }
        const got = out[c.outOff + (q * M + i) * N + j];
        if (!(Math.abs(got - ref) <= tol * (1 + mag))) {
          assert.fail(`matmul ${JSON.stringify(c)}: out[${q},${i},${j}] = ${got}, expected ${ref}`);
        }
      }
    }
  }
  assert.ok(Number.isNaN(out[c.outOff - 1] ?? NaN) && Number.isNaN(out[c.outOff + batch * M * N]),
    'matmul wrote outside [outOff, outOff + batch*M*N)');
}

const dim = fc.oneof(fc.constantFrom(1, 3, 17), fc.integer({ min: 1, max: 70 }));
const caseArb = (maxBatch: number) => fc.record({
  batch: fc.integer({ min: 1, max: maxBatch }), M: dim, N: dim, K: dim,
  transA: fc.boolean(), transB: fc.boolean(), broadcastA: fc.boolean(), broadcastB: fc.boolean(),
  aOff: fc.integer({ min: 0, max: 5 }), bOff: fc.integer({ min: 0, max: 5 }), outOff: fc.integer({ min: 0, max: 5 }),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
});

for (const threads of [1, 2]) {
  test(`matmulF32 equals the triple loop on any layout, batch broadcast and offset (${threads} thread(s))`, { skip }, () => {
    setWasmThreads(threads);
    fc.assert(fc.property(caseArb(4), (c) => checkMatmul(c)), { numRuns: 150 });
  });

  test(`matmulF32 equals the triple loop at 1023 and on work big enough for threads (${threads} thread(s))`, { skip }, async () => {
    setWasmThreads(threads);
    if (threads > 1) {
      // workers come up in the background; until then the main thread does every chunk itself
      await new Promise((resolve) => setTimeout(resolve, 200));
      const before = workerChunkCount(runtime());
      const a = randomArray(256 * 256, 1), out = new Float32Array(256 * 256);
      // a liveness bound, not a timing: on a loaded machine the worker thread may get no core for a while
      for (const giveUp = Date.now() + 30_000; Date.now() < giveUp && workerChunkCount(runtime()) === before;) {
        matmulF32(a, 0, 0, 256, 1, a, 0, 0, 256, 1, out, 0, 1, 256, 256, 256);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      assert.ok(workerChunkCount(runtime()) > before, 'the worker never took a chunk');
    }
    const base = { transA: false, transB: false, broadcastA: false, broadcastB: false, aOff: 1, bOff: 2, outOff: 3, seed: 5 };
    for (const [batch, M, N, K] of [[1, 1023, 3, 17], [1, 3, 1023, 17], [1, 17, 3, 1023], [1, 130, 150, 600], [6, 50, 50, 48]]) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
        checkMatmul({ ...base, batch, M, N, K, transA, transB, broadcastB: batch > 1 && transA });
      }
    }
  });
}

test('every micro-kernel, plain and fused (relaxed SIMD), equals the triple loop on any layout', { skip }, () => {
  // the cost model picks one kernel per shape; forcing each id covers the ones it never picks here
  assert.equal(RELAXED, process.env.TLEG_WASM_RELAXED !== '0', 'relaxed SIMD should be on unless TLEG_WASM_RELAXED=0');
  assert.equal(KERNELS.filter((k) => k.relaxed).length, RELAXED ? 4 : 0);
  setWasmThreads(2);
  try {
    KERNELS.forEach((_, id) => {
      tuning.kernel = id;
      fc.assert(fc.property(caseArb(3), (c) => checkMatmul(c)), { numRuns: 40 });
      checkMatmul({ batch: 1, M: 130, N: 150, K: 600, transA: false, transB: true, broadcastA: false, broadcastB: false,
        aOff: 1, bOff: 2, outOff: 3, seed: id + 1 });
    });
  } finally {
    tuning.kernel = -1;
  }
});

test('matmulF32 with K = 0 writes zeros, and with an empty output writes nothing', { skip }, () => {
  const out = new Float32Array(7).fill(9);
  matmulF32(new Float32Array(0), 0, 0, 0, 1, new Float32Array(0), 0, 0, 1, 0, out, 1, 1, 2, 3, 0);
  assert.deepEqual([...out], [9, 0, 0, 0, 0, 0, 0]);
  matmulF32(new Float32Array(4), 0, 0, 1, 1, new Float32Array(4), 0, 0, 1, 1, out, 0, 1, 0, 3, 2);
  assert.deepEqual([...out], [9, 0, 0, 0, 0, 0, 0]);
});

const rowsCols = fc.record({
  rows: fc.integer({ min: 1, max: 9 }),
  cols: fc.oneof(fc.constantFrom(1, 3, 4, 17, 1023), fc.integer({ min: 1, max: 70 })),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
  scale: fc.constantFrom(0.1, 1, 30),
});

const close = (got: number, want: number, rel: number, what: string) => {
  if (!(Math.abs(got - want) <= rel * (1 + Math.abs(want)))) assert.fail(`${what}: got ${got}, expected ${want}`);
};

test('softmaxF32 is exp(x - max) / sum over each row, and its backward is y * (g - sum(g * y))', { skip }, () => {
  fc.assert(fc.property(rowsCols, ({ rows, cols, seed, scale }) => {
    const x = randomArray(rows * cols, seed).map((v) => v * scale), g = randomArray(rows * cols, seed + 1);
    const y = new Float32Array(rows * cols), dx = new Float32Array(rows * cols);
    softmaxF32(x, y, rows, cols);
    softmaxBackwardF32(y, g, dx, rows, cols);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
      const m = Math.max(...row), e = row.map((v) => Math.exp(v - m)), s = e.reduce((p, q) => p + q, 0);
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += g[r * cols + j] * y[r * cols + j];
      for (let j = 0; j < cols; j++) {
        close(y[r * cols + j], e[j] / s, 2e-6, `softmax[${r},${j}] of ${cols}`);
        close(dx[r * cols + j], y[r * cols + j] * (g[r * cols + j] - dot), 1e-5, `softmax backward[${r},${j}]`);
      }
    }
  }), { numRuns: 80 });
});

test('the softmax kernel ignores what lies past each row (its last 1–3 columns are read as one vector): NaN, ±∞ or zeros there give the same bits', { skip }, () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 1 << 30 }), (rows, cols, seed) => {
    const stride = cols + 3, x = randomArray(rows * stride, seed);
    const outs = [NaN, Infinity, -Infinity, 0].map((fill) => staged((s) => {
      const xAt = s.temp(rows * stride + 4), yAt = s.temp(rows * cols), mem = s.h.view();
      mem.fill(fill, xAt / 4, xAt / 4 + rows * stride + 4);
      for (let r = 0; r < rows; r++) mem.set(x.subarray(r * stride, r * stride + cols), xAt / 4 + r * stride);
      runtime().ex.softmax(xAt, stride * 4, yAt, rows, cols);
      return mem.slice(yAt / 4, yAt / 4 + rows * cols);
    }));
    outs.slice(1).forEach((y, i) => assert.deepEqual(y, outs[0], `rows ${rows}, cols ${cols}: past the rows ${[Infinity, -Infinity, 0][i]} vs NaN`));
    assert.ok(outs[0].every(Number.isFinite), 'finite probabilities');
  }), { numRuns: 60 });
});

test('softmaxF32 keeps 1e-6 relative accuracy down to exp underflow, and gives exactly 0 below it', { skip }, () => {
  // row r = [0, d, ..., d] (9 columns: vector lanes and the scalar tail): y = e^d / (1 + 8 e^d) for every d
  const ds = [0, -1e-3, -0.3466, -1, -5.5, -17.25, -40, -63.7, -80, -87.2, -87.4, -100, -1e30, -Infinity];
  const cols = 9, x = new Float32Array(ds.length * cols), y = new Float32Array(ds.length * cols);
  ds.forEach((d, r) => x.fill(d, r * cols + 1, (r + 1) * cols));
  softmaxF32(x, y, ds.length, cols);
  ds.forEach((d, r) => {
    const e = Math.exp(Math.fround(d)), want = e / (1 + 8 * e);
    for (let j = 1; j < cols; j++) {
      const got = y[r * cols + j];
      if (d < -87.3) assert.equal(got, 0, `softmax of [0, ${d} ×8][${j}] must be exactly 0`);
      else assert.ok(Math.abs(got - want) <= 1e-6 * want, `softmax of [0, ${d} ×8][${j}]: got ${got}, expected ${want}`);
    }
  });
});

test('layerNormF32 gives each row the same bits whether the kernel takes it in a pair of rows or alone', { skip }, () => {
  fc.assert(fc.property(rowsCols, ({ rows, cols, seed, scale }) => {
    const n = rows * cols, eps = 1e-5;
    const x = randomArray(n, seed).map((v) => v * scale + 0.5), w = randomArray(cols, seed + 1), b = randomArray(cols, seed + 2);
    const y = new Float32Array(n), mean = new Float32Array(rows), rstd = new Float32Array(rows);
    layerNormF32(x, w, b, y, mean, rstd, rows, cols, eps);
    for (let r = 0; r < rows; r++) {
      const y1 = new Float32Array(cols), m1 = new Float32Array(1), s1 = new Float32Array(1);
      layerNormF32(x.subarray(r * cols, (r + 1) * cols), w, b, y1, m1, s1, 1, cols, eps);
      assert.deepEqual([m1[0], s1[0]], [mean[r], rstd[r]], `row ${r} of ${rows}: mean and rstd`);
      assert.deepEqual(y1, y.subarray(r * cols, (r + 1) * cols), `row ${r} of ${rows}: y`);
    }
  }), { numRuns: 40 });
});

test('layerNormF32 normalises each row, and its backward matches the closed form', { skip }, () => {
  fc.assert(fc.property(rowsCols, ({ rows, cols, seed, scale }) => {
    const n = rows * cols, eps = 1e-5;
    const x = randomArray(n, seed).map((v) => v * scale + 0.5), w = randomArray(cols, seed + 1), b = randomArray(cols, seed + 2);
    const g = randomArray(n, seed + 3);
    const y = new Float32Array(n), mean = new Float32Array(rows), rstd = new Float32Array(rows);
    const dx = new Float32Array(n), dw = new Float32Array(cols).fill(7), db = new Float32Array(cols).fill(7);
    layerNormF32(x, w, b, y, mean, rstd, rows, cols, eps);
    layerNormBackwardF32(x, w, mean, rstd, g, dx, dw, db, rows, cols);
    const dwRef = new Float64Array(cols), dbRef = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      let mu = 0, v = 0;
      for (let j = 0; j < cols; j++) mu += x[r * cols + j];
      mu /= cols;
      for (let j = 0; j < cols; j++) v += (x[r * cols + j] - mu) ** 2;
      const rs = 1 / Math.sqrt(v / cols + eps);
      close(mean[r], mu, 1e-5, `mean[${r}]`);
      close(rstd[r], rs, 1e-4, `rstd[${r}]`);
      let sa = 0, sb = 0;
      const xh = (j: number) => (x[r * cols + j] - mu) * rs;
      for (let j = 0; j < cols; j++) {
        const gw = g[r * cols + j] * w[j];
        sa += gw; sb += gw * xh(j);
        dwRef[j] += g[r * cols + j] * xh(j); dbRef[j] += g[r * cols + j];
      }
      for (let j = 0; j < cols; j++) {
        close(y[r * cols + j], xh(j) * w[j] + b[j], 1e-4, `layernorm y[${r},${j}]`);
        const want = rs * (g[r * cols + j] * w[j] - sa / cols - xh(j) * sb / cols);
        close(dx[r * cols + j], want, 2e-4 * Math.max(1, rs), `layernorm dx[${r},${j}]`);
      }
    }
    for (let j = 0; j < cols; j++) {
      close(dw[j], dwRef[j], 1e-4 * rows, `dw[${j}]`);
      close(db[j], dbRef[j], 1e-5 * rows, `db[${j}]`);
    }
  }), { numRuns: 80 });
});

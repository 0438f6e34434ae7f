// Threaded row kernels: softmax and layernorm, forward and backward, split by whole rows over the worker
// pool, give bit for bit the result of one thread (each row is computed by one thread alone, with the same
// instructions; layernorm's dw and db are summed per fixed chunk of rows), on a shape large enough to be split
// (odd rows and columns: a short last chunk and a scalar column tail) and on one too small to be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  layerNormBackwardF32, layerNormF32, setWasmThreads, softmaxBackwardF32, softmaxF32, wasmAvailable,
} from '../../engine/backend/cpu/wasm/index.js';
import { threadCount, workerChunkCount } from '../../engine/backend/cpu/wasm/pool.js';
import { runtime } from '../../engine/backend/cpu/wasm/runtime.js';
import { uniformF32 } from '../helpers/random.js';

const skip = !wasmAvailable() && 'WebAssembly SIMD is not available';

const randomArray = uniformF32;

function softmaxBoth(x: Float32Array, g: Float32Array, rows: number, cols: number): [Float32Array, Float32Array] {
  const y = new Float32Array(rows * cols + 1).fill(7), dx = new Float32Array(rows * cols + 1).fill(7);
  softmaxF32(x, y, rows, cols);
  softmaxBackwardF32(y, g, dx, rows, cols);
  assert.equal(y[rows * cols], 7, 'softmax wrote past the end');
  assert.equal(dx[rows * cols], 7, 'softmax backward wrote past the end');
  return [y, dx];
}

test('softmaxF32 and its backward on 2 threads equal 1 thread exactly, on [4099, 193] and [3, 5]', { skip }, async () => {
  const saved = threadCount();
  try {
    for (const [rows, cols] of [[4099, 193], [3, 5]]) {
      const x = randomArray(rows * cols, rows + cols, 20), g = randomArray(rows * cols, 3 * rows, 1);
      setWasmThreads(1);
      const [y1, dx1] = softmaxBoth(x, g, rows, cols);
      setWasmThreads(2);
      // workers come up in the background; until then the main thread does every chunk itself
      await new Promise((resolve) => setTimeout(resolve, 200));
      const before = workerChunkCount(runtime());
      let y2 = y1, dx2 = dx1;
      // a liveness bound, not a timing: on a loaded machine the worker thread may get no core for a while
      for (const giveUp = Date.now() + 30_000; Date.now() < giveUp;) {
        [y2, dx2] = softmaxBoth(x, g, rows, cols);
        assert.deepEqual(y2, y1, `softmax [${rows}, ${cols}]: 2 threads differ from 1`);
        assert.deepEqual(dx2, dx1, `softmax backward [${rows}, ${cols}]: 2 threads differ from 1`);
        if (rows * cols < 1 << 15 || workerChunkCount(runtime()) > before) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      if (rows * cols >= 1 << 15) assert.ok(workerChunkCount(runtime()) > before, `softmax [${rows}, ${cols}]: the worker never took a chunk`);
    }
  } finally {
    setWasmThreads(saved);
  }
});

/** layernorm forward then backward; every output (y, mean, rstd, dx, dw, db) in one flat list */
function layerNormBoth(x: Float32Array, w: Float32Array, b: Float32Array, g: Float32Array, rows: number, cols: number): Float32Array[] {
  const y = new Float32Array(rows * cols), mean = new Float32Array(rows), rstd = new Float32Array(rows);
  layerNormF32(x, w, b, y, mean, rstd, rows, cols, 1e-5);
  const dx = new Float32Array(rows * cols), dw = new Float32Array(cols), db = new Float32Array(cols);
  layerNormBackwardF32(x, w, mean, rstd, g, dx, dw, db, rows, cols);
  return [y, mean, rstd, dx, dw, db];
}

test('layerNormF32 and its backward (dw, db summed by fixed chunks) on 2 threads equal 1 thread exactly', { skip }, async () => {
  const saved = threadCount();
  try {
    for (const [rows, cols] of [[4099, 193], [3, 5]]) {
      const x = randomArray(rows * cols, rows, 3), g = randomArray(rows * cols, 2 * rows, 1);
      const w = randomArray(cols, 5, 1), b = randomArray(cols, 6, 1);
      setWasmThreads(1);
      const one = layerNormBoth(x, w, b, g, rows, cols);
      setWasmThreads(2);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const before = workerChunkCount(runtime());
      // a liveness bound, not a timing: on a loaded machine the worker thread may get no core for a while
      for (const giveUp = Date.now() + 30_000; Date.now() < giveUp;) {
        const two = layerNormBoth(x, w, b, g, rows, cols);
        two.forEach((a, k) => assert.deepEqual(a, one[k], `layernorm [${rows}, ${cols}] output ${k}: 2 threads differ from 1`));
        if (rows * cols < 1 << 15 || workerChunkCount(runtime()) > before) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      if (rows * cols >= 1 << 15) assert.ok(workerChunkCount(runtime()) > before, `layernorm [${rows}, ${cols}]: the worker never took a chunk`);
    }
  } finally {
    setWasmThreads(saved);
  }
});

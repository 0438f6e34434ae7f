// WebAssembly SIMD kernels, emitted at run time (no prebuilt binary): a packed, register-blocked GEMM that
// can use worker threads, and fused row kernels. Every call is synchronous: operands are copied into the
// shared wasm memory, computed there, and the result copied back.
import { runtime, simdSupported } from './runtime.js';
import { CTRL_BYTES, Ctl, DATA_BASE, JobKind, plan } from './matmul.js';
import { GELU_BACKWARD, WASM_UNARY, type WasmUnaryOp } from './elementwise-kernel.js';
import { lockJob, runJob, setThreads, threadCount } from './pool.js';
import { RowOp, SOFTMAX_TABLE } from './rows-kernel.js';

export { relaxedSimdSupported } from './runtime.js';
export { WASM_UNARY, type WasmUnaryOp } from './elementwise-kernel.js';

let available: boolean | null = null;
let jobId = 0;
/** Below this many multiply-adds a worker's wake-up costs more than it saves. */
const PARALLEL_MIN_MACS = 1 << 20;
/** Elementwise jobs below this many elements stay on the main thread (~4 ns each: a wake-up costs more). */
const PARALLEL_MIN_ELEMENTS = 1 << 15;
/** A row job's chunks hold at least this many rows (fewer chunks, fewer trips to the shared counter). */
const MIN_CHUNK_ROWS = 64;

/** false if WebAssembly SIMD (or shared memory) is missing: the caller should fall back to plain TS. */
export function wasmAvailable(): boolean {
  if (available === null) available = simdSupported();
  return available;
}

/** 1 = main thread only; n = main thread plus n-1 workers (default: os.availableParallelism()). */
export function setWasmThreads(n: number): void { setThreads(wasmAvailable() ? runtime() : null, n); }

const align = (x: number) => Math.ceil(x / 64) * 64;

/**
 * out[b, i, j] = sum_k A[b,i,k] * B[b,k,j]; element (b,i,k) of A is at a[aOff + b*aBatchStride + i*aRowStride +
 * k*aColStride] (strides in elements, 0 for a broadcast batch); out is contiguous [batch, M, N] from outOff.
 */
export function matmulF32(a: Float32Array, aOff: number, aBatchStride: number, aRowStride: number, aColStride: number,
                          b: Float32Array, bOff: number, bBatchStride: number, bRowStride: number, bColStride: number,
                          out: Float32Array, outOff: number, batch: number, M: number, N: number, K: number): void {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  if (K <= 0) { out.fill(0, outOff, outOff + batch * M * N); return; }
  const rt = runtime();
  const threads = batch * M * N * K >= PARALLEL_MIN_MACS ? threadCount() : 1;
  const p = plan(batch, M, N, K, threads);
  const aSpan = (batch - 1) * aBatchStride + (M - 1) * aRowStride + (K - 1) * aColStride + 1;
  const bSpan = (batch - 1) * bBatchStride + (K - 1) * bRowStride + (N - 1) * bColStride + 1;
  const aBase = DATA_BASE, bBase = align(aBase + aSpan * 4), outBase = align(bBase + bSpan * 4);
  const scratchBase = align(outBase + batch * M * N * 4);
  const mem = rt.reserve(scratchBase + threads * p.scratchBytes);
  mem.set(a.subarray(aOff, aOff + aSpan), aBase / 4);
  mem.set(b.subarray(bOff, bOff + bSpan), bBase / 4);

  const c = new Int32Array(mem.buffer, 0, CTRL_BYTES / 4);
  lockJob(c);
  c[Ctl.kind] = JobKind.matmul;
  c[Ctl.jobId] = ++jobId;
  c[Ctl.kernel] = p.kernel;
  c[Ctl.aBase] = aBase; c[Ctl.aBS] = aBatchStride * 4; c[Ctl.aRS] = aRowStride * 4; c[Ctl.aCS] = aColStride * 4;
  c[Ctl.bBase] = bBase; c[Ctl.bBS] = bBatchStride * 4; c[Ctl.bRS] = bRowStride * 4; c[Ctl.bCS] = bColStride * 4;
  c[Ctl.outBase] = outBase; c[Ctl.batch] = batch; c[Ctl.M] = M; c[Ctl.N] = N; c[Ctl.K] = K;
  c[Ctl.MC] = p.MC; c[Ctl.KC] = p.KC; c[Ctl.chunksPerBatch] = p.chunksPerBatch;
  c[Ctl.scratchBase] = scratchBase; c[Ctl.scratchBytes] = p.scratchBytes;
  c[Ctl.total] = batch * p.chunksPerBatch;
  runJob(rt, c, threads);
  out.set(mem.subarray(outBase / 4, outBase / 4 + batch * M * N), outOff);
}

/** Copies arrays into wasm memory from address DATA_BASE on, 64-byte aligned; returns their byte addresses. */
function stage(arrays: (Float32Array | number)[]): { mem: Float32Array; at: number[] } {
  const rt = runtime();
  const at: number[] = [];
  let end = DATA_BASE;
  for (const x of arrays) { at.push(end); end = align(end + (typeof x === 'number' ? x : x.length) * 4); }
  const mem = rt.reserve(end);
  arrays.forEach((x, i) => { if (typeof x !== 'number') mem.set(x, at[i] / 4); });
  return { mem, at };
}

function fetch(mem: Float32Array, at: number, dst: Float32Array, n: number): void {
  dst.set(mem.subarray(at / 4, at / 4 + n));
}

/** Elements per block of the forward's copy-in, which overlaps the workers' compute (128 KiB: ~10–30 µs to copy). */
const COPY_BLOCK_ELEMENTS = 1 << 15;

/**
 * Runs row kernel `op` over contiguous [rows, cols] arrays `inputs`, staged at `at` (byte addresses; the
 * output goes over the last input), split into chunks of whole rows over the pool when the arrays are large.
 * The main thread copies the inputs in after waking the workers (the forward's by blocks of rows, so that a
 * worker computes the first rows while the rest are copied).
 */
function runRows(mem: Float32Array, op: RowOp, inputs: Float32Array[], at: number[], rows: number, cols: number): void {
  const threads = rows * cols >= PARALLEL_MIN_ELEMENTS && rows >= 2 * MIN_CHUNK_ROWS ? threadCount() : 1;
  // ~4 chunks per thread: a thread that starts late (a worker waking up) still gets a share
  const chunk = threads > 1 ? Math.max(MIN_CHUNK_ROWS, Math.ceil(rows / (4 * threads))) : rows;
  const c = new Int32Array(mem.buffer, 0, CTRL_BYTES / 4);
  lockJob(c);
  c[Ctl.kind] = JobKind.rows;
  c[Ctl.rowOp] = op;
  c[Ctl.rowIn0] = at[0]; c[Ctl.rowIn1] = inputs.length > 1 ? at[1] : 0; c[Ctl.rowOut] = at[inputs.length - 1];
  c[Ctl.rows] = rows; c[Ctl.cols] = cols; c[Ctl.rowChunk] = chunk;
  c[Ctl.total] = Math.ceil(rows / chunk);
  Atomics.store(c, Ctl.rowReady, 0);
  // only the forward overlaps: the backward's two inputs copied by blocks measured up to 3× slower at
  // [4096, 192] (see bench/NOTES.md), so its worker waits for the whole copy
  const block = threads > 1 && op === RowOp.softmax ? Math.max(1, Math.floor(COPY_BLOCK_ELEMENTS / cols)) : rows;
  runJob(runtime(), c, threads, () => {
    for (let r = 0; r < rows; r += block) {
      const end = Math.min(r + block, rows);
      inputs.forEach((x, i) => mem.set(x.subarray(r * cols, end * cols), at[i] / 4 + r * cols));
      Atomics.store(c, Ctl.rowReady, end);
    }
  });
}

/** softmax over the last axis of a contiguous [rows, cols] array (computed in place in wasm memory) */
export function softmaxF32(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  const n = rows * cols;
  if (n === 0) return;
  // the kernels read their constants from DATA_BASE, so the table is always staged first; x is copied by runRows
  const { mem, at } = stage([SOFTMAX_TABLE, n]);
  runRows(mem, RowOp.softmax, [x], [at[1]], rows, cols);
  fetch(mem, at[1], out, n);
}

// d softmax: dx = y * (g - sum(g * y)), written over the staged g
export function softmaxBackwardF32(y: Float32Array, g: Float32Array, out: Float32Array, rows: number, cols: number): void {
  const n = rows * cols;
  if (n === 0) return;
  const { mem, at } = stage([SOFTMAX_TABLE, n, n]);
  runRows(mem, RowOp.softmaxBackward, [y, g], [at[1], at[2]], rows, cols);
  fetch(mem, at[2], out, n);
}

/** y = (x - mean) * rstd * w + b over the last axis; also writes mean[rows] and rstd[rows] */
export function layerNormF32(x: Float32Array, w: Float32Array, b: Float32Array, y: Float32Array, mean: Float32Array,
                             rstd: Float32Array, rows: number, cols: number, eps: number): void {
  const n = rows * cols;
  if (n === 0) return;
  const { mem, at } = stage([x.subarray(0, n), w.subarray(0, cols), b.subarray(0, cols), n, rows, rows]);
  runtime().ex.layerNorm(at[0], at[1], at[2], at[3], at[4], at[5], rows, cols, eps);
  fetch(mem, at[3], y, n);
  fetch(mem, at[4], mean, rows);
  fetch(mem, at[5], rstd, rows);
}

/** layernorm backward: writes dx, and overwrites dw and db with their sums over rows */
export function layerNormBackwardF32(x: Float32Array, w: Float32Array, mean: Float32Array, rstd: Float32Array,
                                     g: Float32Array, dx: Float32Array, dw: Float32Array, db: Float32Array,
                                     rows: number, cols: number): void {
  if (cols === 0) return;
  const n = rows * cols;
  const { mem, at } = stage([x.subarray(0, n), w.subarray(0, cols), mean.subarray(0, rows), rstd.subarray(0, rows),
    g.subarray(0, n), n, cols, cols]);
  runtime().ex.layerNormBackward(at[0], at[1], at[2], at[3], at[4], at[5], at[6], at[7], rows, cols);
  fetch(mem, at[5], dx, n);
  fetch(mem, at[6], dw, cols);
  fetch(mem, at[7], db, cols);
}

/** Runs elementwise op `op` (an index into WASM_UNARY, or GELU_BACKWARD) over n staged elements, threaded when large. */
function runElementwise(op: number, inputs: Float32Array[], out: Float32Array, n: number): void {
  if (n === 0) return;
  const rt = runtime();
  // the kernels take two elements per step: the staged spans are padded to 16 bytes, so round n up to 4
  const padded = Math.ceil(n / 4) * 4;
  const { mem, at } = stage([...inputs.map((x) => x.subarray(0, n)), padded]);
  const threads = n >= PARALLEL_MIN_ELEMENTS ? threadCount() : 1;
  const chunk = threads > 1 ? Math.max(4096, Math.ceil(padded / (8 * threads) / 4) * 4) : padded;
  const c = new Int32Array(mem.buffer, 0, CTRL_BYTES / 4);
  lockJob(c);
  c[Ctl.kind] = JobKind.elementwise;
  c[Ctl.ewOp] = op;
  c[Ctl.ewIn0] = at[0]; c[Ctl.ewIn1] = inputs.length > 1 ? at[1] : 0; c[Ctl.ewOut] = at[inputs.length];
  c[Ctl.ewCount] = padded; c[Ctl.ewChunk] = chunk;
  c[Ctl.total] = Math.ceil(padded / chunk);
  runJob(rt, c, threads);
  fetch(mem, at[inputs.length], out, n);
}

/** out[i] = op(x[i]) for i < x.length, float32 */
export function unaryF32(op: WasmUnaryOp, x: Float32Array, out: Float32Array): void {
  runElementwise(WASM_UNARY.indexOf(op), [x], out, x.length);
}

// d gelu: dx = grad · (Φ(x) + x φ(x)), in one pass
export function geluBackwardF32(grad: Float32Array, x: Float32Array, out: Float32Array): void {
  runElementwise(GELU_BACKWARD, [grad, x], out, x.length);
}

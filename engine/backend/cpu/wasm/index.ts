// WebAssembly SIMD kernels, emitted at run time (no prebuilt binary): a packed, register-blocked GEMM that
// can use worker threads, and fused row kernels. Every call is synchronous. Operands that live in the shared
// wasm memory (tensor storage from `residentF32`) are used in place; others are copied into temporary blocks,
// and results copied back out of them.
import { MAX_BYTES, runtime, SHARED, simdSupported } from './runtime.js';
import { CTRL_BYTES, Ctl, DATA_BASE, JobKind } from './protocol.js';
import { plan } from './matmul.js';
import { GELU32, GELU32_BACKWARD, GELU32_WITH_GRAD, GELU_BACKWARD, WASM_UNARY, type WasmUnaryOp } from './elementwise-kernel.js';
import { lockJob, runJob, setThreads, tellWhyOneThread, threadCount } from './pool.js';
import { WasmHeap } from './heap.js';
import { envMiB } from '../../../env.js';
import { f32Bits, RowOp, SOFTMAX_TABLE } from './rows-kernel.js';

export { relaxedSimdSupported } from './runtime.js';
export { WASM_UNARY, type WasmUnaryOp } from './elementwise-kernel.js';

let available: boolean | null = null;
let jobId = 0;
let theHeap: WasmHeap | null = null;
/** Below this many multiply-adds a worker's wake-up costs more than it saves. */
const PARALLEL_MIN_MACS = 1 << 20;
/** Elementwise jobs below this many elements stay on the main thread (~4 ns each: a wake-up costs more). */
const PARALLEL_MIN_ELEMENTS = 1 << 15;
/** A row job's chunks hold at least this many rows (fewer chunks, fewer trips to the shared counter). */
const MIN_CHUNK_ROWS = 64;
/** Tensor storage in wasm memory is capped (TLEG_WASM_HEAP_MB, default 1024; 0 turns it off): past it, ordinary arrays. */
const TENSOR_CAP_BYTES = SHARED ? envMiB('TLEG_WASM_HEAP_MB', 1024) : 0;

/** false if WebAssembly SIMD (or shared memory) is missing: the caller should fall back to plain TS. */
export function wasmAvailable(): boolean {
  if (available === null) {
    available = simdSupported();
    if (available) tellWhyOneThread();
  }
  return available;
}

/** 1 = main thread only; n = main thread plus n-1 workers (default: os.availableParallelism()). */
export function setWasmThreads(n: number): void { setThreads(wasmAvailable() ? runtime() : null, n); }

function heap(): WasmHeap {
  if (!theHeap) {
    const rt = runtime();
    // the softmax kernels read their constants at DATA_BASE: written once, below every block
    rt.reserve(DATA_BASE + SOFTMAX_TABLE.byteLength).set(SOFTMAX_TABLE, DATA_BASE / 4);
    theHeap = new WasmHeap(rt, DATA_BASE + SOFTMAX_TABLE.byteLength, TENSOR_CAP_BYTES, MAX_BYTES);
  }
  return theHeap;
}

/**
 * A float32 array of n elements inside the wasm memory, which the kernels use without copying; null when
 * wasm is unavailable or the cap is reached (the caller then allocates an ordinary array). Give it back with
 * `freeResidentF32` (the cpu device does, when the tensor's storage is released).
 */
export function residentF32(n: number): Float32Array | null {
  if (TENSOR_CAP_BYTES <= 0 || !wasmAvailable()) return null;
  return heap().tensorArray(n);
}

/** Returns an array from residentF32; false (and nothing done) for any other array. */
export function freeResidentF32(a: Float32Array): boolean {
  return theHeap !== null && theHeap.freeTensorArray(a);
}

/** Bytes of tensor storage held in wasm memory now. */
export function residentBytes(): number { return theHeap?.tensorBytes ?? 0; }

/**
 * One call's operands: each gets a byte address, its own when it already lives in wasm memory, else a
 * temporary block (inputs copied in). `finish` copies the temporary outputs back and frees every block.
 */
export class Staging {
  private readonly temps: number[] = [];
  private readonly outs: { at: number; dst: Float32Array }[] = [];
  constructor(readonly h: WasmHeap) {}

  temp(n: number): number {
    const at = this.h.alloc(n * 4);
    if (at < 0) {
      this.release();
      throw new Error(`wasm: a kernel needs ${n * 4} more bytes of wasm memory, past its ${MAX_BYTES} byte limit; free tensors (dispose, scope) or use smaller batches`);
    }
    this.temps.push(at);
    return at;
  }

  resident(x: Float32Array): number { return this.h.addressOf(x); }

  /** x's address; copied in now unless `copy` is false (the caller copies it itself). */
  input(x: Float32Array, copy = true): number {
    const own = this.h.addressOf(x);
    if (own >= 0) return own;
    const at = this.temp(x.length);
    if (copy) this.h.view().set(x, at / 4);
    return at;
  }

  /**
   * Where a kernel may write `padded` ≥ dst.length floats for dst: dst itself when it is a whole wasm block
   * that large, else `reuse` (a temporary input block it may overwrite) or a new block, copied to dst by finish.
   */
  output(dst: Float32Array, padded = dst.length, reuse = -1): number {
    const own = this.h.addressOf(dst);
    if (own >= 0 && this.h.blockBytes(own) >= padded * 4) return own;
    const at = this.temps.includes(reuse) ? reuse : this.temp(padded);
    this.outs.push({ at, dst });
    return at;
  }

  finish(): void {
    const mem = this.h.view();
    for (const { at, dst } of this.outs) dst.set(mem.subarray(at / 4, at / 4 + dst.length));
    this.release();
  }

  release(): void {
    for (const at of this.temps) this.h.free(at);
    this.temps.length = 0;
  }
}

/** Runs fn with a Staging, copying outputs back on success and freeing the temporary blocks either way. */
export function staged<T>(fn: (s: Staging) => T): T {
  const s = new Staging(heap());
  try {
    const r = fn(s);
    s.finish();
    return r;
  } finally {
    s.release();
  }
}

/**
 * out[b, i, j] = sum_k A[b,i,k] * B[b,k,j] (+ bias[j]) (+ residual[b, i, j]); element (b,i,k) of A is at
 * a[aOff + b*aBatchStride + i*aRowStride + k*aColStride] (strides in elements, 0 for a broadcast batch); out
 * and residual are contiguous [batch, M, N] (out from outOff). Bias and residual are added to each finished
 * float32 sum, in that order, as separate adds would.
 */
export function matmulF32(a: Float32Array, aOff: number, aBatchStride: number, aRowStride: number, aColStride: number,
                          b: Float32Array, bOff: number, bBatchStride: number, bRowStride: number, bColStride: number,
                          out: Float32Array, outOff: number, batch: number, M: number, N: number, K: number,
                          bias: Float32Array | null = null, residual: Float32Array | null = null): void {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  if (K <= 0) {
    out.fill(0, outOff, outOff + batch * M * N);
    if (bias) for (let r = 0; r < batch * M; r++) for (let j = 0; j < N; j++) out[outOff + r * N + j] = bias[j];
    if (residual) for (let i = 0; i < batch * M * N; i++) out[outOff + i] = Math.fround(out[outOff + i] + residual[i]);
    return;
  }
  const rt = runtime();
  const threads = batch * M * N * K >= PARALLEL_MIN_MACS ? threadCount() : 1;
  const p = plan(batch, M, N, K, threads);
  const aSpan = (batch - 1) * aBatchStride + (M - 1) * aRowStride + (K - 1) * aColStride + 1;
  const bSpan = (batch - 1) * bBatchStride + (K - 1) * bRowStride + (N - 1) * bColStride + 1;
  staged((s) => {
    const aBase = s.input(a.subarray(aOff, aOff + aSpan));
    const bBase = s.input(b.subarray(bOff, bOff + bSpan));
    const outBase = s.output(out.subarray(outOff, outOff + batch * M * N));
    const resBase = residual ? s.input(residual.subarray(0, batch * M * N)) : 0;
    const scratchBase = s.temp(threads * p.scratchBytes / 4);
    // the kernel reads the bias a whole panel at a time: a copy padded with zeros
    let biasBase = 0;
    if (bias) {
      biasBase = s.temp(p.Np);
      const mem = s.h.view();
      mem.set(bias.subarray(0, N), biasBase / 4);
      mem.fill(0, biasBase / 4 + N, biasBase / 4 + p.Np);
    }
    const c = new Int32Array(s.h.view().buffer, 0, CTRL_BYTES / 4);
    lockJob(c);
    c[Ctl.kind] = JobKind.matmul;
    c[Ctl.jobId] = ++jobId;
    c[Ctl.kernel] = p.kernel;
    c[Ctl.aBase] = aBase; c[Ctl.aBS] = aBatchStride * 4; c[Ctl.aRS] = aRowStride * 4; c[Ctl.aCS] = aColStride * 4;
    c[Ctl.bBase] = bBase; c[Ctl.bBS] = bBatchStride * 4; c[Ctl.bRS] = bRowStride * 4; c[Ctl.bCS] = bColStride * 4;
    c[Ctl.outBase] = outBase; c[Ctl.biasBase] = biasBase; c[Ctl.resBase] = resBase; c[Ctl.batch] = batch; c[Ctl.M] = M; c[Ctl.N] = N; c[Ctl.K] = K;
    c[Ctl.MC] = p.MC; c[Ctl.KC] = p.KC; c[Ctl.chunksPerBatch] = p.chunksPerBatch;
    c[Ctl.scratchBase] = scratchBase; c[Ctl.scratchBytes] = p.scratchBytes;
    c[Ctl.total] = batch * p.chunksPerBatch;
    runJob(rt, c, threads);
  });
}

/** Elements per block of the forward's copy-in, which overlaps the workers' compute (128 KiB: ~10–30 µs to copy). */
const COPY_BLOCK_ELEMENTS = 1 << 15;

/**
 * Runs row job `op` over [rows, cols]: sets the common control slots, lets `fill` set the op's addresses, and
 * splits the rows into chunks over the pool when the job is large (`chunk` rows each; by default ~4 chunks
 * per thread, so a thread that starts late, a worker waking up, still gets a share). `stage`, if given, runs on
 * the main thread after the workers are woken: it copies inputs in and publishes the rows staged so far in
 * Ctl.rowReady, and a worker computes a chunk's rows as soon as they are there.
 */
function runRowJob(s: Staging, op: RowOp, rows: number, cols: number, fill: (c: Int32Array) => void,
                   opts: { chunk?: number; stage?: (c: Int32Array, threads: number) => void } = {}): void {
  const threads = rows * cols >= PARALLEL_MIN_ELEMENTS && rows >= 2 * MIN_CHUNK_ROWS ? threadCount() : 1;
  const chunk = opts.chunk ?? (threads > 1 ? Math.max(MIN_CHUNK_ROWS, Math.ceil(rows / (4 * threads))) : rows);
  const c = new Int32Array(s.h.view().buffer, 0, CTRL_BYTES / 4);
  lockJob(c);
  c[Ctl.kind] = JobKind.rows;
  c[Ctl.rowOp] = op;
  c[Ctl.rows] = rows; c[Ctl.cols] = cols; c[Ctl.rowChunk] = chunk;
  c[Ctl.total] = Math.ceil(rows / chunk);
  Atomics.store(c, Ctl.rowReady, opts.stage ? 0 : rows);
  fill(c);
  const stage = opts.stage;
  runJob(runtime(), c, threads, stage && (() => stage(c, threads)));
}

/**
 * Softmax or its backward over contiguous [rows, cols] arrays `inputs` (at byte addresses `at`; `copyIn` says
 * which must still be copied there) into `outAt`. The forward's inputs are copied by blocks of rows while the
 * workers compute the first ones.
 */
function runSoftmaxRows(s: Staging, op: RowOp, inputs: Float32Array[], at: number[], copyIn: boolean[], outAt: number,
                        rows: number, cols: number): void {
  const copies = inputs.map((x, i) => ({ x, at: at[i] })).filter((_, i) => copyIn[i]);
  const fill = (c: Int32Array) => {
    c[Ctl.rowIn0] = at[0]; c[Ctl.rowIn1] = inputs.length > 1 ? at[1] : 0; c[Ctl.rowOut] = outAt;
  };
  const stage = (c: Int32Array, threads: number) => {
    // only the forward overlaps: the backward's two inputs copied by blocks measured up to 3× slower at
    // [4096, 192] (see bench/NOTES.md), so its worker waits for the whole copy
    const block = threads > 1 && op === RowOp.softmax ? Math.max(1, Math.floor(COPY_BLOCK_ELEMENTS / cols)) : rows;
    const mem = s.h.view();
    for (let r = 0; r < rows; r += block) {
      const end = Math.min(r + block, rows);
      for (const { x, at: a } of copies) mem.set(x.subarray(r * cols, end * cols), a / 4 + r * cols);
      Atomics.store(c, Ctl.rowReady, end);
    }
  };
  runRowJob(s, op, rows, cols, fill, copies.length > 0 ? { stage } : {});
}

/** softmax over the last axis of a contiguous [rows, cols] array */
export function softmaxF32(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  const n = rows * cols;
  if (n === 0) return;
  staged((s) => {
    const xs = x.subarray(0, n), copy = s.resident(xs) < 0;
    const xAt = s.input(xs, false);
    // y may overwrite a temporary x (the kernel finishes reading a row before writing it)
    const yAt = s.output(out.subarray(0, n), n, xAt);
    runSoftmaxRows(s, RowOp.softmax, [xs], [xAt], [copy], yAt, rows, cols);
  });
}

// d softmax: dx = y * (g - sum(g * y))
export function softmaxBackwardF32(y: Float32Array, g: Float32Array, out: Float32Array, rows: number, cols: number): void {
  const n = rows * cols;
  if (n === 0) return;
  staged((s) => {
    const ys = y.subarray(0, n), gs = g.subarray(0, n);
    const copy = [s.resident(ys) < 0, s.resident(gs) < 0];
    const yAt = s.input(ys, false), gAt = s.input(gs, false);
    const dxAt = s.output(out.subarray(0, n), n, gAt);
    runSoftmaxRows(s, RowOp.softmaxBackward, [ys, gs], [yAt, gAt], copy, dxAt, rows, cols);
  });
}

/** Rows per chunk of the layernorm backward: fixed, so its dw and db (the chunks' partial sums, added in chunk
 * order) do not depend on the thread count. */
const LAYERNORM_BACKWARD_CHUNK_ROWS = 128;

/** y = (x - mean) * rstd * w + b over the last axis; also writes mean[rows] and rstd[rows] */
export function layerNormF32(x: Float32Array, w: Float32Array, b: Float32Array, y: Float32Array, mean: Float32Array,
                             rstd: Float32Array, rows: number, cols: number, eps: number): void {
  const n = rows * cols;
  if (n === 0) return;
  staged((s) => {
    const xAt = s.input(x.subarray(0, n)), wAt = s.input(w.subarray(0, cols)), bAt = s.input(b.subarray(0, cols));
    const yAt = s.output(y.subarray(0, n)), meanAt = s.output(mean.subarray(0, rows)), rstdAt = s.output(rstd.subarray(0, rows));
    runRowJob(s, RowOp.layerNorm, rows, cols, (c) => {
      c[Ctl.rowIn0] = xAt; c[Ctl.rowOut] = yAt;
      c[Ctl.rowArg0] = wAt; c[Ctl.rowArg1] = bAt; c[Ctl.rowArg2] = meanAt; c[Ctl.rowArg3] = rstdAt; c[Ctl.rowArg4] = f32Bits(eps);
    });
  });
}

/** layernorm backward: writes dx, and overwrites dw and db with their sums over rows */
export function layerNormBackwardF32(x: Float32Array, w: Float32Array, mean: Float32Array, rstd: Float32Array,
                                     g: Float32Array, dx: Float32Array, dw: Float32Array, db: Float32Array,
                                     rows: number, cols: number): void {
  if (cols === 0) return;
  const n = rows * cols;
  if (rows === 0) { dw.fill(0, 0, cols); db.fill(0, 0, cols); return; }
  staged((s) => {
    const xAt = s.input(x.subarray(0, n)), wAt = s.input(w.subarray(0, cols)), meanAt = s.input(mean.subarray(0, rows));
    const rstdAt = s.input(rstd.subarray(0, rows)), gAt = s.input(g.subarray(0, n));
    const dxAt = s.output(dx.subarray(0, n)), dwAt = s.output(dw.subarray(0, cols)), dbAt = s.output(db.subarray(0, cols));
    const chunk = LAYERNORM_BACKWARD_CHUNK_ROWS, chunks = Math.ceil(rows / chunk);
    const dwParts = s.temp(chunks * cols), dbParts = s.temp(chunks * cols);
    runRowJob(s, RowOp.layerNormBackward, rows, cols, (c) => {
      c[Ctl.rowIn0] = xAt; c[Ctl.rowIn1] = gAt; c[Ctl.rowOut] = dxAt;
      c[Ctl.rowArg0] = wAt; c[Ctl.rowArg1] = meanAt; c[Ctl.rowArg2] = rstdAt; c[Ctl.rowArg3] = dwParts; c[Ctl.rowArg4] = dbParts;
    }, { chunk });
    const mem = s.h.view();
    for (const [parts, out] of [[dwParts, dwAt], [dbParts, dbAt]]) {
      for (let j = 0; j < cols; j++) {
        let sum = 0;
        for (let q = 0; q < chunks; q++) sum += mem[parts / 4 + q * cols + j];
        mem[out / 4 + j] = sum;
      }
    }
  });
}

/** Runs elementwise op `op` (an index into WASM_UNARY, or GELU_BACKWARD) over n staged elements, threaded when large. */
function runElementwise(op: number, inputs: Float32Array[], out: Float32Array, n: number, out2?: Float32Array): void {
  if (n === 0) return;
  const rt = runtime();
  // the kernels take two elements per step and may write up to 4-aligned: the output needs room for that
  const padded = Math.ceil(n / 4) * 4;
  staged((s) => {
    const at = inputs.map((x) => s.input(x.subarray(0, n)));
    // a second output (gelu32WithGrad's d) takes the second input's slot
    if (out2) at.push(s.output(out2.subarray(0, n), padded));
    const outAt = s.output(out.subarray(0, n), padded);
    const threads = n >= PARALLEL_MIN_ELEMENTS ? threadCount() : 1;
    const chunk = threads > 1 ? Math.max(4096, Math.ceil(padded / (8 * threads) / 4) * 4) : padded;
    const c = new Int32Array(s.h.view().buffer, 0, CTRL_BYTES / 4);
    lockJob(c);
    c[Ctl.kind] = JobKind.elementwise;
    c[Ctl.ewOp] = op;
    c[Ctl.ewIn0] = at[0]; c[Ctl.ewIn1] = at.length > 1 ? at[1] : 0; c[Ctl.ewOut] = outAt;
    c[Ctl.ewCount] = padded; c[Ctl.ewChunk] = chunk;
    c[Ctl.total] = Math.ceil(padded / chunk);
    runJob(rt, c, threads);
  });
}

/** out[i] = op(x[i]) for i < x.length, float32 */
export function unaryF32(op: WasmUnaryOp, x: Float32Array, out: Float32Array): void {
  runElementwise(WASM_UNARY.indexOf(op), [x], out, x.length);
}

// d gelu: dx = grad · (Φ(x) + x φ(x)), in one pass
export function geluBackwardF32(grad: Float32Array, x: Float32Array, out: Float32Array): void {
  runElementwise(GELU_BACKWARD, [grad, x], out, x.length);
}

/** gelu(x) on f32x4 (gelu32-kernel.ts: 1e-6 relative, the f64x2 `unaryF32('gelu')` is its reference) */
export function gelu32F32(x: Float32Array, out: Float32Array): void {
  runElementwise(GELU32, [x], out, x.length);
}

/** y = gelu(x) and d = gelu'(x) on f32x4 in one pass (gelu32-kernel.ts; equal to gelu32F32 and gelu32BackwardF32 with grad 1) */
export function gelu32WithGradF32(x: Float32Array, y: Float32Array, d: Float32Array): void {
  runElementwise(GELU32_WITH_GRAD, [x], y, x.length, d);
}

/** grad · gelu'(x) on f32x4 (gelu32-kernel.ts; reference: geluBackwardF32) */
export function gelu32BackwardF32(grad: Float32Array, x: Float32Array, out: Float32Array): void {
  runElementwise(GELU32_BACKWARD, [grad, x], out, x.length);
}

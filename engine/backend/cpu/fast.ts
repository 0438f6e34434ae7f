// Fast float32 paths for the cpu backend: WebAssembly SIMD kernels emitted at run time
// (engine/backend/cpu/wasm). float64 and the kernels below fall back to the TypeScript reference.
import type { TypedArray } from '../../dtype.js';
import { envVar } from '../../host.js';
import {
  gelu32BackwardF32, gelu32F32, gelu32WithGradF32, layerNormBackwardF32, layerNormF32, matmulF32, softmaxBackwardF32, softmaxF32, unaryF32, WASM_UNARY,
  wasmAvailable, type WasmUnaryOp,
} from './wasm/index.js';
import type { BinaryOp, FusedKernels, SyncKernels, UnaryOp, View } from '../interface.js';
import { attentionBackwardF32, attentionF32 } from './wasm/attention.js';
import { binaryBroadcastF32, copyStridedF32, sumRowsF32 } from './wasm/broadcast.js';
import { isContiguous, numel } from '../../layout.js';
import { matmulReference } from './matmul.js';
import { layerNormBackwardRows, layerNormRows, softmaxBackwardRows, softmaxRows } from './rows.js';

type Fast = Pick<SyncKernels, 'matmul' | 'softmax' | 'softmaxBackward' | 'layerNorm' | 'layerNormBackward'>;

/** Below this many elements the copies into wasm memory and the call cost more than the JS loop. */
const ELEMENTWISE_MIN = 4096;
const WASM_OPS = new Set<string>(WASM_UNARY);

/** The view's elements as one contiguous float32 span, or null (strided, broadcast, float64, small). */
function f32Span(v: View): Float32Array | null {
  if (!(v.data instanceof Float32Array) || !isContiguous(v.layout)) return null;
  const n = numel(v.layout.shape);
  return n >= ELEMENTWISE_MIN ? v.data.subarray(v.layout.offset, v.layout.offset + n) : null;
}

let enabled = envVar('TLEG_CPU_KERNELS') !== 'reference';

/** 'wasm' (default when WebAssembly SIMD is present) or 'reference' (plain TypeScript), for tests and benchmarks. */
export function setCpuKernels(kind: 'wasm' | 'reference'): void {
  enabled = kind === 'wasm';
}

export function cpuKernelsInUse(): 'wasm' | 'reference' {
  return enabled && wasmAvailable() ? 'wasm' : 'reference';
}

const isF32 = (...xs: (TypedArray | null)[]): boolean => xs.every((x) => x === null || x instanceof Float32Array);

const ones = new Map<number, Float32Array>();
const zeros = new Map<number, Float32Array>();
function constant(cache: Map<number, Float32Array>, n: number, v: number): Float32Array {
  let a = cache.get(n);
  if (!a) { a = new Float32Array(n).fill(v); cache.set(n, a); }
  return a;
}

/** Runs the unary op in wasm when it has a kernel there and the arrays suit; false: the caller runs it in TS. */
export function unaryFast(op: UnaryOp, x: View, out: TypedArray): boolean {
  if (!enabled || !WASM_OPS.has(op) || !(out instanceof Float32Array)) return false;
  const xs = f32Span(x);
  if (!xs || !wasmAvailable()) return false;
  // gelu: the f32x4 kernel (gelu32-kernel.ts), 2–4× the f64x2 one and as accurate to 1e-6 over float32's normal range
  if (op === 'gelu') gelu32F32(xs, out);
  else unaryF32(op as WasmUnaryOp, xs, out);
  return true;
}

/** gelu and its derivative in one f32x4 pass (gelu32-kernel.ts); false: the caller runs the two unary kernels. */
export function geluWithGradFast(x: View, out: TypedArray, grad: TypedArray): boolean {
  if (!enabled || !(out instanceof Float32Array) || !(grad instanceof Float32Array)) return false;
  const xs = f32Span(x);
  if (!xs || !wasmAvailable()) return false;
  gelu32WithGradF32(xs, out, grad);
  return true;
}

/** The same for binary ops: add, sub, mul, div over row-broadcast views (broadcast.ts), and the fused gelu backward (the f32x4 one, as gelu). */
export function binaryFast(op: BinaryOp, a: View, b: View, out: TypedArray): boolean {
  if (enabled && op !== 'geluBackward') return binaryBroadcastF32(op, a, b, out);
  if (!enabled || op !== 'geluBackward' || !(out instanceof Float32Array)) return false;
  const as = f32Span(a), bs = f32Span(b);
  if (!as || !bs || !wasmAvailable()) return false;
  gelu32BackwardF32(as, bs, out);
  return true;
}

/** A strided float32 copy into a contiguous array in wasm; false: the caller runs the TypeScript loop. */
export function copyFast(src: View, dst: View): boolean {
  return enabled && copyStridedF32(src, dst);
}

/** Σ over the rows of a contiguous float32 [rows, cols] (a bias gradient) in wasm, float64 accumulators as the TypeScript loop. */
export function sumRowsFast(x: TypedArray, offset: number, rows: number, cols: number, out: TypedArray): boolean {
  return enabled && out instanceof Float32Array && sumRowsF32(x, offset, rows, cols, out);
}

export const fastKernels: Fast = {
  matmul: (a, b, out, batch, M, N, K) => {
    if (!enabled || !isF32(a.data, b.data, out) || !wasmAvailable()) return matmulReference(a, b, out, batch, M, N, K);
    const [asb, asr, asc] = a.layout.strides;
    const [bsb, bsr, bsc] = b.layout.strides;
    matmulF32(a.data as Float32Array, a.layout.offset, asb, asr, asc, b.data as Float32Array, b.layout.offset, bsb, bsr, bsc, out as Float32Array, 0, batch, M, N, K);
  },
  softmax: (x, out, rows, cols, log) => {
    if (!enabled || log || !isF32(x, out) || !wasmAvailable()) return softmaxRows(x, out, rows, cols, log);
    softmaxF32(x as Float32Array, out as Float32Array, rows, cols);
  },
  softmaxBackward: (y, g, out, rows, cols, log) => {
    if (!enabled || log || !isF32(y, g, out) || !wasmAvailable()) return softmaxBackwardRows(y, g, out, rows, cols, log);
    softmaxBackwardF32(y as Float32Array, g as Float32Array, out as Float32Array, rows, cols);
  },
  layerNorm: (x, w, b, y, mean, rstd, rows, cols, eps) => {
    if (!enabled || !isF32(x, w, b, y, mean, rstd) || !wasmAvailable()) return layerNormRows(x, w, b, y, mean, rstd, rows, cols, eps);
    layerNormF32(x as Float32Array, (w ?? constant(ones, cols, 1)) as Float32Array, (b ?? constant(zeros, cols, 0)) as Float32Array, y as Float32Array, mean as Float32Array, rstd as Float32Array, rows, cols, eps);
  },
  layerNormBackward: (x, w, mean, rstd, g, dx, dw, db, rows, cols) => {
    if (!enabled || !isF32(x, w, mean, rstd, g, dx) || !wasmAvailable()) return layerNormBackwardRows(x, w, mean, rstd, g, dx, dw, db, rows, cols);
    const dwOut = (dw ?? new Float32Array(cols)) as Float32Array;
    const dbOut = (db ?? new Float32Array(cols)) as Float32Array;
    layerNormBackwardF32(x as Float32Array, (w ?? constant(ones, cols, 1)) as Float32Array, mean as Float32Array, rstd as Float32Array, g as Float32Array, dx as Float32Array, dwOut, dbOut, rows, cols);
  },
};

/**
 * Linear with its bias and residual added in the GEMM's store, and the attention (wasm/attention.ts), for float32
 * in wasm; false elsewhere (the op then runs its composed path).
 */
export const fusedKernels: FusedKernels = {
  linear: (a, b, bias, residual, out, M, N, K) => {
    if (!enabled || !isF32(a.data, b.data, bias?.data ?? null, residual?.data ?? null, out) || !wasmAvailable()) return false;
    if ((bias && bias.layout.strides[0] !== 1) || (residual && !isContiguous(residual.layout))) return false;
    const [asb, asr, asc] = a.layout.strides;
    const [bsb, bsr, bsc] = b.layout.strides;
    const span = (v: View | null, n: number) => (v ? (v.data as Float32Array).subarray(v.layout.offset, v.layout.offset + n) : null);
    matmulF32(a.data as Float32Array, a.layout.offset, asb, asr, asc, b.data as Float32Array, b.layout.offset, bsb, bsr, bsc,
      out as Float32Array, 0, 1, M, N, K, span(bias, N), span(residual, M * N));
    return true;
  },
  attention: (q, k, v, out, p, shape) => {
    if (!enabled || !isF32(q, k, v, out, p) || !wasmAvailable()) return false;
    attentionF32(q as Float32Array, k as Float32Array, v as Float32Array, out as Float32Array, p as Float32Array | null, shape);
    return true;
  },
  attentionBackward: (dy, q, k, v, p, dq, dk, dv, shape) => {
    if (!enabled || !isF32(dy, q, k, v, p, dq, dk, dv) || !wasmAvailable()) return false;
    attentionBackwardF32(dy as Float32Array, q as Float32Array, k as Float32Array, v as Float32Array, p as Float32Array,
      dq as Float32Array | null, dk as Float32Array | null, dv as Float32Array | null, shape);
    return true;
  },
};

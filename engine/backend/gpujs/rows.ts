// Row kernels over the last axis of contiguous [rows, cols] arrays: softmax and layernorm, forward and backward.
//
// Each op is a per-row reduction kernel (one thread per row, output [rows]) feeding an elementwise
// kernel (output [cols, rows], x = column). Per-row statistics round-trip through the host; they are
// rows floats, small next to the data.
import { cachedKernel, launch, maxIndexedFloats, type KernelThis, type Op } from './cache.js';
import type { GpuMode } from './setup.js';

export interface Cols {
  cols: number;
}
export interface ColsEps extends Cols {
  eps: number;
}
export interface RowsCols extends Cols {
  rows: number;
}

// lse = max + log Σ exp(x - max); softmax = exp(x - lse)
export function rowLogSumExp(this: KernelThis<Cols>, x: Float32Array): number {
  const base = this.thread.x * this.constants.cols;
  let max = x[base];
  for (let j = 1; j < this.constants.cols; j++) {
    max = Math.max(max, x[base + j]);
  }
  let sum = 0;
  for (let j = 0; j < this.constants.cols; j++) {
    sum += Math.exp(x[base + j] - max);
  }
  return max + Math.log(sum);
}

export function softmaxKernel(this: KernelThis<Cols>, x: Float32Array, lse: Float32Array): number {
  return Math.exp(x[this.thread.y * this.constants.cols + this.thread.x] - lse[this.thread.y]);
}

export function rowDot(this: KernelThis<Cols>, y: Float32Array, g: Float32Array): number {
  const base = this.thread.x * this.constants.cols;
  let sum = 0;
  for (let j = 0; j < this.constants.cols; j++) {
    sum += y[base + j] * g[base + j];
  }
  return sum;
}

// d softmax: y * (g - sum(g * y))
export function softmaxBackwardKernel(this: KernelThis<Cols>, y: Float32Array, g: Float32Array, dot: Float32Array): number {
  const i = this.thread.y * this.constants.cols + this.thread.x;
  return y[i] * (g[i] - dot[this.thread.y]);
}

export function rowMean(this: KernelThis<Cols>, x: Float32Array): number {
  const base = this.thread.x * this.constants.cols;
  let sum = 0;
  for (let j = 0; j < this.constants.cols; j++) {
    sum += x[base + j];
  }
  return sum / this.constants.cols;
}

// rstd = 1 / sqrt(mean((x - mean)²) + eps), the biased variance as in PyTorch
export function rowRstd(this: KernelThis<ColsEps>, x: Float32Array, mean: Float32Array): number {
  const base = this.thread.x * this.constants.cols;
  const m = mean[this.thread.x];
  let sum = 0;
  for (let j = 0; j < this.constants.cols; j++) {
    const d = x[base + j] - m;
    sum += d * d;
  }
  return 1 / Math.sqrt(sum / this.constants.cols + this.constants.eps);
}

// y = (x - mean) * rstd * w + b
export function layerNormKernel(this: KernelThis<Cols>, x: Float32Array, w: Float32Array, b: Float32Array, mean: Float32Array, rstd: Float32Array): number {
  const r = this.thread.y;
  const c = this.thread.x;
  return (x[r * this.constants.cols + c] - mean[r]) * rstd[r] * w[c] + b[c];
}

// c1 = mean_j(g w)
export function rowMeanGw(this: KernelThis<Cols>, g: Float32Array, w: Float32Array): number {
  const base = this.thread.x * this.constants.cols;
  let sum = 0;
  for (let j = 0; j < this.constants.cols; j++) {
    sum += g[base + j] * w[j];
  }
  return sum / this.constants.cols;
}

// c2 = mean_j(g w x̂), x̂ = (x - mean) rstd
export function rowMeanGwXhat(this: KernelThis<Cols>, x: Float32Array, w: Float32Array, g: Float32Array, mean: Float32Array, rstd: Float32Array): number {
  const base = this.thread.x * this.constants.cols;
  const m = mean[this.thread.x];
  const s = rstd[this.thread.x];
  let sum = 0;
  for (let j = 0; j < this.constants.cols; j++) {
    sum += g[base + j] * w[j] * (x[base + j] - m) * s;
  }
  return sum / this.constants.cols;
}

// d layernorm: dx = rstd (g w - c1 - x̂ c2)
export function layerNormDxKernel(this: KernelThis<Cols>, x: Float32Array, w: Float32Array, g: Float32Array, mean: Float32Array, rstd: Float32Array, c1: Float32Array, c2: Float32Array): number {
  const r = this.thread.y;
  const c = this.thread.x;
  const i = r * this.constants.cols + c;
  const xhat = (x[i] - mean[r]) * rstd[r];
  return rstd[r] * (g[i] * w[c] - c1[r] - xhat * c2[r]);
}

// dw = Σ_rows g x̂
export function layerNormDwKernel(this: KernelThis<RowsCols>, x: Float32Array, g: Float32Array, mean: Float32Array, rstd: Float32Array): number {
  let i = this.thread.x;
  let sum = 0;
  for (let r = 0; r < this.constants.rows; r++) {
    sum += g[i] * (x[i] - mean[r]) * rstd[r];
    i += this.constants.cols;
  }
  return sum;
}

// db = Σ_rows g
export function layerNormDbKernel(this: KernelThis<RowsCols>, g: Float32Array): number {
  let i = this.thread.x;
  let sum = 0;
  for (let r = 0; r < this.constants.rows; r++) {
    sum += g[i];
    i += this.constants.cols;
  }
  return sum;
}

/** Row ranges [start, end) small enough for one launch to index exactly on this mode. */
function* rowChunks(mode: GpuMode, op: string, rows: number, cols: number): Generator<[number, number]> {
  const limit = maxIndexedFloats(mode);
  if (cols > limit) throw new RangeError(`gpujs ${op} (${mode}): a row of ${cols} floats is more than the ${limit} this mode indexes exactly`);
  const chunk = Math.max(1, Math.floor(limit / cols));
  for (let start = 0; start < rows; start += chunk) yield [start, Math.min(rows, start + chunk)];
}

export function* softmaxOp(mode: GpuMode, x: Float32Array, rows: number, cols: number): Op<Float32Array> {
  const y = new Float32Array(rows * cols);
  if (y.length === 0) return y;
  for (const [start, end] of rowChunks(mode, 'softmax', rows, cols)) {
    const n = end - start;
    const xPart = x.subarray(start * cols, end * cols);
    const lse = yield launch(cachedKernel(mode, 'rowLogSumExp', rowLogSumExp, [n], { cols }), [xPart], n);
    y.set(yield launch(cachedKernel(mode, 'softmax', softmaxKernel, [cols, n], { cols }), [xPart, lse], n * cols), start * cols);
  }
  return y;
}

export function* softmaxBackwardOp(mode: GpuMode, y: Float32Array, g: Float32Array, rows: number, cols: number): Op<Float32Array> {
  const dx = new Float32Array(rows * cols);
  if (dx.length === 0) return dx;
  for (const [start, end] of rowChunks(mode, 'softmaxBackward', rows, cols)) {
    const n = end - start;
    const yPart = y.subarray(start * cols, end * cols);
    const gPart = g.subarray(start * cols, end * cols);
    const dot = yield launch(cachedKernel(mode, 'rowDot', rowDot, [n], { cols }), [yPart, gPart], n);
    const kernel = cachedKernel(mode, 'softmaxBackward', softmaxBackwardKernel, [cols, n], { cols });
    dx.set(yield launch(kernel, [yPart, gPart, dot], n * cols), start * cols);
  }
  return dx;
}

export interface LayerNormResult {
  y: Float32Array;
  mean: Float32Array;
  rstd: Float32Array;
}

export function* layerNormOp(mode: GpuMode, x: Float32Array, w: Float32Array | null, b: Float32Array | null, rows: number, cols: number, eps: number): Op<LayerNormResult> {
  const result = { y: new Float32Array(rows * cols), mean: new Float32Array(rows), rstd: new Float32Array(rows) };
  if (result.y.length === 0) return result;
  const weight = w ?? new Float32Array(cols).fill(1);
  const bias = b ?? new Float32Array(cols);
  for (const [start, end] of rowChunks(mode, 'layerNorm', rows, cols)) {
    const n = end - start;
    const xPart = x.subarray(start * cols, end * cols);
    const mean = yield launch(cachedKernel(mode, 'rowMean', rowMean, [n], { cols }), [xPart], n);
    const rstd = yield launch(cachedKernel(mode, 'rowRstd', rowRstd, [n], { cols, eps }), [xPart, mean], n);
    const kernel = cachedKernel(mode, 'layerNorm', layerNormKernel, [cols, n], { cols });
    result.y.set(yield launch(kernel, [xPart, weight, bias, mean, rstd], n * cols), start * cols);
    result.mean.set(mean, start);
    result.rstd.set(rstd, start);
  }
  return result;
}

export interface LayerNormGrads {
  dx: Float32Array;
  dw: Float32Array;
  db: Float32Array;
}

export function* layerNormBackwardOp(mode: GpuMode, x: Float32Array, w: Float32Array | null, mean: Float32Array, rstd: Float32Array, g: Float32Array, rows: number, cols: number): Op<LayerNormGrads> {
  const grads = { dx: new Float32Array(rows * cols), dw: new Float32Array(cols), db: new Float32Array(cols) };
  if (grads.dx.length === 0) return grads;
  const weight = w ?? new Float32Array(cols).fill(1);
  for (const [start, end] of rowChunks(mode, 'layerNormBackward', rows, cols)) {
    const n = end - start;
    const xPart = x.subarray(start * cols, end * cols);
    const gPart = g.subarray(start * cols, end * cols);
    const meanPart = mean.subarray(start, end);
    const rstdPart = rstd.subarray(start, end);
    const c1 = yield launch(cachedKernel(mode, 'rowMeanGw', rowMeanGw, [n], { cols }), [gPart, weight], n);
    const c2 = yield launch(cachedKernel(mode, 'rowMeanGwXhat', rowMeanGwXhat, [n], { cols }), [xPart, weight, gPart, meanPart, rstdPart], n);
    const dxKernel = cachedKernel(mode, 'layerNormDx', layerNormDxKernel, [cols, n], { cols });
    grads.dx.set(yield launch(dxKernel, [xPart, weight, gPart, meanPart, rstdPart, c1, c2], n * cols), start * cols);
    const dw = yield launch(cachedKernel(mode, 'layerNormDw', layerNormDwKernel, [cols], { rows: n, cols }), [xPart, gPart, meanPart, rstdPart], cols);
    const db = yield launch(cachedKernel(mode, 'layerNormDb', layerNormDbKernel, [cols], { rows: n, cols }), [gPart], cols);
    for (let c = 0; c < cols; c++) {
      grads.dw[c] += dw[c];
      grads.db[c] += db[c];
    }
  }
  return grads;
}

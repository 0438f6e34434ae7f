// The gpu.js backend's kernels: matmul, softmax and layernorm on webgpu, webasm (WebAssembly SIMD) or
// gpu.js's cpu mode. webgpu answers with Promises; the other modes answer synchronously.
import { disposeGpuKernels, gpuKernelCompileCount, runAsync, runSync, type Op } from './cache.js';
import { matmulOp } from './matmul.js';
import { layerNormBackwardOp, layerNormOp, softmaxBackwardOp, softmaxOp, type LayerNormGrads, type LayerNormResult } from './rows.js';
import { availableGpuModes, type GpuMode } from './setup.js';

export { availableGpuModes, disposeGpuKernels, gpuKernelCompileCount, type GpuMode, type LayerNormGrads, type LayerNormResult };

type MaybePromise<T> = T | Promise<T>;

export interface GpuKernels {
  readonly mode: GpuMode;
  /** true for webgpu: every method returns a Promise. */
  readonly async: boolean;
  /**
   * Contiguous float32: a is [aBatch, M, K] (or [aBatch, K, M] if transA), b is [bBatch, K, N]
   * (or [bBatch, N, K] if transB); returns [batch, M, N]. A batch of 1 broadcasts.
   */
  matmul(a: Float32Array, b: Float32Array, aBatch: number, bBatch: number, M: number, K: number, N: number, transA: boolean, transB: boolean): MaybePromise<Float32Array>;
  /** Softmax over the last axis of [rows, cols]. */
  softmax(x: Float32Array, rows: number, cols: number): MaybePromise<Float32Array>;
  /** d softmax: y * (g - sum(g * y)) per row. */
  softmaxBackward(y: Float32Array, g: Float32Array, rows: number, cols: number): MaybePromise<Float32Array>;
  /** Layernorm over the last axis; w and b are [cols] (null: ones and zeros). mean and rstd are [rows]. */
  layerNorm(x: Float32Array, w: Float32Array | null, b: Float32Array | null, rows: number, cols: number, eps: number): MaybePromise<LayerNormResult>;
  layerNormBackward(x: Float32Array, w: Float32Array | null, mean: Float32Array, rstd: Float32Array, g: Float32Array, rows: number, cols: number): MaybePromise<LayerNormGrads>;
}

/** Kernels for one mode; rejects when the mode cannot run here (see availableGpuModes). */
export async function createGpuKernels(mode: GpuMode): Promise<GpuKernels> {
  const modes = await availableGpuModes();
  if (!modes.includes(mode)) throw new Error(`gpujs: mode '${mode}' is not available here; available: ${modes.join(', ')}`);
  const run: <R>(op: Op<R>) => MaybePromise<R> = mode === 'webgpu' ? serialized() : runSync;
  return {
    mode,
    async: mode === 'webgpu',
    matmul: (a, b, aBatch, bBatch, M, K, N, transA, transB) => run(matmulOp(mode, a, b, { aBatch, bBatch, M, K, N, transA, transB })),
    softmax: (x, rows, cols) => run(softmaxOp(mode, x, rows, cols)),
    softmaxBackward: (y, g, rows, cols) => run(softmaxBackwardOp(mode, y, g, rows, cols)),
    layerNorm: (x, w, b, rows, cols, eps) => run(layerNormOp(mode, x, w, b, rows, cols, eps)),
    layerNormBackward: (x, w, mean, rstd, g, rows, cols) => run(layerNormBackwardOp(mode, x, w, mean, rstd, g, rows, cols)),
  };
}

/**
 * Runs async ops one after another: a gpu.js kernel reuses its output buffer from call to call, so two
 * overlapping ops launching the same kernel could read each other's results.
 */
function serialized(): <R>(op: Op<R>) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return <R>(op: Op<R>): Promise<R> => {
    const result = tail.then(() => runAsync(op));
    tail = result.catch(() => undefined);
    return result;
  };
}

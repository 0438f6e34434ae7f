// The gpujs backend's kernels: matmul, softmax and layernorm (forward and backward) as gpu.js kernels, implementing
// the engine's Kernels interface directly, for the webasm and cpu modes (webgpu: resident-kernels.ts); float64,
// log-softmax and one-column layernorm backward run the cpu kernel.
import type { TypedArray } from '../../dtype.js';
import type { ClaimedKernels, View } from '../interface.js';
import { cpuKernels } from '../cpu/index.js';
import type { Op } from './cache.js';
import { matmulOp } from './matmul.js';
import { layerNormBackwardOp, layerNormOp, softmaxBackwardOp, softmaxOp } from './rows.js';
import type { GpuMode } from './setup.js';

/** The kernels the gpujs backend answers for; ClaimedKernels makes a claimed-but-missing kernel a tsc error. */
export type GpujsClaim = 'matmul' | 'softmax' | 'softmaxBackward' | 'layerNorm' | 'layerNormBackward';

/** Runs a gpu.js op: synchronously (webasm, cpu) or as a Promise (webgpu). */
export type OpRunner = <R>(op: Op<R>) => R | Promise<R>;

function f32(...arrays: (TypedArray | null)[]): boolean {
  return arrays.every((a) => a === null || a instanceof Float32Array);
}

/** A rank-3 [batch, r, c] view as gpu.js wants it: contiguous or transposed in its last two dims, batch 1 or dense. */
function asDense(v: View, rows: number, cols: number): { data: Float32Array; batch: number; trans: boolean } {
  const [sb, sr, sc] = v.layout.strides;
  const batch = v.layout.shape[0];
  const { offset } = v.layout;
  const dense = (sbExpected: number) => sb === 0 || batch === 1 || sb === sbExpected;
  const span = (b: number) => (b - 1) * sb + rows * cols;
  if (sc === 1 && sr === cols && dense(rows * cols)) {
    const b = sb === 0 ? 1 : batch;
    return { data: (v.data as Float32Array).subarray(offset, offset + span(b)), batch: b, trans: false };
  }
  if (sr === 1 && sc === rows && dense(rows * cols)) {
    const b = sb === 0 ? 1 : batch;
    return { data: (v.data as Float32Array).subarray(offset, offset + span(b)), batch: b, trans: true };
  }
  const packed = new Float32Array(batch * rows * cols);
  cpuKernels.copy(v, { data: packed, layout: { shape: [batch, rows, cols], strides: [rows * cols, cols, 1], offset: 0 } });
  return { data: packed, batch, trans: false };
}

function then<T>(r: T | Promise<T>, fn: (v: T) => void): void | Promise<void> {
  return r instanceof Promise ? r.then(fn) : fn(r);
}

export function gpujsKernels(mode: GpuMode, run: OpRunner): ClaimedKernels<GpujsClaim> {
  return {
    matmul: (a, b, out, batch, M, N, K) => {
      if (!f32(a.data, b.data, out)) return cpuKernels.matmul(a, b, out, batch, M, N, K);
      const A = asDense(a, M, K);
      const B = asDense(b, K, N);
      const shape = { aBatch: A.batch, bBatch: B.batch, M, K, N, transA: A.trans, transB: B.trans };
      return then(run(matmulOp(mode, A.data, B.data, shape)), (r) => out.set(r));
    },
    softmax: (x, out, rows, cols, log) => {
      // gpu.js computes softmax; log-softmax and float64 stay on the cpu kernel
      if (log || !f32(x, out)) return cpuKernels.softmax(x, out, rows, cols, log);
      return then(run(softmaxOp(mode, x.subarray(0, rows * cols) as Float32Array, rows, cols)), (r) => out.set(r));
    },
    softmaxBackward: (y, g, out, rows, cols, log) => {
      if (log || !f32(y, g, out)) return cpuKernels.softmaxBackward(y, g, out, rows, cols, log);
      return then(run(softmaxBackwardOp(mode, y as Float32Array, g.subarray(0, rows * cols) as Float32Array, rows, cols)), (r) => out.set(r));
    },
    layerNorm: (x, w, b, y, mean, rstd, rows, cols, eps) => {
      if (!f32(x, w, b, y)) return cpuKernels.layerNorm(x, w, b, y, mean, rstd, rows, cols, eps);
      return then(run(layerNormOp(mode, x as Float32Array, w as Float32Array | null, b as Float32Array | null, rows, cols, eps)), (r) => {
        y.set(r.y);
        mean.set(r.mean);
        rstd.set(r.rstd);
      });
    },
    layerNormBackward: (x, w, mean, rstd, g, dx, dw, db, rows, cols) => {
      // one column: x̂ ≡ 0 and dx ≡ 0 exactly, but float32 rounding of g·w − mean(g·w) is scaled by
      // rstd = 1/√eps (~316) on the gpu.js path; the cpu kernel gives the exact zeros
      if (!f32(x, w, g, dx) || cols === 1) return cpuKernels.layerNormBackward(x, w, mean, rstd, g, dx, dw, db, rows, cols);
      const op = layerNormBackwardOp(mode, x as Float32Array, w as Float32Array | null, mean as Float32Array, rstd as Float32Array, g as Float32Array, rows, cols);
      return then(run(op), (r) => {
        dx.set(r.dx);
        if (dw) dw.set(r.dw);
        if (db) db.set(r.db);
      });
    },
  };
}

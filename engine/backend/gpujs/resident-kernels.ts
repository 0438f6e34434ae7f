// The gpujs webgpu backend's kernels with device-resident data: every kernel takes its float32 inputs as the
// device buffers earlier kernels left (or uploads a host array once), and leaves its outputs on the device.
// A kernel or a case this file does not run on the device (int32 or float64 data, a partial write, a layout
// too deep to index exactly) goes to the counted cpu fallback (fallback.ts).
import gpujs from 'gpu.js';
import type { TypedArray } from '../../dtype.js';
import { isContiguous, numel } from '../../layout.js';
import type { AsyncKernels, View } from '../interface.js';
import { cachedKernel, maxIndexedFloats, type KernelThis } from './cache.js';
import { fallbackKernels } from './fallback.js';
import { checkIndices, gatherSource, scatterAddSource } from './gather.js';
import { BINARY_BODIES, UNARY_BODIES } from './map-ops.js';
import { matmulStrided, matmulTiled4, type StridedMatmulConstants } from './matmul-tiled.js';
import type { BufferHandle, Operand, ResidentStore } from './resident.js';
import {
  layerNormDbKernel, layerNormDwKernel, layerNormDxKernel, layerNormKernel, rowDot, rowLogSumExp, rowMean,
  rowMeanGw, rowMeanGwXhat, rowRstd, softmaxBackwardKernel, softmaxKernel, type Cols,
} from './rows.js';
import { mapSource, partialCopySource, reduceSource } from './strided.js';

const LIMIT = maxIndexedFloats('webgpu');

function rowMax(this: KernelThis<Cols>, x: Float32Array): number {
  const base = this.thread.x * this.constants.cols;
  let max = x[base];
  for (let j = 1; j < this.constants.cols; j++) {
    max = Math.max(max, x[base + j]);
  }
  return max;
}

// log Σ exp(x − max)
function rowLogSumShifted(this: KernelThis<Cols>, x: Float32Array, max: Float32Array): number {
  const base = this.thread.x * this.constants.cols;
  let sum = 0;
  for (let j = 0; j < this.constants.cols; j++) {
    sum += Math.exp(x[base + j] - max[this.thread.x]);
  }
  return Math.log(sum);
}

// log-softmax = (x − max) − log Σ exp(x − max): subtracting max first keeps it exact at large logits
function logSoftmaxKernel(this: KernelThis<Cols>, x: Float32Array, max: Float32Array, logSum: Float32Array): number {
  const r = this.thread.y;
  return (x[r * this.constants.cols + this.thread.x] - max[r]) - logSum[r];
}

function rowSum(this: KernelThis<Cols>, g: Float32Array): number {
  const base = this.thread.x * this.constants.cols;
  let sum = 0;
  for (let j = 0; j < this.constants.cols; j++) {
    sum += g[base + j];
  }
  return sum;
}

// d log-softmax: dx = g − eʸ Σg
function logSoftmaxBackwardKernel(this: KernelThis<Cols>, y: Float32Array, g: Float32Array, total: Float32Array): number {
  const i = this.thread.y * this.constants.cols + this.thread.x;
  return g[i] - Math.exp(y[i]) * total[this.thread.y];
}

type KernelSource = Parameters<typeof cachedKernel>[2];

interface GpujsHandleClass {
  new (settings: { buffer: unknown; output: number[]; componentCount: number; context: unknown; kernel: unknown }): BufferHandle;
}
interface RawHandle extends BufferHandle {
  readonly buffer: unknown;
  readonly context: unknown;
  readonly kernel: unknown;
}

/** An Array(4) result read as the plain float buffer it is: [4·x, y, z] one-float elements. */
function asFloats(h: BufferHandle, output: number[]): BufferHandle {
  const raw = h as RawHandle;
  const Handle = (gpujs as unknown as { WebGPUBufferResult: GpujsHandleClass }).WebGPUBufferResult;
  const flat = new Handle({ buffer: raw.buffer, output, componentCount: 1, context: raw.context, kernel: raw.kernel });
  h.delete();
  return flat;
}

export function residentKernels(store: ResidentStore): AsyncKernels {
  const fb = fallbackKernels(store);

  /**
   * Launches `body` over `output` and returns its result buffer. gpu.js fixes each argument's kind (host array
   * or device buffer) when a kernel first runs, so the kinds are part of the compiled kernel's key.
   */
  async function launch(op: string, body: KernelSource, output: number[], args: Operand[], constants: Record<string, number> = {}, returnType?: 'Array(4)'): Promise<BufferHandle> {
    const kinds = args.map((a) => (a instanceof Float32Array ? 'h' : 'd')).join('');
    const kernel = cachedKernel('webgpu', `${op}|${kinds}`, body, output, constants, { pipeline: true, returnType });
    store.stats.kernels++;
    return (await (kernel as unknown as (...a: Operand[]) => Promise<BufferHandle>)(...args));
  }
  const generated = (gen: { source: string; output: number[] }, args: Operand[]) => launch(gen.source, gen.source, gen.output, args);

  /** An output the device can write whole: float32, non-empty, indexable exactly. */
  const deviceOut = (...outs: (TypedArray | null)[]) => outs.every((o) => o === null || (o instanceof Float32Array && o.length > 0 && o.length <= LIMIT));
  /** Float32 data a kernel can read from its start (resident there, or fresh on the host). */
  const readable = (...arrays: (TypedArray | null)[]) => arrays.every((a) => a === null || (a instanceof Float32Array && a.length <= LIMIT && store.usable(a)));
  const operand = (a: TypedArray) => store.operand(a as Float32Array);

  const kernels: AsyncKernels = {
    ...fb,
    copy: async (src, dst) => {
      const whole = isContiguous(dst.layout) && dst.layout.offset === 0 && numel(dst.layout.shape) === dst.data.length;
      if (!deviceOut(dst.data) || !readable(src.data, dst.data)) return fb.copy(src, dst);
      if (whole) {
        const gen = mapSource(dst.layout.shape, [src.layout], ['return v0;']);
        if (!gen) return fb.copy(src, dst);
        store.adopt(dst.data, await generated(gen, [operand(src.data)]));
        return;
      }
      // part of the storage: the rest keeps its values
      const gen = partialCopySource(src.layout, dst.layout, dst.data.length);
      if (!gen) return fb.copy(src, dst);
      store.adopt(dst.data, await generated(gen, [operand(src.data), operand(dst.data)]));
    },
    unary: async (op, x, out) => {
      const body = UNARY_BODIES[op];
      const gen = body && deviceOut(out) && readable(x.data) ? mapSource(x.layout.shape, [x.layout], body) : null;
      if (!gen) return fb.unary(op, x, out);
      store.adopt(out, await generated(gen, [operand(x.data)]));
    },
    // two map kernels (gpu.js returns one array per kernel here)
    geluWithGrad: async (x, out, grad) => {
      await kernels.unary('gelu', x, out);
      await kernels.unary('geluGrad', x, grad);
    },
    binary: async (op, a, b, out) => {
      const body = BINARY_BODIES[op];
      const gen = body && deviceOut(out) && readable(a.data, b.data) ? mapSource(a.layout.shape, [a.layout, b.layout], body) : null;
      if (!gen) return fb.binary(op, a, b, out);
      store.adopt(out, await generated(gen, [operand(a.data), operand(b.data)]));
    },
    where: async (cond, a, b, out) => {
      const c = whereCondition(cond, store);
      const gen = c && deviceOut(out) && readable(a.data, b.data) ? mapSource(a.layout.shape, [cond.layout, a.layout, b.layout], ['return v0 != 0 ? v1 : v2;']) : null;
      if (!gen || !c) return fb.where(cond, a, b, out);
      store.adopt(out, await generated(gen, [c, operand(a.data), operand(b.data)]));
    },
    reduce: async (op, x, axes, out) => {
      const empty = axes.some((i) => x.layout.shape[i] === 0);
      const gen = !empty && deviceOut(out) && readable(x.data) ? reduceSource(op, x.layout, axes) : null;
      if (!gen) return fb.reduce(op, x, axes, out);
      store.adopt(out, await generated(gen, [operand(x.data)]));
    },
    matmul: async (a, b, out, batch, M, N, K) => {
      if (K === 0 || !deviceOut(out) || !readable(a.data, b.data) || a.layout.shape.length !== 3 || b.layout.shape.length !== 3) {
        return fb.matmul(a, b, out, batch, M, N, K);
      }
      const c: StridedMatmulConstants = {
        K,
        aOff: a.layout.offset, aBatch: a.layout.shape[0] === 1 ? 0 : a.layout.strides[0], aM: a.layout.strides[1], aK: a.layout.strides[2],
        bOff: b.layout.offset, bBatch: b.layout.shape[0] === 1 ? 0 : b.layout.strides[0], bN: b.layout.strides[2], bK: b.layout.strides[1],
      };
      const args = [operand(a.data), operand(b.data)];
      if (N % 4 === 0) {
        store.adopt(out, asFloats(await launch('matmulTiled4', matmulTiled4 as never, [N / 4, M, batch], args, { ...c }, 'Array(4)'), [N, M, batch]));
      } else {
        store.adopt(out, await launch('matmulStrided', matmulStrided, [N, M, batch], args, { ...c }));
      }
    },
    softmax: async (x, out, rows, cols, log) => {
      if (!deviceOut(out) || !readable(x)) return fb.softmax(x, out, rows, cols, log);
      const xi = operand(x);
      if (log) {
        const max = await launch('rowMax', rowMax, [rows], [xi], { cols });
        const logSum = await launch('rowLogSumShifted', rowLogSumShifted, [rows], [xi, max], { cols });
        store.adopt(out, await launch('logSoftmax', logSoftmaxKernel, [cols, rows], [xi, max, logSum], { cols }));
        max.delete();
        logSum.delete();
        return;
      }
      const lse = await launch('rowLogSumExp', rowLogSumExp, [rows], [xi], { cols });
      store.adopt(out, await launch('softmax', softmaxKernel, [cols, rows], [xi, lse], { cols }));
      lse.delete();
    },
    softmaxBackward: async (y, g, out, rows, cols, log) => {
      if (!deviceOut(out) || !readable(y, g)) return fb.softmaxBackward(y, g, out, rows, cols, log);
      const yi = operand(y), gi = operand(g);
      const stat = log
        ? await launch('rowSum', rowSum, [rows], [gi], { cols })
        : await launch('rowDot', rowDot, [rows], [yi, gi], { cols });
      const body = log ? logSoftmaxBackwardKernel : softmaxBackwardKernel;
      store.adopt(out, await launch(log ? 'logSoftmaxBackward' : 'softmaxBackward', body, [cols, rows], [yi, gi, stat], { cols }));
      stat.delete();
    },
    layerNorm: async (x, w, b, y, mean, rstd, rows, cols, eps) => {
      if (!deviceOut(y, mean, rstd) || !readable(x, w, b)) return fb.layerNorm(x, w, b, y, mean, rstd, rows, cols, eps);
      const xi = operand(x);
      const wi = w ? operand(w) : new Float32Array(cols).fill(1);
      const bi = b ? operand(b) : new Float32Array(cols);
      const m = await launch('rowMean', rowMean, [rows], [xi], { cols });
      const s = await launch('rowRstd', rowRstd, [rows], [xi, m], { cols, eps });
      store.adopt(y, await launch('layerNorm', layerNormKernel, [cols, rows], [xi, wi, bi, m, s], { cols }));
      store.adopt(mean, m);
      store.adopt(rstd, s);
    },
    gather: async (x, axis, index, out) => {
      const idx = indexOperand(index, store);
      const gen = idx && deviceOut(out) && readable(x.data) ? gatherSource(x, axis, index) : null;
      if (!gen || !idx) return fb.gather(x, axis, index, out);
      checkIndices('gather', index, axis, x.layout.shape[axis]);
      store.adopt(out, await generated(gen, [operand(x.data), idx]));
    },
    scatterAdd: async (src, axis, index, out, outShape) => {
      const idx = indexOperand(index, store);
      const gen = idx && deviceOut(out) && readable(src.data, out) ? scatterAddSource(src, axis, index, outShape) : null;
      if (!gen || !idx) return fb.scatterAdd(src, axis, index, out, outShape);
      checkIndices('scatterAdd', index, axis, outShape[axis]);
      store.adopt(out, await generated(gen, [operand(src.data), idx, operand(out)]));
    },
    layerNormBackward: async (x, w, mean, rstd, g, dx, dw, db, rows, cols) => {
      // one column: x̂ ≡ 0 and dx ≡ 0 exactly; the cpu kernel gives the exact zeros (see kernels.ts)
      if (cols === 1 || !deviceOut(dx, dw, db) || !readable(x, w, mean, rstd, g)) {
        return fb.layerNormBackward(x, w, mean, rstd, g, dx, dw, db, rows, cols);
      }
      const xi = operand(x), gi = operand(g), mi = operand(mean), si = operand(rstd);
      const wi = w ? operand(w) : new Float32Array(cols).fill(1);
      const c1 = await launch('rowMeanGw', rowMeanGw, [rows], [gi, wi], { cols });
      const c2 = await launch('rowMeanGwXhat', rowMeanGwXhat, [rows], [xi, wi, gi, mi, si], { cols });
      store.adopt(dx, await launch('layerNormDx', layerNormDxKernel, [cols, rows], [xi, wi, gi, mi, si, c1, c2], { cols }));
      c1.delete();
      c2.delete();
      if (dw) store.adopt(dw, await launch('layerNormDw', layerNormDwKernel, [cols], [xi, gi, mi, si], { rows, cols }));
      if (db) store.adopt(db, await launch('layerNormDb', layerNormDbKernel, [cols], [gi], { rows, cols }));
    },
  };
  return kernels;
}

/** An int32 index array (checked on the host, where it lives) as float values for a kernel; null: fall back. */
function indexOperand(index: View, store: ResidentStore): Float32Array | null {
  const d = index.data;
  if (!(d instanceof Int32Array) || d.length === 0 || d.length > LIMIT || store.isStale(d)) return null;
  store.stats.uploads++;
  return Float32Array.from(d);
}

/** where's condition as a kernel operand: float32 as it lies, int32 (never resident) as float 0/1 values; null: fall back. */
function whereCondition(cond: View, store: ResidentStore): Operand | null {
  const d = cond.data;
  if (d.length > LIMIT || !store.usable(d)) return null;
  if (d instanceof Float32Array) return store.operand(d);
  if (store.isStale(d)) return null;
  store.stats.uploads++;
  return Float32Array.from(d, (v) => (v !== 0 ? 1 : 0));
}

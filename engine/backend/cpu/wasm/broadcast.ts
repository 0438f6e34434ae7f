// Drivers of broadcast-kernel.ts: float32 add/sub/mul/div over broadcast views, strided copies into a
// contiguous array (both split over the worker pool when very large), and the column sum of a bias gradient. Each returns false (nothing
// done) where its kernel does not apply, and the caller runs its JavaScript loop.
import type { TypedArray } from '../../../dtype.js';
import type { View } from '../../interface.js';
import { runtime } from './runtime.js';
import { staged, wasmAvailable, type Staging } from './index.js';
import { BROADCAST_MODES, BROADCAST_OPS, COPY_GATHER, COPY_ROWS, type BroadcastOp } from './broadcast-kernel.js';
import { Ctl, CTRL_BYTES, JobKind } from './protocol.js';
import { lockJob, runJob, threadCount } from './pool.js';

/** Below this many elements the JavaScript loop costs less than the call. */
const MIN_ELEMENTS = 2048;
const OPS = new Set<string>(BROADCAST_OPS);

interface Folded {
  dims: number[];
  strides: number[][];
}

/** Drops size-1 dims and merges neighbours that are contiguous for every view (the output is contiguous). */
function fold(shape: readonly number[], views: readonly View[]): Folded {
  const dims: number[] = [];
  const strides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && views.every((v, k) => strides[k][last] === v.layout.strides[d] * shape[d])) {
      dims[last] *= shape[d];
      views.forEach((v, k) => { strides[k][last] = v.layout.strides[d]; });
    } else {
      dims.push(shape[d]);
      views.forEach((v, k) => strides[k].push(v.layout.strides[d]));
    }
  }
  if (dims.length === 0) { dims.push(1); strides.forEach((s) => s.push(1)); }
  return { dims, strides };
}

/** The byte address of view k's first element (copied into wasm memory unless it lives there). */
function stage(s: Staging, v: View, dims: readonly number[], strides: readonly number[]): number {
  let span = 1;
  dims.forEach((d, i) => { span += (d - 1) * strides[i]; });
  return s.input((v.data as Float32Array).subarray(v.layout.offset, v.layout.offset + span));
}

/**
 * From this many elements a job is split over the worker pool. These kernels are bound by memory, and in the
 * reference ViT's sizes (0.2–0.8 M elements, 0.1–0.3 ms) two threads measured no faster than one (the pool's
 * wake-up and a busy second core), so only larger jobs split. Tests lower it to exercise the split.
 */
export const planesTuning = { parallelMinElements: 1 << 22 };

/**
 * Runs kernel `id` (broadcast-kernel.ts) over the folded views at byte addresses `at` (a, then b) into the
 * contiguous output at outAt: the last four folded dims (outer × planes × rows × cols, missing ones 1) form one
 * job, split over the pool along its first dim larger than 1; dims before those four loop here.
 */
function runKernel(s: Staging, f: Folded, at: number[], outAt: number, id: number): void {
  const r = f.dims.length, inner = Math.min(r, 4), lead = f.dims.slice(0, r - inner);
  const dim = (i: number) => (r - i >= 0 && i <= inner ? f.dims[r - i] : 1);
  const stride = (k: number, i: number) => (k < at.length && r - i >= 0 && i <= inner ? f.strides[k][r - i] * 4 : 0);
  const cols = dim(1), rows = dim(2), planes = dim(3), outer = dim(4);
  const size = outer * planes * rows * cols;
  const threads = size >= planesTuning.parallelMinElements ? threadCount() : 1;
  const split = outer > 1 ? 0 : planes > 1 ? 1 : 2;
  const extent = [outer, planes, rows][split];
  const chunk = threads > 1 ? Math.max(1, Math.ceil(extent / (4 * threads))) : extent;
  const idx = new Array<number>(lead.length).fill(0);
  let slices = 1;
  for (const d of lead) slices *= d;
  for (let t = 0; t < slices; t++) {
    const base = at.map((a, k) => a + 4 * idx.reduce((sum, i, d) => sum + i * f.strides[k][d], 0));
    const c = new Int32Array(s.h.view().buffer, 0, CTRL_BYTES / 4);
    lockJob(c);
    c[Ctl.kind] = JobKind.planes;
    c[Ctl.pKernel] = id;
    c[Ctl.pOuter] = outer; c[Ctl.pPlanes] = planes; c[Ctl.pRows] = rows; c[Ctl.pCols] = cols;
    c[Ctl.pSplit] = split; c[Ctl.pChunk] = chunk;
    c[Ctl.pA] = base[0]; c[Ctl.pAOS] = stride(0, 4); c[Ctl.pAPS] = stride(0, 3); c[Ctl.pARS] = stride(0, 2); c[Ctl.pACS] = stride(0, 1);
    c[Ctl.pB] = base[1] ?? 0; c[Ctl.pBOS] = stride(1, 4); c[Ctl.pBPS] = stride(1, 3); c[Ctl.pBRS] = stride(1, 2);
    c[Ctl.pOut] = outAt + 4 * t * size;
    c[Ctl.total] = Math.ceil(extent / chunk);
    runJob(runtime(), c, threads);
    for (let d = lead.length - 1; d >= 0; d--) { if (++idx[d] < lead[d]) break; idx[d] = 0; }
  }
}

const f32 = (...xs: TypedArray[]): boolean => xs.every((x) => x instanceof Float32Array);
const nonNegative = (f: Folded): boolean => f.strides.every((s) => s.every((x) => x >= 0));

/** out = a op b over views already broadcast to out's shape; false where the kernel does not apply. */
export function binaryBroadcastF32(op: string, a: View, b: View, out: TypedArray): boolean {
  if (!OPS.has(op) || out.length < MIN_ELEMENTS || !f32(a.data, b.data, out) || !wasmAvailable()) return false;
  const f = fold(a.layout.shape, [a, b]);
  const last = f.dims.length - 1, sa = f.strides[0][last], sb = f.strides[1][last];
  if (!nonNegative(f) || sa > 1 || sb > 1 || (sa === 0 && sb === 0)) return false;
  const id = BROADCAST_OPS.indexOf(op as BroadcastOp) * BROADCAST_MODES.length + BROADCAST_MODES.indexOf(sa === 0 ? 'sv' : sb === 0 ? 'vs' : 'vv');
  staged((s) => {
    const at = [stage(s, a, f.dims, f.strides[0]), stage(s, b, f.dims, f.strides[1])];
    runKernel(s, f, at, s.output((out as Float32Array).subarray(0, out.length)), id);
  });
  return true;
}

/** dst = src where dst is contiguous (a contiguous src is one typed-array copy); false where the kernel does not apply. */
export function copyStridedF32(src: View, dst: View): boolean {
  const n = dst.layout.shape.reduce((x, d) => x * d, 1);
  if (n < MIN_ELEMENTS || !f32(src.data, dst.data) || !wasmAvailable()) return false;
  const fd = fold(dst.layout.shape, [dst]);
  const outer = dst.layout.shape[0];
  if (fd.dims.length === 2 && fd.strides[0][1] === 1 && fd.dims[0] === outer && nonNegative(fold(src.layout.shape, [src]))) {
    // dst is outer slices of contiguous runs (cat's slice along a middle axis): one strided-rows copy where each
    // src slice is one run too (a broadcast one included) and both live in wasm memory, else one copy per slice
    const sub = (v: View, o: number): View => ({ data: v.data, layout: { shape: v.layout.shape.slice(1), strides: v.layout.strides.slice(1), offset: v.layout.offset + o * v.layout.strides[0] } });
    if (copySlices(src, dst, outer, n / outer, fd.strides[0][0], sub(src, 0))) return true;
    for (let o = 0; o < outer; o++) copyToContiguous(sub(src, o), sub(dst, o), n / outer);
    return true;
  }
  if (fd.dims.length !== 1 || fd.strides[0][0] !== 1) return false; // dst not contiguous
  return copyToContiguous(src, dst, n);
}

/**
 * Copies `outer` runs of `run` floats, src's `src.layout.strides[0]` apart (0: one run repeated), dst's
 * `dstStride` apart, by one copyRows call; false (nothing done) unless each src slice (`first`) is one contiguous
 * run and both arrays are wasm memory (in place: staging a strided dst would copy back its gaps).
 */
function copySlices(src: View, dst: View, outer: number, run: number, dstStride: number, first: View): boolean {
  const f = fold(first.layout.shape, [first]), srcStride = src.layout.strides[0];
  if (f.dims.length !== 1 || f.strides[0][0] !== 1 || srcStride < 0) return false;
  return staged((s) => {
    const srcAt = s.resident(src.data as Float32Array), dstAt = s.resident(dst.data as Float32Array);
    if (srcAt < 0 || dstAt < 0) return false;
    runtime().ex.copyRows(srcAt + first.layout.offset * 4, srcStride * 4, dstAt + dst.layout.offset * 4, dstStride * 4, outer, run * 4);
    return true;
  });
}

/** The copy into a contiguous dst of n elements; false (nothing done) where src has negative strides. */
function copyToContiguous(src: View, dst: View, n: number): boolean {
  const f = fold(src.layout.shape, [src]);
  if (!nonNegative(f)) return false;
  const out = (dst.data as Float32Array).subarray(dst.layout.offset, dst.layout.offset + n);
  if (f.dims.length === 1 && f.strides[0][0] === 1) { out.set((src.data as Float32Array).subarray(src.layout.offset, src.layout.offset + n)); return true; }
  const id = f.strides[0][f.dims.length - 1] === 1 ? COPY_ROWS : COPY_GATHER;
  staged((s) => { runKernel(s, f, [stage(s, src, f.dims, f.strides[0])], s.output(out), id); });
  return true;
}

/** out[j] = Σ_r x[r, j] over contiguous x [rows, cols], accumulated in float64 (as the JavaScript loop); false where it does not apply. */
export function sumRowsF32(x: TypedArray, offset: number, rows: number, cols: number, out: TypedArray): boolean {
  if (rows * cols < MIN_ELEMENTS || !f32(x) || !wasmAvailable()) return false;
  const colSum = runtime().ex.colSum;
  staged((s) => {
    const xAt = s.input((x as Float32Array).subarray(offset, offset + rows * cols));
    const accAt = s.temp(4 * Math.ceil(cols / 2)); // f64 accumulators: 16 bytes per pair of columns
    colSum(xAt, rows, cols, accAt);
    const acc = new Float64Array(s.h.view().buffer, accAt, cols);
    for (let j = 0; j < cols; j++) out[j] = acc[j];
  });
  return true;
}

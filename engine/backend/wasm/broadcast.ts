// Drivers of broadcast-kernel.ts: float32 add/sub/mul/div over broadcast views, strided copies into a
// contiguous array, and the column sum of a bias gradient, on the calling thread. Each returns false (nothing
// done) where its kernel does not apply, and the caller runs its JavaScript loop.
import type { TypedArray } from '../../dtype.js';
import type { View } from '../interface.js';
import { runtime } from './runtime.js';
import { staged, wasmAvailable, type Staging } from './index.js';
import { BROADCAST_OPS, type BroadcastOp } from './broadcast-kernel.js';

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

interface Slice { addr: number[]; planeStrides: number[]; rowStrides: number[]; colStrides: number[]; out: number; planes: number; rows: number; cols: number }

/**
 * Calls kernel once per outer slice of the folded views: the last three folded dims (planes × rows × cols, the
 * missing ones 1) run inside the kernel, the dims before them here. Strides in bytes.
 */
function forSlices(f: Folded, at: number[], outAt: number, kernel: (s: Slice) => void): void {
  const r = f.dims.length, dim = (i: number) => (r - i >= 0 ? f.dims[r - i] : 1);
  const cols = dim(1), rows = dim(2), planes = dim(3);
  const strideAt = (i: number) => f.strides.map((s) => (r - i >= 0 ? s[r - i] * 4 : 0));
  const [colStrides, rowStrides, planeStrides] = [strideAt(1), strideAt(2), strideAt(3)];
  const outer = f.dims.slice(0, Math.max(0, r - 3));
  const idx = new Array<number>(outer.length).fill(0);
  let slices = 1;
  for (const d of outer) slices *= d;
  const size = planes * rows * cols;
  for (let t = 0; t < slices; t++) {
    const addr = at.map((base, k) => base + 4 * idx.reduce((sum, i, d) => sum + i * f.strides[k][d], 0));
    kernel({ addr, planeStrides, rowStrides, colStrides, out: outAt + 4 * t * size, planes, rows, cols });
    for (let d = outer.length - 1; d >= 0; d--) { if (++idx[d] < outer[d]) break; idx[d] = 0; }
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
  const kernel = runtime().ex.binary.get(`${op as BroadcastOp}_${sa === 0 ? 'sv' : sb === 0 ? 'vs' : 'vv'}`)!;
  staged((s) => {
    const at = [stage(s, a, f.dims, f.strides[0]), stage(s, b, f.dims, f.strides[1])];
    const outAt = s.output((out as Float32Array).subarray(0, out.length));
    forSlices(f, at, outAt, (q) => kernel(q.addr[0], q.planeStrides[0], q.rowStrides[0], q.addr[1], q.planeStrides[1], q.rowStrides[1], q.out, q.planes, q.rows, q.cols));
  });
  return true;
}

/** dst = src where dst is contiguous (a contiguous src is one typed-array copy); false where the kernel does not apply. */
export function copyStridedF32(src: View, dst: View): boolean {
  const n = dst.layout.shape.reduce((x, d) => x * d, 1);
  if (n < MIN_ELEMENTS || !f32(src.data, dst.data) || !wasmAvailable()) return false;
  const fd = fold(dst.layout.shape, [dst]);
  if (fd.dims.length !== 1 || fd.strides[0][0] !== 1) return false; // dst not contiguous
  const f = fold(src.layout.shape, [src]);
  if (!nonNegative(f)) return false;
  const out = (dst.data as Float32Array).subarray(dst.layout.offset, dst.layout.offset + n);
  if (f.dims.length === 1 && f.strides[0][0] === 1) { out.set((src.data as Float32Array).subarray(src.layout.offset, src.layout.offset + n)); return true; }
  const ex = runtime().ex;
  const contiguousRows = f.strides[0][f.dims.length - 1] === 1;
  staged((s) => {
    const at = stage(s, src, f.dims, f.strides[0]);
    const outAt = s.output(out);
    forSlices(f, [at], outAt, (q) => {
      if (contiguousRows) ex.copyPlanes(q.addr[0], q.planeStrides[0], q.rowStrides[0], q.out, q.planes, q.rows, q.cols);
      else ex.copyGather(q.addr[0], q.planeStrides[0], q.rowStrides[0], q.colStrides[0], q.out, q.planes, q.rows, q.cols);
    });
  });
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

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

/**
 * Calls kernel(addresses, row strides, rows, cols) once per outer slice of the folded views, with the output's
 * address; rows·cols elements each.
 */
function forSlices(f: Folded, at: number[], outAt: number, kernel: (addr: number[], rowStrides: number[], out: number, rows: number, cols: number) => void): void {
  const r = f.dims.length, cols = f.dims[r - 1], rows = r >= 2 ? f.dims[r - 2] : 1;
  const rowStrides = f.strides.map((s) => (r >= 2 ? s[r - 2] * 4 : 0));
  const outer = f.dims.slice(0, Math.max(0, r - 2));
  const idx = new Array<number>(outer.length).fill(0);
  let slices = 1;
  for (const d of outer) slices *= d;
  for (let t = 0; t < slices; t++) {
    const addr = at.map((base, k) => base + 4 * idx.reduce((sum, i, d) => sum + i * f.strides[k][d], 0));
    kernel(addr, rowStrides, outAt + 4 * t * rows * cols, rows, cols);
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
    forSlices(f, at, outAt, ([pa, pb], [ra, rb], po, rows, cols) => kernel(pa, ra, pb, rb, po, rows, cols));
  });
  return true;
}

/** dst = src where dst is contiguous and src's last folded dim is; false where the kernel does not apply. */
export function copyStridedF32(src: View, dst: View): boolean {
  const n = dst.layout.shape.reduce((x, d) => x * d, 1);
  if (n < MIN_ELEMENTS || !f32(src.data, dst.data) || !wasmAvailable()) return false;
  const fd = fold(dst.layout.shape, [dst]);
  if (fd.dims.length !== 1 || fd.strides[0][0] !== 1) return false; // dst not contiguous
  const f = fold(src.layout.shape, [src]);
  if (!nonNegative(f) || f.strides[0][f.dims.length - 1] !== 1 || f.dims.length === 1) return false; // contiguous: the JS copy is a memcpy already
  const copyRows = runtime().ex.copyRows2;
  staged((s) => {
    const at = stage(s, src, f.dims, f.strides[0]);
    const outAt = s.output((dst.data as Float32Array).subarray(dst.layout.offset, dst.layout.offset + n));
    forSlices(f, [at], outAt, ([pa], [ra], po, rows, cols) => copyRows(pa, ra, po, rows, cols));
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

// Reductions over any set of axes: kept axes become the outer loop, reduced axes the inner one.
import type { TypedArray } from '../../dtype.js';
import type { ReduceOp, View } from '../interface.js';
import { collapse } from './strided.js';
import { sumRowsFast } from './fast.js';

export function reduceKernel(op: ReduceOp, x: View, axes: readonly number[], out: TypedArray): void {
  const { shape, strides, offset } = x.layout;
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outer = collapse(kept.map((i) => shape[i]), [{ data: x.data, layout: { shape: kept.map((i) => shape[i]), strides: kept.map((i) => strides[i]), offset } }]);
  const innerShape = axes.map((i) => shape[i]);
  const inner = collapse(innerShape, [{ data: x.data, layout: { shape: innerShape, strides: axes.map((i) => strides[i]), offset: 0 } }]);
  let outCount = 1;
  for (const i of kept) outCount *= shape[i];
  let innerCount = 1;
  for (const d of innerShape) innerCount *= d;
  if (outCount === 0) return;
  if (innerCount === 0) {
    if (op !== 'sum') throw new Error(`${op}: cannot reduce over an empty dimension`);
    out.fill(0);
    return;
  }
  const data = x.data;
  if (op === 'sum' && sumLeadingRows(x, axes, innerCount, outCount, out)) return;
  const oShape = outer.shape, oStr = outer.strides[0];
  const iShape = inner.shape, iStr = inner.strides[0];
  const oRank = oShape.length, iRank = iShape.length;
  const oIdx = new Int32Array(oRank);
  const iIdx = new Int32Array(iRank);
  const iLast = iShape[iRank - 1], iLastStride = iStr[iRank - 1];
  let iOuter = 1;
  for (let d = 0; d < iRank - 1; d++) iOuter *= iShape[d];
  let p = offset;
  for (let o = 0; o < outCount; o++) {
    let acc = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
    let q0 = p;
    let nan = false;
    for (let t = 0; t < iOuter; t++) {
      let q = q0;
      if (op === 'sum') {
        for (let j = 0; j < iLast; j++) { acc += data[q]; q += iLastStride; }
      } else if (op === 'max') {
        for (let j = 0; j < iLast; j++) { const v = data[q]; if (v > acc) acc = v; else if (v !== v) nan = true; q += iLastStride; }
      } else {
        for (let j = 0; j < iLast; j++) { const v = data[q]; if (v < acc) acc = v; else if (v !== v) nan = true; q += iLastStride; }
      }
      for (let d = iRank - 2; d >= 0; d--) {
        q0 += iStr[d];
        if (++iIdx[d] < iShape[d]) break;
        q0 -= iStr[d] * iShape[d];
        iIdx[d] = 0;
      }
    }
    out[o] = nan ? NaN : acc;
    for (let d = oRank - 1; d >= 0; d--) {
      p += oStr[d];
      if (++oIdx[d] < oShape[d]) break;
      p -= oStr[d] * oShape[d];
      oIdx[d] = 0;
    }
  }
}

export function argReduceKernel(op: 'argmax' | 'argmin', x: View, axis: number, out: Int32Array): void {
  const { shape, strides, offset } = x.layout;
  const size = shape[axis];
  const stride = strides[axis];
  const keptShape = shape.filter((_, i) => i !== axis);
  const keptStrides = strides.filter((_, i) => i !== axis);
  const n = keptShape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  if (size === 0) throw new Error(`${op}: cannot reduce over an empty dimension (axis ${axis} of [${shape.join(', ')}])`);
  const idx = new Int32Array(keptShape.length);
  let p = offset;
  const data = x.data;
  for (let o = 0; o < n; o++) {
    let best = data[p];
    let bestI = 0;
    if (best === best) {
      for (let j = 1; j < size; j++) {
        const v = data[p + j * stride];
        if (v !== v) { bestI = j; break; }
        if (op === 'argmax' ? v > best : v < best) { best = v; bestI = j; }
      }
    }
    out[o] = bestI;
    for (let d = keptShape.length - 1; d >= 0; d--) {
      p += keptStrides[d];
      if (++idx[d] < keptShape[d]) break;
      p -= keptStrides[d] * keptShape[d];
      idx[d] = 0;
    }
  }
}

/**
 * Σ over leading axes of a contiguous tensor (a bias gradient: [rows, cols] → [cols]): add whole rows
 * in memory order instead of striding down each column, which misses the cache once rows·cols is large.
 */
function sumLeadingRows(x: View, axes: readonly number[], rows: number, cols: number, out: TypedArray): boolean {
  const { shape, strides, offset } = x.layout;
  if (!axes.every((a, i) => a === i)) return false;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) return false;
    expected *= shape[d];
  }
  if (sumRowsFast(x.data, offset, rows, cols, out)) return true;
  const acc = new Float64Array(cols);
  const data = x.data;
  for (let r = 0; r < rows; r++) {
    const base = offset + r * cols;
    for (let j = 0; j < cols; j++) acc[j] += data[base + j];
  }
  for (let j = 0; j < cols; j++) out[j] = acc[j];
  return true;
}

// gather / scatterAdd along one axis, PyTorch semantics: out[..., i, ...] = x[..., index[..., i, ...], ...].
import type { TypedArray } from '../../dtype.js';
import type { View } from '../interface.js';

function forEachIndex(index: View, axis: number, fn: (pos: number[], flat: number, k: number) => void): void {
  const shape = index.layout.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  const pos = new Array<number>(shape.length).fill(0);
  const { strides, offset } = index.layout;
  for (let flat = 0; flat < n; flat++) {
    let p = offset;
    for (let d = 0; d < shape.length; d++) p += pos[d] * strides[d];
    fn(pos, flat, index.data[p]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++pos[d] < shape[d]) break;
      pos[d] = 0;
    }
  }
  void axis;
}

function position(x: View, pos: number[], axis: number, k: number, op: string): number {
  const { shape, strides, offset } = x.layout;
  if (!Number.isInteger(k) || k < 0 || k >= shape[axis]) {
    throw new Error(`${op}: index ${k} is out of range for dimension ${axis} of size ${shape[axis]}`);
  }
  let p = offset;
  for (let d = 0; d < shape.length; d++) p += (d === axis ? k : pos[d]) * strides[d];
  return p;
}

export function gatherKernel(x: View, axis: number, index: View, out: TypedArray): void {
  forEachIndex(index, axis, (pos, flat, k) => { out[flat] = x.data[position(x, pos, axis, k, 'gather')]; });
}

/** out is contiguous with x's shape; src has index's shape. */
export function scatterAddKernel(src: View, axis: number, index: View, out: TypedArray, outShape: readonly number[]): void {
  const outView: View = { data: out, layout: { shape: outShape, strides: contiguous(outShape), offset: 0 } };
  const { shape, strides, offset } = src.layout;
  forEachIndex(index, axis, (pos, _flat, k) => {
    let p = offset;
    for (let d = 0; d < shape.length; d++) p += pos[d] * strides[d];
    out[position(outView, pos, axis, k, 'scatterAdd')] += src.data[p];
  });
}

function contiguous(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

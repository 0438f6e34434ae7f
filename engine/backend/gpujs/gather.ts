// gather and scatterAdd along one axis as generated gpu.js kernels (PyTorch semantics, as the cpu kernels in
// engine/backend/cpu/gather.ts). Indices are int32 host arrays: checked on the host, then uploaded as floats.
// scatterAdd has no atomics in gpu.js, so each output element loops over the index's axis and sums its matches.
import type { View } from '../interface.js';
import { gridFor, indexExpr, indexLines } from './strided.js';

/** Throws as the cpu kernel does when an index is outside [0, size). */
export function checkIndices(op: string, index: View, axis: number, size: number): void {
  const { shape, strides, offset } = index.layout;
  const n = shape.reduce((a, b) => a * b, 1);
  const pos = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    let p = offset;
    for (let d = 0; d < shape.length; d++) p += pos[d] * strides[d];
    const k = index.data[p];
    if (!Number.isInteger(k) || k < 0 || k >= size) throw new Error(`${op}: index ${k} is out of range for dimension ${axis} of size ${size}`);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++pos[d] < shape[d]) break;
      pos[d] = 0;
    }
  }
}

/** out[pos] = x[pos with pos[axis] = index[pos]]; threads over index's shape. Arguments: (x, index). */
export function gatherSource(x: View, axis: number, index: View): { source: string; output: number[] } | null {
  const shape = index.layout.shape;
  const output = gridFor(shape);
  if (!output) return null;
  const xStrides = x.layout.strides.map((s, d) => (d === axis ? 0 : s));
  const lines = [
    ...indexLines(shape),
    `const k = a1[${indexExpr(index.layout.strides, index.layout.offset)}];`,
    `return a0[${indexExpr(xStrides, x.layout.offset)} + k * ${x.layout.strides[axis]}];`,
  ];
  return { source: `function (a0, a1) {\n${lines.join('\n')}\n}`, output };
}

/**
 * out[o] = old[o] + Σ_j [index[o with axis = j] = o_axis] src[o with axis = j]; threads over out's shape.
 * Arguments: (src, index, old). Null when index is narrower than out off the axis (the cpu kernel handles it).
 */
export function scatterAddSource(src: View, axis: number, index: View, outShape: readonly number[]): { source: string; output: number[] } | null {
  const ishape = index.layout.shape;
  if (outShape.length === 0 || ishape.length !== outShape.length || ishape.some((n, d) => d !== axis && n !== outShape[d])) return null;
  const output = gridFor(outShape);
  if (!output) return null;
  const off = (strides: readonly number[]) => strides.map((s, d) => (d === axis ? 0 : s));
  const contiguous = outShape.map((_, d) => outShape.slice(d + 1).reduce((a, b) => a * b, 1));
  const lines = [
    ...indexLines(outShape),
    `const ib = ${indexExpr(off(index.layout.strides), index.layout.offset)};`,
    `const sb = ${indexExpr(off(src.layout.strides), src.layout.offset)};`,
    'let acc = 0;',
    `for (let j = 0; j < ${ishape[axis]}; j++) {`,
    `if (a1[ib + j * ${index.layout.strides[axis]}] == d${axis}) {`,
    `acc += a0[sb + j * ${src.layout.strides[axis]}];`,
    '}',
    '}',
    `return a2[${indexExpr(contiguous, 0)}] + acc;`,
  ];
  return { source: `function (a0, a1, a2) {\n${lines.join('\n')}\n}`, output };
}

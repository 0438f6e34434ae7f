// Elementwise loops over strided views. Each (expression, arity) is compiled once into a tight loop with
// `new Function`, so V8 sees a monomorphic loop per op instead of a switch per element.
import type { TypedArray } from '../../dtype.js';
import type { View } from '../interface.js';
import { H } from './special.js';

export interface Collapsed {
  shape: number[];
  strides: number[][];
  offsets: number[];
}

/** Drops size-1 dims and merges neighbours that are contiguous for every operand (the output is contiguous). */
export function collapse(shape: readonly number[], views: readonly View[]): Collapsed {
  const dims: number[] = [];
  const strides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    const canMerge = last >= 0 && views.every((v, k) => strides[k][last] === v.layout.strides[d] * shape[d]);
    if (canMerge) {
      dims[last] *= shape[d];
      views.forEach((v, k) => { strides[k][last] = v.layout.strides[d]; });
    } else {
      dims.push(shape[d]);
      views.forEach((v, k) => strides[k].push(v.layout.strides[d]));
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    strides.forEach((s) => s.push(1));
  }
  return { shape: dims, strides, offsets: views.map((v) => v.layout.offset) };
}

type Loop = (out: TypedArray, shape: number[], data: TypedArray[], strides: number[][], offsets: number[]) => void;
const loops = new Map<string, Loop>();

/**
 * Compiles `out[i] = expr(v0, v1, ...)` over `arity` strided inputs. The output is contiguous.
 * Outer dims advance with counters; the innermost loop is a plain strided loop.
 */
function compile(expr: string, arity: number, types: string): Loop {
  // one compiled loop per (expression, array types): each stays monomorphic, so V8 keeps it fast
  const key = `${types}:${arity}:${expr}`;
  const hit = loops.get(key);
  if (hit) return hit;
  const ks = [...Array(arity).keys()];
  const src = `
    const rank = shape.length, inner = shape[rank - 1];
    ${ks.map((k) => `const d${k} = data[${k}], st${k} = strides[${k}], s${k} = st${k}[rank - 1]; let p${k} = offsets[${k}];`).join('\n')}
    const idx = new Int32Array(rank);
    let outer = 1; for (let d = 0; d < rank - 1; d++) outer *= shape[d];
    let o = 0;
    for (let t = 0; t < outer; t++) {
      ${ks.map((k) => `let q${k} = p${k};`).join(' ')}
      if (${ks.map((k) => `s${k} === 1`).join(' && ') || 'true'}) {
        for (let j = 0; j < inner; j++) { ${ks.map((k) => `const v${k} = d${k}[q${k} + j];`).join(' ')} out[o++] = ${expr}; }
      } else {
        for (let j = 0; j < inner; j++) { ${ks.map((k) => `const v${k} = d${k}[q${k}]; q${k} += s${k};`).join(' ')} out[o++] = ${expr}; }
      }
      for (let d = rank - 2; d >= 0; d--) {
        ${ks.map((k) => `p${k} += st${k}[d];`).join(' ')}
        if (++idx[d] < shape[d]) break;
        ${ks.map((k) => `p${k} -= st${k}[d] * shape[d];`).join(' ')}
        idx[d] = 0;
      }
    }`;
  const fn = new Function('H', `return function(out, shape, data, strides, offsets) {${src}}`)(H) as Loop;
  loops.set(key, fn);
  return fn;
}

/** out = expr(views...) where every view has the output's shape. */
export function mapStrided(expr: string, views: readonly View[], out: TypedArray): void {
  const shape = views[0].layout.shape;
  let n = 1;
  for (const d of shape) n *= d;
  if (n === 0) return;
  const c = collapse(shape, views);
  const types = out.constructor.name + views.map((v) => v.data.constructor.name).join();
  compile(expr, views.length, types)(out, c.shape, views.map((v) => v.data), c.strides, c.offsets);
}

/** dst = src where dst may itself be a strided view (used by copy into slices, cat, setters). */
export function copyStrided(src: View, dst: View): void {
  let n = 1;
  for (const d of src.layout.shape) n *= d;
  if (n === 0) return;
  const shape = src.layout.shape;
  // Gather into a contiguous buffer when dst is strided, then scatter with the same loop run backwards.
  const c = collapse(shape, [dst, src]);
  if (c.shape.length === 1 && c.strides[0][0] === 1 && c.strides[1][0] === 1) {
    const len = c.shape[0];
    const so = c.offsets[1];
    if (src.data.constructor === dst.data.constructor) {
      (dst.data as Float64Array).set((src.data as Float64Array).subarray(so, so + len), c.offsets[0]);
    } else {
      const d = dst.data, s = src.data, doff = c.offsets[0];
      for (let i = 0; i < len; i++) d[doff + i] = s[so + i];
    }
    return;
  }
  scatterLoop(dst.data, src.data, c);
}

function scatterLoop(dst: TypedArray, src: TypedArray, c: Collapsed): void {
  const rank = c.shape.length;
  const inner = c.shape[rank - 1];
  const [sd, ss] = c.strides;
  let pd = c.offsets[0];
  let ps = c.offsets[1];
  const idx = new Int32Array(rank);
  let outer = 1;
  for (let d = 0; d < rank - 1; d++) outer *= c.shape[d];
  const id = sd[rank - 1], is = ss[rank - 1];
  for (let t = 0; t < outer; t++) {
    let qd = pd, qs = ps;
    for (let j = 0; j < inner; j++) { dst[qd] = src[qs]; qd += id; qs += is; }
    for (let d = rank - 2; d >= 0; d--) {
      pd += sd[d]; ps += ss[d];
      if (++idx[d] < c.shape[d]) break;
      pd -= sd[d] * c.shape[d]; ps -= ss[d] * c.shape[d];
      idx[d] = 0;
    }
  }
}

// Generated gpu.js kernel sources over strided views: elementwise maps (unary, binary, where, copy) and
// reductions, for the resident webgpu backend. Each source is built for one op and one collapsed layout
// (sizes, strides and offsets inlined as literals), so it compiles once per shape and is then reused.
//
// Threads cover the output as [last, second-last, rest]: up to rank 3 no division is needed; the leading
// dims of a higher rank come out of `thread.z` by floor((z + ½) / size), exact while z stays far below 2^22.
import type { Layout } from '../../layout.js';

/** A view's strides and offset over the (shared) iteration shape. */
export interface Strided {
  readonly strides: readonly number[];
  readonly offset: number;
}

/** The most leading-dim threads we split by float division (see above). */
const MAX_Z = 2 ** 20;

/** Drops size-1 dims and merges neighbours every view walks as one (stride[i] = stride[i+1]·size[i+1]). */
export function collapse(shape: readonly number[], views: readonly Strided[]): { shape: number[]; strides: number[][] } {
  const keep = shape.map((n, i) => i).filter((i) => shape[i] !== 1);
  const outShape: number[] = [];
  const outStrides: number[][] = views.map(() => []);
  for (const i of keep) {
    const last = outShape.length - 1;
    const merges = last >= 0 && views.every((v, j) => outStrides[j][last] === v.strides[i] * shape[i]);
    if (merges) {
      outShape[last] *= shape[i];
      views.forEach((v, j) => { outStrides[j][last] = v.strides[i]; });
    } else {
      outShape.push(shape[i]);
      views.forEach((v, j) => outStrides[j].push(v.strides[i]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** gpu.js output dims ([x, y, z], x fastest) for a collapsed shape, or null when the leading dims are too many. */
export function gridFor(shape: readonly number[]): number[] | null {
  const r = shape.length;
  if (r === 0) return [1];
  if (r === 1) return [shape[0]];
  if (r === 2) return [shape[1], shape[0]];
  const lead = shape.slice(0, r - 2).reduce((a, b) => a * b, 1);
  return lead >= MAX_Z ? null : [shape[r - 1], shape[r - 2], lead];
}

/** Statements naming each dim's index d0..d{r-1} from the thread ids. */
export function indexLines(shape: readonly number[]): string[] {
  const r = shape.length;
  if (r === 0) return [];
  if (r === 1) return ['const d0 = this.thread.x;'];
  const lines = [`const d${r - 1} = this.thread.x;`, `const d${r - 2} = this.thread.y;`];
  if (r === 3) return [...lines, 'const d0 = this.thread.z;'];
  // z = Σ d_i P_i over the leading dims, P_i the product of the leading sizes after i
  let rest = 'this.thread.z';
  for (let i = 0; i < r - 2; i++) {
    const P = shape.slice(i + 1, r - 2).reduce((a, b) => a * b, 1);
    if (i === r - 3) {
      lines.push(`const d${i} = ${rest};`);
    } else {
      lines.push(`const d${i} = Math.floor((${rest} + 0.5) / ${P});`, `const z${i} = ${rest} - d${i} * ${P};`);
      rest = `z${i}`;
    }
  }
  return lines;
}

export function indexExpr(strides: readonly number[], offset: number, prefix = 'd'): string {
  const terms = strides.map((s, i) => (s === 0 ? '' : s === 1 ? `${prefix}${i}` : `${prefix}${i} * ${s}`)).filter(Boolean);
  if (offset !== 0 || terms.length === 0) terms.unshift(String(offset));
  return terms.join(' + ');
}

/** A unary/binary/ternary map's kernel: `lines` may use v0..v{n-1} (the inputs) and must end in `return`. */
export function mapSource(shape: readonly number[], views: readonly Strided[], body: string[]): { source: string; output: number[] } | null {
  const c = collapse(shape, views);
  const output = gridFor(c.shape);
  if (!output) return null;
  const args = views.map((_, j) => `a${j}`);
  const lines = [
    ...indexLines(c.shape),
    ...views.map((v, j) => `const v${j} = a${j}[${indexExpr(c.strides[j], v.offset)}];`),
    ...body,
  ];
  return { source: `function (${args.join(', ')}) {\n${lines.join('\n')}\n}`, output };
}

export type ReduceKind = 'sum' | 'max' | 'min';

/**
 * out[kept] = reduce over `axes` of x. Sums are compensated (Kahan) so long float32 reductions stay within
 * the cpu kernel's rounding (it accumulates in float64).
 */
export function reduceSource(kind: ReduceKind, x: Layout, axes: readonly number[]): { source: string; output: number[] } | null {
  const keptDims = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const kept = collapse(keptDims.map((i) => x.shape[i]), [{ strides: keptDims.map((i) => x.strides[i]), offset: 0 }]);
  const red = collapse(axes.map((i) => x.shape[i]), [{ strides: axes.map((i) => x.strides[i]), offset: 0 }]);
  const output = gridFor(kept.shape);
  if (!output) return null;
  const base = indexExpr(kept.strides[0], x.offset);
  const lines = [...indexLines(kept.shape), `const base = ${base};`];
  const at = red.shape.length === 0 ? 'base' : `base + ${indexExpr(red.strides[0], 0, 'j')}`;
  if (kind === 'sum') lines.push('let acc = 0;', 'let comp = 0;');
  else lines.push(`let acc = a0[base];`);
  const open = red.shape.map((n, i) => `for (let j${i} = 0; j${i} < ${n}; j${i}++) {`);
  const step = kind === 'sum'
    ? [`const yk = a0[${at}] - comp;`, 'const tk = acc + yk;', 'comp = (tk - acc) - yk;', 'acc = tk;']
    : [`const v = a0[${at}];`, `acc = ${kind === 'max' ? 'Math.max' : 'Math.min'}(acc, v);`];
  lines.push(...open, ...step, ...red.shape.map(() => '}'), 'return acc;');
  return { source: `function (a0) {\n${lines.join('\n')}\n}`, output };
}

/** The most floats a partial write may span: its positions are split by float division (see the header). */
const MAX_PARTIAL = 2 ** 21;

/**
 * A write into part of a storage (cat's slices, a select's or slice's backward): one thread per float of the
 * whole storage, which keeps its old value unless it lies in the destination view, whose strides must nest
 * (each divides the next larger one, as a slice of a contiguous tensor's do). Arguments: (src, old storage).
 */
export function partialCopySource(src: Layout, dst: Layout, length: number): { source: string; output: number[] } | null {
  if (length === 0 || length > MAX_PARTIAL) return null;
  const dims = dst.shape.map((_, d) => d).filter((d) => dst.shape[d] !== 1).sort((a, b) => dst.strides[b] - dst.strides[a]);
  if (dims.length === 0 || dst.shape.some((n) => n === 0)) return null;
  for (let i = 0; i < dims.length; i++) {
    const s = dst.strides[dims[i]];
    if (s <= 0 || (i > 0 && dst.strides[dims[i - 1]] % s !== 0) || (i > 0 && dst.strides[dims[i - 1]] < s * dst.shape[dims[i]])) return null;
  }
  const lines = ['const p = this.thread.x;', `const r = p - ${dst.offset};`];
  let rest = 'r';
  const inside = ['r >= 0'];
  dims.forEach((d, i) => {
    const s = dst.strides[d];
    lines.push(`const i${i} = Math.floor((${rest} + 0.5) / ${s});`, `const r${i} = ${rest} - i${i} * ${s};`);
    inside.push(`i${i} < ${dst.shape[d]}`);
    rest = `r${i}`;
  });
  inside.push(`${rest} == 0`);
  const at = dims.map((d, i) => (src.strides[d] === 0 ? '' : `i${i} * ${src.strides[d]}`)).filter(Boolean);
  lines.push(`const q = ${[String(src.offset), ...at].join(' + ')};`);
  lines.push(`return (${inside.join(' && ')}) ? a0[q] : a1[p];`);
  return { source: `function (a0, a1) {\n${lines.join('\n')}\n}`, output: [length] };
}

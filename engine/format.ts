// How a tensor prints (console.log, util.inspect), as PyTorch's repr: the values laid out by rows,
// then dtype, device and autograd state, e.g. `tensor([[1, 2],\n        [3, 4]], dtype=float32)`.
// Past SUMMARY_THRESHOLD elements only the first and last EDGE_ITEMS of each dimension show (and the shape).
import type { Tensor } from './tensor.js';

const SUMMARY_THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

/** One number as PyTorch prints it in a given mode: integer, fixed with 4 decimals, or scientific. */
function formatNumber(v: number, mode: 'int' | 'fixed' | 'sci'): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (mode === 'int') return String(v);
  if (mode === 'fixed') return v.toFixed(4);
  return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2'); // 1.0000e+03, two exponent digits as PyTorch
}

/** PyTorch's choice: integers as integers; fixed point unless the magnitudes span too much, then scientific. */
function chooseMode(values: readonly number[], isInt: boolean): 'int' | 'fixed' | 'sci' {
  const finite = values.filter(Number.isFinite);
  if (isInt || (finite.every(Number.isInteger) && finite.every((v) => Math.abs(v) < 1e8))) return 'int';
  const nonzero = finite.filter((v) => v !== 0).map(Math.abs);
  if (nonzero.length === 0) return 'fixed';
  const max = Math.max(...nonzero), min = Math.min(...nonzero);
  return max >= 1e8 || min < 1e-4 || max / min > 1000 ? 'sci' : 'fixed';
}

/** Indices shown along a dimension of size n: all, or the first and last EDGE_ITEMS around a gap (-1). */
function shownIndices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE_ITEMS) return [...Array(n).keys()];
  return [...Array(EDGE_ITEMS).keys(), -1, ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i)];
}

/** The nested-bracket body of a tensor with values `flat` (row-major) and `shape`, indented by `indent`. */
function formatBody(flat: ArrayLike<number>, shape: readonly number[], isInt: boolean, indent: number): string {
  const summarize = flat.length > SUMMARY_THRESHOLD;
  // the elements that will show, to pick one format and one width for all of them
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const shown: number[] = [];
  const collect = (d: number, base: number): void => {
    if (d === shape.length) { shown.push(flat[base]); return; }
    for (const i of shownIndices(shape[d], summarize)) if (i >= 0) collect(d + 1, base + i * strides[d]);
  };
  collect(0, 0);
  const mode = chooseMode(shown, isInt);
  const width = Math.max(...shown.map((v) => formatNumber(v, mode).length));
  const cell = (v: number): string => formatNumber(v, mode).padStart(width);
  if (shape.length === 0) return formatNumber(flat[0], mode);

  const walk = (d: number, base: number): string => {
    const pad = ' '.repeat(indent + d + 1);
    const idx = shownIndices(shape[d], summarize);
    if (d === shape.length - 1) {
      const items = idx.map((i) => (i < 0 ? '...' : cell(flat[base + i])));
      // wrap long rows as PyTorch does, aligned under the first element
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - pad.length) / (width + 2)));
      const lines: string[] = [];
      for (let k = 0; k < items.length; k += perLine) lines.push(items.slice(k, k + perLine).join(', '));
      return `[${lines.join(`,\n${pad}`)}]`;
    }
    const gap = ',' + '\n'.repeat(shape.length - d - 1) + pad;
    return `[${idx.map((i) => (i < 0 ? '...' : walk(d + 1, base + i * strides[d]))).join(gap)}]`;
  };
  return walk(0, 0);
}

/** `tensor(<values>, dtype=..., device=..., requiresGrad=true | gradFn=<op>)`. */
export function formatTensor(t: Tensor): string {
  const extras: string[] = [];
  let body: string;
  const prefix = 'tensor(';
  if (t.isDisposed) {
    body = '<disposed>';
    extras.push(`shape=[${t.shape.join(', ')}]`);
  } else if (!t.storage.device.hostCurrent(t.storage.data)) {
    body = '<not computed yet: await t.data() to read it>';
    extras.push(`shape=[${t.shape.join(', ')}]`);
  } else {
    body = formatBody(t.toTypedArray(), t.shape, t.dtype === 'int32', prefix.length);
    if (t.size > SUMMARY_THRESHOLD) extras.push(`shape=[${t.shape.join(', ')}]`);
  }
  extras.push(`dtype=${t.dtype}`);
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.op.name}>`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  return `${prefix}${body}, ${extras.join(', ')})`;
}

// Reductions over any axes, with keepdim. The backward of a reduction broadcasts the gradient back.
import { apply } from '../autograd.js';
import { isFloat } from '../dtype.js';
import { normAxes, normAxis, sameShape, shapeStr } from '../layout.js';
import { noGrad } from '../grad-mode.js';
import { Tensor } from '../tensor.js';
import { notDifferentiable } from './op.js';
import type { ReduceAttrs, Rule, Rules } from './table.js';
import { where } from './elementwise.js';

function reducedShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function reduceForward(op: 'sum' | 'max' | 'min', x: Tensor, { axes, keepdim }: ReduceAttrs): Tensor {
  const out = Tensor.uninit(reducedShape(x.layout.shape, axes, keepdim), x.dtype, x.storage.device);
  const xv = x.view_();
  const o = out.data_;
  x.storage.device.run((k) => k.reduce(op, xv, axes, o));
  return out;
}

/** Sums a broadcast gradient back down to `shape` (the adjoint of broadcasting). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.layout.shape[i] !== 1)) axes.push(i);
  const summed = axes.length ? sum(g, axes, true) : g;
  return summed.reshape([...shape]);
}

/** Gradient of a reduction, shaped like the input: reshape to keepdim form, then broadcast. */
function spread(grad: Tensor, x: Tensor, axes: readonly number[], keepdim: boolean): Tensor {
  const kept = keepdim ? grad : grad.reshape(reducedShape(x.shape, axes, true));
  return kept.expand(x.shape);
}

export const sumOp: Rule<'sum'> = {
  name: 'sum',
  kernels: ['reduce'],
  forward: ([x], attrs) => reduceForward('sum', x, attrs),
  backward: (grad, { inputs: [x], attrs }) => [spread(grad, x, attrs.axes, attrs.keepdim)], // d Σx = 1
};

export const extremumOps: Rules<'max' | 'min'> = {
  max: { name: 'max', kernels: ['reduce'], forward: ([x], a) => reduceForward('max', x, a), backward: (g, c) => [extremumBackward(g, c.inputs[0], c.out, c.attrs)] },
  min: { name: 'min', kernels: ['reduce'], forward: ([x], a) => reduceForward('min', x, a), backward: (g, c) => [extremumBackward(g, c.inputs[0], c.out, c.attrs)] },
};

// d max = [x = max] / count(x = max): ties share the gradient evenly
function extremumBackward(grad: Tensor, x: Tensor, y: Tensor, { axes, keepdim }: ReduceAttrs): Tensor {
  const yk = spread(y, x, axes, keepdim);
  const mask = x.eq(yk).to(x.dtype);
  const count = sum(mask, axes, true);
  return spread(grad, x, axes, keepdim).mul(mask).div(count);
}

export function sum(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  return apply(sumOp, [x], { axes: normAxes('sum', axes, x.ndim), keepdim });
}

export function mean(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  if (!isFloat(x.dtype)) throw new Error(`mean: expected a floating-point tensor, got int32 of shape ${shapeStr(x.shape)}; convert with .float()`);
  const ax = normAxes('mean', axes, x.ndim);
  const count = ax.reduce((n, a) => n * x.layout.shape[a], 1);
  return sum(x, ax, keepdim).div(count);
}

export function extremum(op: 'max' | 'min', x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const ax = normAxes(op, axes, x.ndim);
  for (const a of ax) if (x.layout.shape[a] === 0) throw new Error(`${op}: cannot reduce over the empty axis ${a} of ${shapeStr(x.shape)}`);
  const rule: Rule<'max' | 'min'> = extremumOps[op];
  return apply(rule, [x], { axes: ax, keepdim });
}

export const argOp: Rule<'argReduce'> = {
  name: 'argReduce',
  kernels: ['argReduce'],
  forward: ([x], { op, axis, keepdim }) => {
    const out = Tensor.uninit(reducedShape(x.layout.shape, [axis], keepdim), 'int32', x.storage.device);
    const xv = x.view_();
    const o = out.data_ as Int32Array;
    x.storage.device.run((k) => k.argReduce(op, xv, axis, o));
    return out;
  },
  backward: notDifferentiable,
};

/** Index of the first maximum (minimum) along `axis`, or over the flattened tensor when axis is undefined. */
export function argReduce(op: 'argmax' | 'argmin', x: Tensor, axis?: number, keepdim = false): Tensor {
  if (axis === undefined) {
    if (x.size === 0) throw new Error(`${op}: the tensor is empty`);
    return apply(argOp, [x.reshape([-1])], { op, axis: 0, keepdim: false });
  }
  const a = normAxis(op, axis, x.ndim);
  if (x.layout.shape[a] === 0) throw new Error(`${op}: axis ${a} of ${shapeStr(x.shape)} is empty`);
  return apply(argOp, [x], { op, axis: a, keepdim });
}

/** var = Σ(x − mean)² / (n − 1 if unbiased else n) */
export function variance(x: Tensor, axes: number | readonly number[] | undefined, unbiased: boolean, keepdim: boolean): Tensor {
  const ax = normAxes('var', axes, x.ndim);
  const n = ax.reduce((c, a) => c * x.layout.shape[a], 1);
  const centered = x.sub(mean(x, ax, true));
  return sum(centered.mul(centered), ax, keepdim).div(Math.max(unbiased ? n - 1 : n, 0));
}

/** log Σ exp(x), computed stably around the (detached) max. */
export function logsumexp(x: Tensor, axes: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const ax = normAxes('logsumexp', axes, x.ndim);
  const m = noGrad(() => {
    const mx = extremum('max', x, ax, true);
    return where0(mx);
  });
  const s = sum(x.sub(m).exp(), ax, true).log().add(m);
  return keepdim ? s : s.reshape(reducedShape(x.shape, ax, false));
}

/** Infinite maxima (all −inf rows) would give NaN after subtraction; use 0 there instead. */
function where0(m: Tensor): Tensor {
  return where(m.abs().lt(Infinity), m, 0);
}

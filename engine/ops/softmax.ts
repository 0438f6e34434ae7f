// Fused softmax and log-softmax over one axis, with the composed references they are tested against.
import { apply } from '../autograd.js';
import { isFloat } from '../dtype.js';
import { normAxis, shapeStr } from '../layout.js';
import { Tensor } from '../tensor.js';
import type { Rule } from './table.js';
import { contiguous, transpose } from './movement.js';

/** Moves `axis` last (a view), runs fn over contiguous rows, and moves it back. */
function overLastAxis(x: Tensor, axis: number, fn: (rows: Tensor) => Tensor): Tensor {
  if (axis === x.ndim - 1 || x.ndim === 0) return fn(x);
  return transpose(fn(transpose(x, axis, -1)), axis, -1);
}

export const softmaxOp: Rule<'softmax'> = {
  name: 'softmax',
  kernels: ['softmax', 'softmaxBackward'],
  forward: ([x], { log }) => {
    const xc = contiguous(x);
    const cols = x.ndim === 0 ? 1 : x.layout.shape[x.ndim - 1];
    const rows = cols === 0 ? 0 : x.size / cols;
    const out = Tensor.uninit(x.shape, x.dtype, x.storage.device);
    const xd = xc.view_(), o = out.data_;
    x.storage.device.run((k) => k.softmax(xd.data.subarray(xd.layout.offset) as typeof o, o, rows, cols, log));
    return out;
  },
  // softmax: dx = y(g − Σgy);  log-softmax: dx = g − eʸ Σg
  backward: (grad, { out, attrs: { log } }) => {
    const g = contiguous(grad);
    const cols = out.ndim === 0 ? 1 : out.layout.shape[out.ndim - 1];
    const rows = cols === 0 ? 0 : out.size / cols;
    const dx = Tensor.uninit(out.shape, out.dtype, out.storage.device);
    const gd = g.view_(), yd = out.data_, o = dx.data_;
    out.storage.device.run((k) => k.softmaxBackward(yd, gd.data.subarray(gd.layout.offset) as typeof o, o, rows, cols, log));
    return [dx];
  },
};

function rowOp(name: string, x: Tensor, axis: number, log: boolean): Tensor {
  if (!isFloat(x.dtype)) throw new Error(`${name}: expected a floating-point tensor, got int32 of shape ${shapeStr(x.shape)}`);
  const a = normAxis(name, axis, x.ndim);
  return overLastAxis(x, a, (rows) => apply(softmaxOp, [rows], { log }));
}

export const softmax = (x: Tensor, axis = -1): Tensor => rowOp('softmax', x, axis, false);
export const logSoftmax = (x: Tensor, axis = -1): Tensor => rowOp('logSoftmax', x, axis, true);

/** Reference: exp(x − max) / Σ exp(x − max), from primitives. */
export function softmaxComposed(x: Tensor, axis = -1): Tensor {
  const m = x.max(axis, true).detach();
  const e = x.sub(m).exp();
  return e.div(e.sum(axis, true));
}

/** Reference: x − logsumexp(x), from primitives. */
export function logSoftmaxComposed(x: Tensor, axis = -1): Tensor {
  return x.sub(x.logsumexp(axis, true));
}

// Fused layer normalisation over the trailing `normalizedShape` dims, with its composed reference.
import { apply } from '../autograd.js';
import { isFloat, type TypedArray } from '../dtype.js';
import { sameShape, shapeStr } from '../layout.js';
import { Tensor } from '../tensor.js';
import type { LayerNormInputs, Rule } from './table.js';
import { contiguous } from './movement.js';

function flat(t: Tensor | undefined): TypedArray | null {
  if (!t) return null;
  const c = contiguous(t).view_();
  return c.data.subarray(c.layout.offset, c.layout.offset + t.size) as TypedArray;
}

export const layerNormOp: Rule<'layerNorm'> = {
  name: 'layerNorm',
  kernels: ['layerNorm', 'layerNormBackward'],
  forward: (inputs, { cols, eps, hasWeight, hasBias }) => {
    const x = inputs[0];
    const w = hasWeight ? inputs[1] : undefined;
    const b = hasBias ? inputs[hasWeight ? 2 : 1] : undefined;
    const rows = cols === 0 ? 0 : x.size / cols;
    const y = Tensor.uninit(x.shape, x.dtype, x.storage.device);
    const mean = Tensor.uninit([rows], x.dtype, x.storage.device);
    const rstd = Tensor.uninit([rows], x.dtype, x.storage.device);
    const xd = flat(x)!, wd = flat(w), bd = flat(b);
    const [yd, md, rd] = [y.data_, mean.data_, rstd.data_];
    x.storage.device.run((k) => k.layerNorm(xd, wd, bd, yd, md, rd, rows, cols, eps));
    return [y, { mean, rstd }] as const;
  },
  // x̂ = (x−μ)σ⁻¹: dx = σ⁻¹(ĝ − mean ĝ − x̂ mean(ĝx̂)) with ĝ = g·w;  dw = Σ g x̂;  db = Σ g
  backward: (grad, { inputs, attrs: { cols, hasWeight, hasBias }, saved: { mean, rstd }, needsGrad }) => {
    const x = inputs[0];
    const w = hasWeight ? inputs[1] : undefined;
    const rows = cols === 0 ? 0 : x.size / cols;
    const dev = x.storage.device;
    const dx = Tensor.uninit(x.shape, x.dtype, dev);
    const dw = hasWeight && needsGrad[1] ? Tensor.uninit(w!.shape, x.dtype, dev) : null;
    const bIndex = hasWeight ? 2 : 1;
    const bias = inputs[bIndex];
    const db = hasBias && bias && needsGrad[bIndex] ? Tensor.uninit(bias.shape, x.dtype, dev) : null;
    const xd = flat(x)!, wd = flat(w), gd = flat(grad)!;
    const [md, rd, dxd, dwd, dbd] = [mean.data_, rstd.data_, dx.data_, dw ? dw.data_ : null, db ? db.data_ : null];
    dev.run((k) => k.layerNormBackward(xd, wd, md, rd, gd, dxd, dwd, dbd, rows, cols));
    if (hasWeight) return hasBias ? [dx, dw, db] : [dx, dw];
    return hasBias ? [dx, db] : [dx];
  },
};

export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  if (!isFloat(x.dtype)) throw new Error(`layerNorm: expected a floating-point tensor, got ${x.dtype}`);
  const tail = x.shape.slice(x.ndim - ns.length);
  if (ns.length > x.ndim || !sameShape(tail, ns)) {
    throw new Error(`layerNorm: normalizedShape ${shapeStr(ns)} does not match the trailing dimensions of the input ${shapeStr(x.shape)}`);
  }
  for (const [name, p] of [['weight', weight], ['bias', bias]] as const) {
    if (p && !sameShape(p.shape, ns)) throw new Error(`layerNorm: ${name} has shape ${shapeStr(p.shape)}, expected ${shapeStr(ns)}`);
    if (p && p.dtype !== x.dtype) throw new Error(`layerNorm: ${name} is ${p.dtype}, input is ${x.dtype}`);
  }
  if (!(eps >= 0)) throw new Error(`layerNorm: eps must be non-negative, got ${eps}`);
  const inputs: LayerNormInputs = weight ? (bias ? [x, weight, bias] : [x, weight]) : bias ? [x, bias] : [x];
  const cols = ns.reduce((a, b) => a * b, 1);
  return apply(layerNormOp, inputs, { cols, eps, hasWeight: !!weight, hasBias: !!bias });
}

/** Reference from primitives: (x − mean) / √(var + eps) · w + b. */
export function layerNormComposed(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const k = typeof normalizedShape === 'number' ? 1 : normalizedShape.length;
  const axes = [...Array(k).keys()].map((i) => x.ndim - k + i);
  const mu = x.mean(axes, true);
  const centered = x.sub(mu);
  const v = centered.mul(centered).mean(axes, true);
  let y = centered.div(v.add(eps).sqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

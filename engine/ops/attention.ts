// Fused multi-head self-attention read straight out of one qkv projection [B, N, 3·D] (timm's layout: the q, k
// and v thirds, heads inside each) and written with the heads merged, [B, N, D]. The backward returns d qkv in
// the same layout, so the graph holds one node instead of the head split, scale, two batched products, softmax
// and head merge, and no slice of qkv makes a full-size zero gradient. qkvAttentionComposed is its reference.
import { apply } from '../autograd.js';
import { isFloat } from '../dtype.js';
import { contiguousStrides, shapeStr } from '../layout.js';
import { Tensor } from '../tensor.js';
import type { AttentionAttrs, AttentionSaved, Rule } from './table.js';
import { matmul } from './matmul.js';
import { softmax } from './softmax.js';
import { cat, contiguous } from './movement.js';

/** [s, 1, 1] as `like`'s dtype, shaped to scale the q third of a [.., 3, ..] axis (the rest of `shape` is 1). */
function qScale(like: Tensor, scale: number, shape: readonly number[]): Tensor {
  const data = like.dtype === 'float64' ? new Float64Array([scale, 1, 1]) : new Float32Array([scale, 1, 1]);
  return Tensor.fromArray(data, shape, like.storage.device);
}

/** A contiguous [B, N, H, hd] tensor holding heads-first o [B·H, N, hd] (the head merge, one strided copy). */
function mergeHeads(o: Tensor, b: number, h: number, n: number, hd: number): Tensor {
  const out = Tensor.uninit([b, n, h * hd], o.dtype, o.storage.device);
  const src = o.view_();
  const strided = { data: src.data, layout: { shape: [b, n, h, hd], strides: [h * n * hd, hd, n * hd, 1], offset: src.layout.offset } };
  const dst = { data: out.data_, layout: { shape: [b, n, h, hd], strides: contiguousStrides([b, n, h, hd]), offset: 0 } };
  o.storage.device.run((k) => k.copy(strided, dst));
  return out;
}

export const attentionOp: Rule<'attention'> = {
  name: 'attention',
  kernels: ['binary', 'matmul', 'softmax', 'softmaxBackward', 'copy'],
  // qkvh = [s·q, k, v] heads-first [3, B·H, N, hd];  P = softmax(s·q kᵀ);  y = merge(P v)
  forward: ([x], { heads, scale }) => {
    const [b, n, d3] = x.layout.shape;
    const d = d3 / 3, hd = d / heads, bh = b * heads;
    // the head split and the q scale in one pass
    const qkvh = x.reshape([b, n, 3, heads, hd]).permute([2, 0, 3, 1, 4]).mul(qScale(x, scale, [3, 1, 1, 1, 1]));
    const [q, k, v] = [0, 1, 2].map((t) => qkvh.narrow(0, t, 1).reshape([bh, n, hd]));
    const p = softmax(matmul(q, k.mT), -1);
    return [mergeHeads(matmul(p, v), b, heads, n, hd), { qkvh, p }] as const;
  },
  // dP = dY vᵀ;  dS = P(dP − Σ dP·P);  d(s·q) = dS k, dq = s·d(s·q);  dk = dSᵀ (s·q);  dv = Pᵀ dY
  backward: (grad, { attrs: { heads, scale }, saved: { qkvh, p } }) => {
    const [b, n, d] = grad.shape;
    const hd = d / heads, bh = b * heads;
    const dy = contiguous(grad.reshape([b, n, heads, hd]).permute([0, 2, 1, 3])).reshape([bh, n, hd]);
    const [q, k, v] = [0, 1, 2].map((t) => qkvh.narrow(0, t, 1).reshape([bh, n, hd]));
    const dp = matmul(dy, v.mT);
    const ds = Tensor.uninit(p.shape, p.dtype, p.storage.device);
    const pd = p.data_, dpd = dp.view_(), dsd = ds.data_;
    p.storage.device.run((kk) => kk.softmaxBackward(pd, dpd.data.subarray(dpd.layout.offset) as typeof pd, dsd, bh * n, n, false));
    const dqkvh = cat([matmul(ds, k), matmul(ds.mT, q), matmul(p.mT, dy)], 0); // [3·B·H, N, hd]
    // back to [B, N, 3, H, hd] with the q third scaled, in one pass
    const dx = dqkvh.reshape([3, b, heads, n, hd]).permute([1, 3, 0, 2, 4]).mul(qScale(grad, scale, [1, 1, 3, 1, 1]));
    return [dx.reshape([b, n, 3 * d])];
  },
};

/**
 * softmax(q kᵀ · scale) v per (batch, head) for qkv [B, N, 3·D] laid out as timm's qkv projection output
 * (q, k, v thirds; `heads` heads of D/heads inside each); returns [B, N, D] with the heads merged.
 */
export function qkvAttention(qkv: Tensor, heads: number, scale: number): Tensor {
  const [b, n, d3] = qkv.shape;
  if (qkv.ndim !== 3 || d3 % 3 !== 0 || !Number.isInteger(heads) || heads < 1 || (d3 / 3) % heads !== 0) {
    throw new Error(`qkvAttention: expected qkv [B, N, 3·D] with D divisible by heads (${heads}), got ${shapeStr(qkv.shape)}`);
  }
  if (!isFloat(qkv.dtype)) throw new Error(`qkvAttention: expected a floating-point qkv, got ${qkv.dtype} of shape ${shapeStr(qkv.shape)}`);
  if (b * n === 0) throw new Error(`qkvAttention: qkv ${shapeStr(qkv.shape)} has no rows`);
  return apply(attentionOp, [contiguous(qkv)], { heads, scale });
}

/** Reference: the same attention from primitives (head split by permute, batched matmuls, softmax, head merge). */
export function qkvAttentionComposed(qkv: Tensor, heads: number, scale: number): Tensor {
  const [b, n, d3] = qkv.shape;
  const d = d3 / 3, hd = d / heads;
  const qkvh = qkv.reshape([b, n, 3, heads, hd]).permute([2, 0, 3, 1, 4]); // [3, B, H, N, hd]
  const [q, k, v] = [0, 1, 2].map((t) => qkvh.select(0, t));
  const p = q.mul(scale).matmul(k.mT).softmax(-1);
  return p.matmul(v).transpose(1, 2).reshape([b, n, d]);
}


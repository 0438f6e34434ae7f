// Fused multi-head self-attention: q, k, v [B, N, D] in (heads inside D, as timm's qkv projection lays them
// out), softmax(q kᵀ · scale) v per (batch, head), out [B, N, D] with the heads merged. One graph node instead of
// the head split, scale, two batched products, softmax and head merge, whose backward hands dq, dk, dv back in
// the inputs' layout. On a backend with a fused attention kernel (the cpu's wasm) forward and backward are one
// kernel call each; elsewhere they are made of the backend's kernels here. attentionComposed is its reference,
// built from primitives.
import { apply } from '../autograd.js';
import { isFloat } from '../dtype.js';
import { contiguousStrides, shapeStr } from '../layout.js';
import { Tensor } from '../tensor.js';
import type { AttentionShape } from '../backend/interface.js';
import type { TypedArray } from '../dtype.js';
import type { AttentionAttrs, AttentionSaved, Rule } from './table.js';
import { matmul } from './matmul.js';
import { softmax } from './softmax.js';
import { contiguous } from './movement.js';

/** t [B, N, H·hd] as heads-first [B, H, N, hd] (a view). */
const splitHeads = (t: Tensor, heads: number): Tensor => {
  const [b, n, d] = t.shape;
  return t.reshape([b, n, heads, d / heads]).permute([0, 2, 1, 3]);
};

/** A contiguous [B, N, H·hd] tensor holding heads-first o [B·H, N, hd] (the head merge, one strided copy). */
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
  // P = softmax((s·q) kᵀ) per (batch, head);  y = merge(P v)
  forward: ([q, k, v], { heads, scale }, recording) => {
    const [b, n, d] = q.layout.shape;
    const fused = q.storage.device.backend.fused;
    if (fused) {
      // q, k, v as they are when they share a row spacing (the thirds of one qkv tensor too), else copies
      const rows = [q, k, v].map(rowSpacing);
      const shared = rows[0] !== null && rows.every((r) => r === rows[0]);
      const inputs = shared ? [q, k, v] as const : [contiguous(q), contiguous(k), contiguous(v)] as const;
      const out = Tensor.uninit([b, n, d], q.dtype, q.storage.device);
      // the probabilities are kept only for a backward
      const p = recording ? Tensor.uninit([b * heads, n, n], q.dtype, q.storage.device) : null;
      const shape = { batch: b, seq: n, heads, headSize: d / heads, scale, inputRow: shared ? rows[0]! : d };
      const [qs, ks, vs] = inputs.map((t) => span(t, inputSpan(shape)));
      if (fused.attention(qs, ks, vs, out.data_, p ? p.data_ : null, shape)) return p ? [out, { inputs, p, shape }] as const : out;
      out.dispose();
      p?.dispose();
    }
    const hd = d / heads, bh = b * heads;
    const qh = splitHeads(q, heads).mul(scale).reshape([bh, n, hd]); // the split and the scale in one pass
    const kh = contiguous(splitHeads(k, heads)).reshape([bh, n, hd]);
    const vh = contiguous(splitHeads(v, heads)).reshape([bh, n, hd]);
    const p = softmax(matmul(qh, kh.mT), -1);
    return [mergeHeads(matmul(p, vh), b, heads, n, hd), { heads: { qh, kh, vh }, p }] as const;
  },
  // dP = dY vᵀ;  dS = P(dP − Σ dP·P);  dq = s·dS k;  dk = dSᵀ (s·q);  dv = Pᵀ dY   (per head, then merged)
  backward: (grad, { attrs: { heads, scale }, saved, needsGrad }) => {
    const [b, n, d] = grad.shape;
    const hd = d / heads, bh = b * heads, p = saved.p;
    const fused = p.storage.device.backend.fused;
    if ('inputs' in saved && fused) {
      const shape = saved.shape;
      const wanted = needsGrad.map((w) => (w ? Tensor.uninit([b, n, d], grad.dtype, grad.storage.device) : null));
      const arrays = wanted.map((t) => (t ? t.data_ : null));
      const [qs, ks, vs] = saved.inputs.map((t) => span(t, inputSpan(shape)));
      if (fused.attentionBackward(span(contiguous(grad), grad.size), qs, ks, vs, p.data_, arrays[0], arrays[1], arrays[2], shape)) {
        return [wanted[0], wanted[1], wanted[2]];
      }
      for (const t of wanted) t?.dispose();
    }
    // the composed backward; after a fused forward (kernel turned down now), from the inputs split here
    const { qh, kh, vh } = 'heads' in saved ? saved.heads : {
      qh: splitHeads(saved.inputs[0], heads).mul(scale).reshape([bh, n, hd]),
      kh: contiguous(splitHeads(saved.inputs[1], heads)).reshape([bh, n, hd]),
      vh: contiguous(splitHeads(saved.inputs[2], heads)).reshape([bh, n, hd]),
    };
    const dy = contiguous(splitHeads(grad, heads)).reshape([bh, n, hd]);
    const merge = (t: Tensor): Tensor => mergeHeads(t, b, heads, n, hd);
    const dv = needsGrad[2] ? merge(matmul(p.mT, dy)) : null;
    if (!needsGrad[0] && !needsGrad[1]) return [null, null, dv];
    const dp = matmul(dy, vh.mT);
    const ds = Tensor.uninit(p.shape, p.dtype, p.storage.device);
    const pd = p.data_, dpv = dp.view_(), dsd = ds.data_;
    p.storage.device.run((kk) => kk.softmaxBackward(pd, dpv.data.subarray(dpv.layout.offset) as typeof pd, dsd, bh * n, n, false));
    const dq = needsGrad[0] ? merge(matmul(ds, kh)).mul(scale) : null;
    const dk = needsGrad[1] ? merge(matmul(ds.mT, qh)) : null;
    return [dq, dk, dv];
  },
};

/** `length` elements of t's storage from its first element (a typed array a kernel reads from index 0). */
function span(t: Tensor, length: number): TypedArray {
  const { data, layout } = t.view_();
  return data.subarray(layout.offset, layout.offset + length) as TypedArray;
}

/**
 * The spacing of t's rows (elements) when t [B, N, D] is B·N rows of D contiguous elements equally spaced
 * (a contiguous tensor: D; a third of one [B, N, 3D] qkv tensor: 3D), else null.
 */
function rowSpacing(t: Tensor): number | null {
  const [b, n, d] = t.layout.shape, [sb, sn, sd] = t.layout.strides;
  if (d > 1 && sd !== 1) return null;
  const row = n > 1 ? sn : b > 1 ? sb : d;
  return row >= d && (b === 1 || sb === n * row) ? row : null;
}

/** Elements an input spans from its first: B·N − 1 rows of inputRow, then one of D. */
const inputSpan = (s: AttentionShape): number => (s.batch * s.seq - 1) * s.inputRow + s.heads * s.headSize;

/**
 * softmax(q kᵀ · scale) v per (batch, head) for q, k, v [B, N, D] holding `heads` heads of D/heads each
 * (timm's layout); returns [B, N, D] with the heads merged.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, heads: number, scale: number): Tensor {
  const [b, n, d] = q.shape;
  if (q.ndim !== 3 || !sameShape3(q, k) || !sameShape3(q, v) || !Number.isInteger(heads) || heads < 1 || d % heads !== 0) {
    throw new Error(`attention: expected q, k, v of one shape [B, N, D] with D divisible by heads (${heads}), got ${shapeStr(q.shape)}, ${shapeStr(k.shape)}, ${shapeStr(v.shape)}`);
  }
  if (!isFloat(q.dtype) || k.dtype !== q.dtype || v.dtype !== q.dtype) {
    throw new Error(`attention: expected floating-point q, k, v of one dtype, got ${q.dtype}, ${k.dtype}, ${v.dtype}`);
  }
  if (k.device !== q.device || v.device !== q.device) throw new Error(`attention: q, k, v are on different devices (${q.device}, ${k.device}, ${v.device})`);
  if (b * n === 0) throw new Error(`attention: q ${shapeStr(q.shape)} has no rows`);
  return apply(attentionOp, [q, k, v], { heads, scale });
}

const sameShape3 = (a: Tensor, b: Tensor): boolean => b.ndim === 3 && a.shape.every((s, i) => s === b.shape[i]);

/** Reference: the same attention from primitives (head split by permute, batched matmuls, softmax, head merge). */
export function attentionComposed(q: Tensor, k: Tensor, v: Tensor, heads: number, scale: number): Tensor {
  const [b, n, d] = q.shape;
  const p = splitHeads(q, heads).mul(scale).matmul(splitHeads(k, heads).mT).softmax(-1);
  return p.matmul(splitHeads(v, heads)).transpose(1, 2).reshape([b, n, d]);
}

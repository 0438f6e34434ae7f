// Multi-head self-attention as timm's Attention: a qkv projection [3D, D] (parameter layout as timm),
// softmax(q kᵀ / √hd) v per head (one fused op over the qkv output), heads merged, then proj.
import { qkvAttention, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { Dropout } from './dropout.js';
import { checkPositiveInt, checkProbability, type InitOptions } from './init.js';
import { Linear } from './linear.js';

export interface AttentionOptions extends InitOptions {
  numHeads: number;
  qkvBias?: boolean;
  /** Dropout on the attention probabilities (timm's attn_drop); 0 by default. */
  attnDrop?: number;
  /** Dropout after proj (timm's proj_drop); 0 by default. */
  projDrop?: number;
}

export class Attention extends Module {
  readonly numHeads: number;
  readonly qkv: Linear;
  readonly attnDrop: Dropout;
  readonly proj: Linear;
  readonly projDrop: Dropout;

  constructor(readonly dim: number, options: AttentionOptions) {
    super();
    this.numHeads = checkPositiveInt('Attention', 'numHeads', options.numHeads);
    checkPositiveInt('Attention', 'dim', dim);
    if (dim % this.numHeads !== 0) throw new Error(`Attention: dim ${dim} must be divisible by numHeads ${this.numHeads}`);
    this.qkv = this.registerModule('qkv', new Linear(dim, 3 * dim, { ...options, bias: options.qkvBias ?? true }));
    this.attnDrop = this.registerModule('attn_drop', new Dropout(checkProbability('Attention', 'attnDrop', options.attnDrop ?? 0), options.generator));
    this.proj = this.registerModule('proj', new Linear(dim, dim, options));
    this.projDrop = this.registerModule('proj_drop', new Dropout(checkProbability('Attention', 'projDrop', options.projDrop ?? 0), options.generator));
  }

  /** Self-attention of x [B, N, D]. */
  forward(x: Tensor): Tensor {
    const [b, n, d] = x.shape;
    const h = this.numHeads;
    if (x.ndim !== 3 || d !== this.dim) throw new Error(`Attention: expected x [B, N, ${this.dim}], got ${JSON.stringify(x.shape)}`);
    const hd = d / h;
    // one qkv product [B·N, 3D] (N = 192 rather than three of 64), then the fused attention reads q, k and v
    // out of it and hands back d qkv in the same layout (engine/ops/attention.ts)
    const qkv = this.qkv.forward(x); // [B, N, 3D]
    const p = this.attnDrop.p;
    // dropout on the probabilities sits inside the composed path only; the fused one has none
    const merged = p > 0 && this.attnDrop.training
      ? qkvAttentionComposedWithDropout(qkv, h, hd ** -0.5, (t) => this.attnDrop.forward(t))
      : qkvAttention(qkv, h, hd ** -0.5);
    return this.projDrop.forward(this.proj.forward(merged));
  }
}

/** softmax(q kᵀ · scale) with `drop` applied to the probabilities, then · v, heads merged: [B, N, D]. */
function qkvAttentionComposedWithDropout(qkv: Tensor, heads: number, scale: number, drop: (p: Tensor) => Tensor): Tensor {
  const [b, n, d3] = qkv.shape;
  const d = d3 / 3, hd = d / heads;
  const qkvh = qkv.reshape(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4); // [3, B, H, N, hd]
  const [q, k, v] = [0, 1, 2].map((t) => qkvh.select(0, t));
  // scaling q (N·hd values) rather than the scores (N·N) is timm's order and the cheaper one
  const attn = drop(q.mul(scale).matmul(k.mT).softmax(-1));
  return attn.matmul(v).transpose(1, 2).reshape(b, n, d);
}

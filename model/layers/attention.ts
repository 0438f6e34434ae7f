// Multi-head self-attention as timm's Attention: a qkv projection [3D, D] (parameter layout as timm),
// softmax(q kᵀ / √hd) v per head (one fused op), heads merged, then proj.
import { attention, isGradEnabled, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { Dropout } from './dropout.js';
import { checkLayerOptions, checkPositiveInt, checkProbability, initOf, type InitOptions } from './init.js';
import { Linear, linear, projectOut } from './linear.js';

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
    checkLayerOptions('Attention', options, ['numHeads', 'qkvBias', 'attnDrop', 'projDrop']);
    this.numHeads = checkPositiveInt('Attention', 'numHeads', options.numHeads);
    checkPositiveInt('Attention', 'dim', dim);
    if (dim % this.numHeads !== 0) throw new Error(`Attention: dim ${dim} must be divisible by numHeads ${this.numHeads}`);
    this.qkv = this.registerModule('qkv', new Linear(dim, 3 * dim, { ...initOf(options), bias: options.qkvBias ?? true }));
    this.attnDrop = this.registerModule('attn_drop', new Dropout(checkProbability('Attention', 'attnDrop', options.attnDrop ?? 0), options.generator));
    this.proj = this.registerModule('proj', new Linear(dim, dim, initOf(options)));
    this.projDrop = this.registerModule('proj_drop', new Dropout(checkProbability('Attention', 'projDrop', options.projDrop ?? 0), options.generator));
  }

  /**
   * Self-attention of x [B, N, D]; with `residual` [B, N, D], residual + attention(x), the add inside the
   * output projection (where proj_drop is off: it would come between).
   */
  forward(x: Tensor, residual?: Tensor): Tensor {
    const [b, n, d] = x.shape;
    const h = this.numHeads;
    if (x.ndim !== 3 || d !== this.dim) throw new Error(`Attention: expected x [B, N, ${this.dim}], got ${JSON.stringify(x.shape)}`);
    const hd = d / h;
    const { weight, bias } = this.qkv;
    // recorded for autograd: q, k, v each from their third of the qkv weight (views), the same math as timm's
    // single [3D, D] product, but the backward needs no full-size zeros for selecting them out of one tensor;
    // otherwise that single product (A packed once), q, k, v its column thirds, read in place by the attention
    const third = (t: number): Tensor => linear(x, weight.narrow(0, t * d, d), bias ? bias.narrow(0, t * d, d) : null);
    const qkv = isGradEnabled() ? null : linear(x, weight, bias ?? null);
    const [q, k, v] = qkv ? [0, 1, 2].map((t) => qkv.narrow(-1, t * d, d)) : [third(0), third(1), third(2)];
    // dropout on the probabilities needs the composed path; otherwise one fused op (engine/ops/attention.ts)
    const merged = this.attnDrop.active
      ? attentionWithDropout(q, k, v, h, hd ** -0.5, (p) => this.attnDrop.forward(p))
      : attention(q, k, v, h, hd ** -0.5);
    return projectOut(this.proj, this.projDrop, merged, residual);
  }
}

/** softmax(q kᵀ · scale) with `drop` applied to the probabilities, then · v, heads merged: [B, N, D]. */
function attentionWithDropout(q: Tensor, k: Tensor, v: Tensor, heads: number, scale: number, drop: (p: Tensor) => Tensor): Tensor {
  const [b, n, d] = q.shape;
  const split = (t: Tensor): Tensor => t.reshape(b, n, heads, d / heads).permute(0, 2, 1, 3); // [B, H, N, hd]
  // scaling q (N·hd values) rather than the scores (N·N) is timm's order and the cheaper one
  const attn = drop(split(q).mul(scale).matmul(split(k).mT).softmax(-1));
  return attn.matmul(split(v)).transpose(1, 2).reshape(b, n, d);
}

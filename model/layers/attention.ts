// Multi-head self-attention as timm's Attention: a qkv projection [3D, D] (parameter layout as timm),
// heads split as [B, H, N, hd], softmax(q kᵀ / √hd) v, heads merged, then proj.
import { defaultGenerator, F, type Generator, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { Dropout } from './dropout.js';
import { checkPositiveInt, checkProbability, type InitOptions } from './init.js';
import { Linear, linear } from './linear.js';

export interface AttentionWeights {
  qkvWeight: Tensor;
  qkvBias?: Tensor | null;
  projWeight: Tensor;
  projBias?: Tensor | null;
}

export interface AttentionConfig {
  numHeads: number;
  /** Dropout on the attention probabilities (timm's attn_drop); 0 by default. */
  attnDrop?: number;
  /** Dropout after proj (timm's proj_drop); 0 by default. */
  projDrop?: number;
  training?: boolean;
  generator?: Generator;
}

/** Self-attention of x [B, N, D]; the same math as Attention.forward, on given tensors. */
export function attentionForward(x: Tensor, w: AttentionWeights, cfg: AttentionConfig): Tensor {
  const [b, n, d] = x.shape;
  const h = cfg.numHeads;
  if (x.ndim !== 3 || d % h !== 0) throw new Error(`attention: expected x [B, N, D] with D divisible by numHeads ${h}, got ${JSON.stringify(x.shape)}`);
  const hd = d / h;
  const training = cfg.training ?? false, g = cfg.generator ?? defaultGenerator;
  // q, k, v each from their third of the qkv weight (views): the same math as timm's single [3D, D]
  // product, but the backward needs no full-size zeros for selecting q, k and v out of one tensor
  const heads = (t: number): Tensor => linear(x, w.qkvWeight.narrow(0, t * d, d), w.qkvBias ? w.qkvBias.narrow(0, t * d, d) : null)
    .reshape(b, n, h, hd).permute(0, 2, 1, 3); // [B, H, N, hd]
  // scaling q (N·hd values) rather than the scores (N·N) is timm's order and the cheaper one
  const q = heads(0).mul(hd ** -0.5);
  const k = heads(1);
  const v = heads(2);
  const attn = F.dropout(q.matmul(k.mT).softmax(-1), cfg.attnDrop ?? 0, training, g);
  // [B, H, N, hd] → [B, N, H, hd] → [B·N, D] rows for the projection
  const merged = attn.matmul(v).transpose(1, 2).reshape(b * n, d);
  const out = linear(merged, w.projWeight, w.projBias).reshape(b, n, d);
  return F.dropout(out, cfg.projDrop ?? 0, training, g);
}

export interface AttentionOptions extends InitOptions {
  numHeads: number;
  qkvBias?: boolean;
  attnDrop?: number;
  projDrop?: number;
}

export class Attention extends Module {
  readonly numHeads: number;
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly attnDrop: Dropout;
  readonly projDrop: Dropout;

  constructor(readonly dim: number, options: AttentionOptions) {
    super();
    this.numHeads = checkPositiveInt('Attention', 'numHeads', options.numHeads);
    checkPositiveInt('Attention', 'dim', dim);
    if (dim % this.numHeads !== 0) throw new Error(`Attention: dim ${dim} must be divisible by numHeads ${this.numHeads}`);
    this.qkv = this.registerModule('qkv', new Linear(dim, 3 * dim, { ...options, bias: options.qkvBias ?? true }));
    this.attnDrop = new Dropout(checkProbability('Attention', 'attnDrop', options.attnDrop ?? 0), options.generator);
    this.proj = this.registerModule('proj', new Linear(dim, dim, options));
    this.projDrop = new Dropout(checkProbability('Attention', 'projDrop', options.projDrop ?? 0), options.generator);
  }

  forward(x: Tensor): Tensor {
    return attentionForward(x, this.weights(), {
      numHeads: this.numHeads, attnDrop: this.attnDrop.p, projDrop: this.projDrop.p, training: this.training, generator: this.projDrop.generator,
    });
  }

  weights(): AttentionWeights {
    return { qkvWeight: this.qkv.weight, qkvBias: this.qkv.bias, projWeight: this.proj.weight, projBias: this.proj.bias };
  }
}

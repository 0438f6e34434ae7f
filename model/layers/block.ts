// The pre-norm transformer block of ViT/DeiT, run through its child modules:
//   x ← x + drop_path(attn(norm1(x)));  x ← x + drop_path(mlp(norm2(x)))
// To run it with other weights (TLEG's auxiliary net), use functionalCall.
import { defaultGenerator, type Generator, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import type { ActivationModule } from './activation.js';
import { Attention } from './attention.js';
import { DropPath } from './dropout.js';
import { checkLayerOptions, checkProbability, type InitOptions } from './init.js';
import { LayerNorm } from './layernorm.js';
import { Mlp } from './mlp.js';

/** A module usable as a block's MLP: maps [B, N, D] to [B, N, D]. */
export type MlpModule = ActivationModule;

export interface BlockOptions extends InitOptions {
  numHeads: number;
  mlpRatio?: number;
  qkvBias?: boolean;
  eps?: number;
  /** Stochastic-depth rate of this block (0 by default). */
  dropPath?: number;
  /** Dropout after attention proj and inside the MLP (timm's proj_drop_rate; 0 by default). */
  dropRate?: number;
  attnDrop?: number;
  /** A replacement for the standard Mlp (e.g. a gated MLP); registered as `mlp`. */
  mlp?: MlpModule;
}

export class Block extends Module {
  readonly norm1: LayerNorm;
  readonly attn: Attention;
  readonly dropPath: DropPath;
  readonly norm2: LayerNorm;
  readonly mlp: MlpModule;
  readonly dropRate: number;
  readonly generator: Generator;

  constructor(readonly dim: number, options: BlockOptions) {
    super();
    checkLayerOptions('Block', options, ['numHeads', 'mlpRatio', 'qkvBias', 'eps', 'dropPath', 'dropRate', 'attnDrop', 'mlp']);
    const eps = options.eps ?? 1e-6;
    const dropPathRate = checkProbability('Block', 'dropPath', options.dropPath ?? 0);
    this.dropRate = checkProbability('Block', 'dropRate', options.dropRate ?? 0);
    this.generator = options.generator ?? defaultGenerator;
    const init = { dtype: options.dtype, generator: options.generator };
    this.norm1 = this.registerModule('norm1', new LayerNorm(dim, { ...init, eps }));
    this.attn = this.registerModule('attn', new Attention(dim, { ...init, numHeads: options.numHeads, qkvBias: options.qkvBias, attnDrop: options.attnDrop, projDrop: this.dropRate }));
    // one stochastic-depth module for both residual branches (timm's drop_path), each call draws its own mask
    this.dropPath = this.registerModule('drop_path', new DropPath(dropPathRate, this.generator));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dim, { ...init, eps }));
    const hidden = Math.floor(dim * (options.mlpRatio ?? 4));
    this.mlp = this.registerModule('mlp', options.mlp ?? new Mlp(dim, hidden, { ...init, dropRate: this.dropRate }));
  }

  /** Stochastic-depth rate of this block. */
  get dropPathRate(): number {
    return this.dropPath.p;
  }

  forward(x: Tensor): Tensor {
    if (this.dropPath.active) {
      x = x.add(this.dropPath.forward(this.attn.forward(this.norm1.forward(x))));
      return x.add(this.dropPath.forward(this.mlp.forward(this.norm2.forward(x))));
    }
    // no stochastic depth: each residual add happens inside the branch's last linear (same float32 result)
    x = this.attn.forward(this.norm1.forward(x), x);
    return this.mlp instanceof Mlp ? this.mlp.forward(this.norm2.forward(x), x) : x.add(this.mlp.forward(this.norm2.forward(x)));
  }
}

// The pre-norm transformer block of ViT/DeiT:
//   x ← x + drop_path(attn(norm1(x)));  x ← x + drop_path(mlp(norm2(x)))
// `blockForward` is that math on a record of tensors named as timm names them inside a block, so an
// auxiliary net that computes block weights itself (TLEG) runs exactly the code Block.forward runs.
import { defaultGenerator, F, type Generator, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { Attention, attentionForward } from './attention.js';
import { dropPath } from './dropout.js';
import { checkProbability, type InitOptions } from './init.js';
import { LayerNorm } from './layernorm.js';
import { Mlp, mlpForward } from './mlp.js';

/** The block tensors other than the MLP's (the part every block shares, custom MLP or not). */
export interface BlockCoreParams {
  'norm1.weight': Tensor;
  'norm1.bias': Tensor;
  'attn.qkv.weight': Tensor;
  /** Absent when qkvBias is false. */
  'attn.qkv.bias'?: Tensor;
  'attn.proj.weight': Tensor;
  'attn.proj.bias': Tensor;
  'norm2.weight': Tensor;
  'norm2.bias': Tensor;
}

export interface BlockParams extends BlockCoreParams {
  'mlp.fc1.weight': Tensor;
  'mlp.fc1.bias': Tensor;
  'mlp.fc2.weight': Tensor;
  'mlp.fc2.bias': Tensor;
}

/** The names of BlockParams in timm's order (qkv bias included). */
export const BLOCK_PARAM_NAMES = [
  'norm1.weight', 'norm1.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight', 'attn.proj.bias',
  'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias',
] as const satisfies readonly (keyof BlockParams)[];

export interface BlockConfig {
  numHeads: number;
  /** LayerNorm eps (timm's ViT: 1e-6). */
  eps: number;
  /** Dropout and drop-path are active only when true (default false, i.e. eval). */
  training?: boolean;
  /** Stochastic-depth rate of this block (0 by default). */
  dropPath?: number;
  /** Dropout after attention proj and inside the MLP (timm's proj_drop_rate; 0 by default). */
  dropRate?: number;
  attnDrop?: number;
  generator?: Generator;
}

/** One block with a given MLP function (used for custom MLP modules); the math of blockForward. */
export function blockForwardWith(x: Tensor, p: BlockCoreParams, mlp: (h: Tensor) => Tensor, cfg: BlockConfig): Tensor {
  const d = x.dim(-1);
  const training = cfg.training ?? false, g = cfg.generator ?? defaultGenerator, rate = cfg.dropPath ?? 0;
  const a = attentionForward(F.layerNorm(x, d, p['norm1.weight'], p['norm1.bias'], cfg.eps), {
    qkvWeight: p['attn.qkv.weight'], qkvBias: p['attn.qkv.bias'], projWeight: p['attn.proj.weight'], projBias: p['attn.proj.bias'],
  }, { numHeads: cfg.numHeads, attnDrop: cfg.attnDrop, projDrop: cfg.dropRate, training, generator: g });
  x = x.add(dropPath(a, rate, training, g));
  const m = mlp(F.layerNorm(x, d, p['norm2.weight'], p['norm2.bias'], cfg.eps));
  return x.add(dropPath(m, rate, training, g));
}

/** One ViT block on x [B, N, D] with the tensors in p (see BlockParams for the names). */
export function blockForward(x: Tensor, p: BlockParams, cfg: BlockConfig): Tensor {
  const mlpCfg = { dropRate: cfg.dropRate, training: cfg.training, generator: cfg.generator };
  return blockForwardWith(x, p, (h) => mlpForward(h, p['mlp.fc1.weight'], p['mlp.fc1.bias'], p['mlp.fc2.weight'], p['mlp.fc2.bias'], mlpCfg), cfg);
}

/** A module usable as a block's MLP: maps [B, N, D] to [B, N, D]. */
export type MlpModule = Module & { forward(x: Tensor): Tensor };

export interface BlockOptions extends InitOptions {
  numHeads: number;
  mlpRatio?: number;
  qkvBias?: boolean;
  eps?: number;
  dropPath?: number;
  dropRate?: number;
  attnDrop?: number;
  /** A replacement for the standard Mlp (e.g. a gated MLP); registered as `mlp`. */
  mlp?: MlpModule;
}

export class Block extends Module {
  readonly norm1: LayerNorm;
  readonly attn: Attention;
  readonly norm2: LayerNorm;
  readonly mlp: MlpModule;
  readonly dropPathRate: number;
  readonly dropRate: number;
  readonly generator: Generator;

  constructor(readonly dim: number, options: BlockOptions) {
    super();
    const eps = options.eps ?? 1e-6;
    this.dropPathRate = checkProbability('Block', 'dropPath', options.dropPath ?? 0);
    this.dropRate = checkProbability('Block', 'dropRate', options.dropRate ?? 0);
    this.generator = options.generator ?? defaultGenerator;
    const init = { dtype: options.dtype, generator: options.generator };
    this.norm1 = this.registerModule('norm1', new LayerNorm(dim, { ...init, eps }));
    this.attn = this.registerModule('attn', new Attention(dim, { ...init, numHeads: options.numHeads, qkvBias: options.qkvBias, attnDrop: options.attnDrop, projDrop: this.dropRate }));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dim, { ...init, eps }));
    const hidden = Math.floor(dim * (options.mlpRatio ?? 4));
    this.mlp = this.registerModule('mlp', options.mlp ?? new Mlp(dim, hidden, { ...init, dropRate: this.dropRate }));
  }

  /** The core tensors by block-relative name (the MLP's too when it is the standard Mlp). */
  params(): BlockCoreParams {
    const p: BlockCoreParams = {
      'norm1.weight': this.norm1.weight, 'norm1.bias': this.norm1.bias,
      'attn.qkv.weight': this.attn.qkv.weight, 'attn.proj.weight': this.attn.proj.weight, 'attn.proj.bias': this.attn.proj.bias!,
      'norm2.weight': this.norm2.weight, 'norm2.bias': this.norm2.bias,
    };
    if (this.attn.qkv.bias) p['attn.qkv.bias'] = this.attn.qkv.bias;
    return p;
  }

  forward(x: Tensor): Tensor {
    const cfg: BlockConfig = {
      numHeads: this.attn.numHeads, eps: this.norm1.eps, training: this.training,
      dropPath: this.dropPathRate, dropRate: this.dropRate, attnDrop: this.attn.attnDrop.p, generator: this.generator,
    };
    const mlp = this.mlp;
    if (mlp instanceof Mlp) {
      return blockForward(x, {
        ...this.params(),
        'mlp.fc1.weight': mlp.fc1.weight, 'mlp.fc1.bias': mlp.fc1.bias!, 'mlp.fc2.weight': mlp.fc2.weight, 'mlp.fc2.bias': mlp.fc2.bias!,
      }, cfg);
    }
    return blockForwardWith(x, this.params(), (h) => mlp.forward(h), cfg);
  }
}

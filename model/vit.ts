// VisionTransformer (DeiT) with timm's parameter names and layouts, run through its child modules:
//   forwardFeatures(images)  patch_embed (conv as patchify + matmul), prepend cls_token ('cls' pooling),
//                            add pos_embed, pos_drop, then each block                       → [B, T, D]
//   forwardHead(x)           final `norm`, then token 0 ('cls') or the token mean ('avg'), then `head`
//                                                                                          → [B, classes]
// To run it with other weights (TLEG's auxiliary net), use functionalCall(model, params, images).
// With 'avg' pooling, `fcNorm: true` is timm's fc_norm (global_pool='avg', class_token=False): the final
// LayerNorm, named fc_norm, runs on the token mean; `fcNorm: false` (the default, and TLEG's nets) applies
// `norm` to every token first.
//
// Parameter names: cls_token [1,1,D] (cls only), pos_embed [1,T,D], patch_embed.proj.{weight [D,C,P,P],
// bias}, blocks.{i}.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}.{weight, bias}, norm.*, head.*.
// Init as timm/DeiT: trunc-normal(.02) for Linear weights, pos_embed, cls_token and (unlike timm, which
// keeps torch's conv default) the patch_embed weight; zero biases; LayerNorm 1 and 0.
import { cat, checkOptions, defaultGenerator, type DType, type Generator, type Tensor } from '../engine/index.js';
import { countViTParameters, numTokens, validateViTConfig, type ViTConfig } from './configs.js';
import { Module, ModuleList } from './module.js';
import { Block, type MlpModule } from './layers/block.js';
import { Dropout } from './layers/dropout.js';
import { LayerNorm } from './layers/layernorm.js';
import { Linear } from './layers/linear.js';
import { PatchEmbed } from './layers/patch-embed.js';
import { truncNormalInit } from './layers/init.js';

/** Stochastic-depth rate per block, rising linearly from 0 to dropPathRate (torch.linspace, as timm). */
export function dropPathRates(cfg: Pick<ViTConfig, 'depth' | 'dropPathRate'>): number[] {
  const { depth, dropPathRate } = cfg;
  return Array.from({ length: depth }, (_, i) => (depth === 1 ? 0 : (dropPathRate * i) / (depth - 1)));
}

/** What a custom MLP or block factory is told about the slot it fills. */
export interface BlockContext {
  index: number;
  dim: number;
  hiddenDim: number;
  config: ViTConfig;
  dropPath: number;
  dtype: DType;
  generator: Generator;
}

export interface ViTOptions {
  dtype?: DType;
  /** Draws every initial value; a fixed seed gives a fixed model. Default: the engine's defaultGenerator. */
  generator?: Generator;
  /** Builds each block's MLP in place of the standard Mlp (it must map [B, N, D] to [B, N, D]). */
  mlpFactory?: (ctx: BlockContext) => MlpModule;
  /** Builds each whole block in place of Block (it must map [B, T, D] to [B, T, D]). */
  blockFactory?: (ctx: BlockContext) => Module & { forward(x: Tensor): Tensor };
}

export class VisionTransformer extends Module {
  readonly config: ViTConfig;
  readonly patchEmbed: PatchEmbed;
  readonly posDrop: Dropout;
  clsToken: Tensor | null;
  posEmbed: Tensor;
  readonly blocks: ModuleList<Module & { forward(x: Tensor): Tensor }>;
  readonly norm: LayerNorm;
  /** Null when numClasses is 0 (forward then returns the pooled features). */
  readonly head: Linear | null;
  readonly generator: Generator;

  /** Missing config keys take timm's defaults (TIMM_VIT_DEFAULTS). */
  constructor(config: Partial<ViTConfig>, options: ViTOptions = {}) {
    super();
    checkOptions('VisionTransformer', options, ['dtype', 'generator', 'mlpFactory', 'blockFactory']);
    this.config = validateViTConfig({ ...config }, 'VisionTransformer');
    const { embedDim: d, depth, numHeads, mlpRatio, qkvBias, lnEps, dropRate, numClasses, pool } = this.config;
    const dtype = options.dtype ?? 'float32';
    const generator = options.generator ?? defaultGenerator;
    this.generator = generator;
    const init = { dtype, generator };
    // Own parameters first, then children: timm's named_parameters() order.
    this.clsToken = pool === 'cls' ? this.registerParameter('cls_token', truncNormalInit([1, 1, d], init)) : null;
    this.posEmbed = this.registerParameter('pos_embed', truncNormalInit([1, numTokens(this.config), d], init));
    this.patchEmbed = this.registerModule('patch_embed', new PatchEmbed({ imgSize: this.config.imgSize, patchSize: this.config.patchSize, inChans: this.config.inChans, embedDim: d, ...init }));
    this.posDrop = this.registerModule('pos_drop', new Dropout(dropRate ?? 0, generator));
    const rates = dropPathRates(this.config);
    const hiddenDim = Math.floor(d * mlpRatio);
    this.blocks = this.registerModule('blocks', new ModuleList());
    for (let i = 0; i < depth; i++) {
      const ctx: BlockContext = { index: i, dim: d, hiddenDim, config: this.config, dropPath: rates[i], dtype, generator };
      this.blocks.push(options.blockFactory?.(ctx) ?? new Block(d, {
        ...init, numHeads, mlpRatio, qkvBias, eps: lnEps, dropPath: rates[i], dropRate, mlp: options.mlpFactory?.(ctx),
      }));
    }
    // timm's fc_norm holds the same LayerNorm under another name (its `norm` is then Identity, without parameters)
    this.norm = this.registerModule(this.config.fcNorm ? 'fc_norm' : 'norm', new LayerNorm(d, { ...init, eps: lnEps }));
    this.head = numClasses > 0 ? this.registerModule('head', new Linear(d, numClasses, init)) : null;
  }

  /** images [B, C, H, W] → tokens after the last block [B, T, D] (before the final norm). */
  forwardFeatures(images: Tensor): Tensor {
    const { inChans, imgSize } = this.config;
    if (images.ndim !== 4 || images.dim(1) !== inChans || images.dim(2) !== imgSize || images.dim(3) !== imgSize) {
      throw new Error(`VisionTransformer: expected images [B, ${inChans}, ${imgSize}, ${imgSize}], got ${JSON.stringify(images.shape)}`);
    }
    let x = this.patchEmbed.forward(images);
    if (this.clsToken) {
      const [b, , d] = x.shape;
      x = cat([this.clsToken.expand(b, 1, d), x], 1);
    }
    x = this.posDrop.forward(x.add(this.posEmbed));
    for (const block of this.blocks) x = block.forward(x);
    return x;
  }

  /** tokens [B, T, D] → logits [B, numClasses] (pooled features [B, D] without a head). */
  forwardHead(x: Tensor): Tensor {
    // LayerNorm is per token, so with 'cls' pooling normalising token 0 alone is the same math, T times cheaper
    const { pool, fcNorm } = this.config;
    const pooled = pool === 'cls' ? this.norm.forward(x.select(1, 0)) : fcNorm ? this.norm.forward(x.mean(1)) : this.norm.forward(x).mean(1);
    return this.head ? this.head.forward(pooled) : pooled;
  }

  /** images [B, C, H, W] → logits [B, numClasses] (pooled features [B, D] when numClasses is 0). */
  forward(images: Tensor): Tensor {
    return this.forwardHead(this.forwardFeatures(images));
  }

  /** Block i's tensors by block-relative name (`attn.qkv.weight`, ...), e.g. for TLEG's analysis. */
  blockParams(i: number): Record<string, Tensor> {
    return Object.fromEntries(this.blocks.at(i).namedParameters());
  }

  /** Parameter count by formula for the standard model of a config (no allocation). */
  static countParameters(config: ViTConfig): number {
    return countViTParameters(config);
  }
}

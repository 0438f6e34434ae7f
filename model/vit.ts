// VisionTransformer (DeiT) with timm's parameter names and layouts.
//
// forward(images) = headForward(blocks(embedForward(images))), and each piece is also exported as a
// function of plain tensors, so code that computes the weights itself (TLEG's auxiliary net) runs the
// same math as this module:
//   embedForward(images, p, cfg)   patch_embed.proj (conv as patchify + matmul), prepend cls_token
//                                  ('cls' pooling), add pos_embed, dropout            → [B, T, D]
//   blockForward(x, p, cfg)        one pre-norm block, from layers/block.ts            → [B, T, D]
//   headForward(x, p, cfg)         final `norm` on every token, then token 0 ('cls') or the token mean
//                                  ('avg'), then `head`                                → [B, classes]
//   vitForward(images, shared, blocks, cfg)  all three, with shared tensors by timm name and one
//                                  BlockParams record per block.
// With 'avg' pooling, `fcNorm: true` is timm's fc_norm (global_pool='avg', class_token=False): the final
// LayerNorm, named fc_norm, runs on the token mean; `fcNorm: false` applies `norm` to every token first.
//
// Parameter names: cls_token [1,1,D] (cls only), pos_embed [1,T,D], patch_embed.proj.{weight [D,C,P,P],
// bias}, blocks.{i}.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}.{weight, bias}, norm.*, head.*.
// Init as timm/DeiT: trunc-normal(.02) for Linear weights, pos_embed, cls_token and (unlike timm, which
// keeps torch's conv default) the patch_embed weight; zero biases; LayerNorm 1 and 0.
import { checkOptions } from '../engine/index.js';
import { cat, defaultGenerator, F, type DType, type Generator, type Tensor } from '../engine/index.js';
import { countViTParameters, numTokens, validateViTConfig, type Pool, type ViTConfig } from './configs.js';
import { Module, ModuleList } from './module.js';
import { Block, blockForward, type BlockParams, type MlpModule } from './layers/block.js';
import { LayerNorm } from './layers/layernorm.js';
import { Linear, linear } from './layers/linear.js';
import { PatchEmbed, patchEmbedForward } from './layers/patch-embed.js';
import { truncNormalInit } from './layers/init.js';

export interface EmbedParams {
  'patch_embed.proj.weight': Tensor;
  'patch_embed.proj.bias': Tensor;
  /** Only with 'cls' pooling. */
  cls_token?: Tensor;
  pos_embed: Tensor;
}

export interface HeadParams {
  /** The final LayerNorm on every token; absent with fcNorm. */
  'norm.weight'?: Tensor;
  'norm.bias'?: Tensor;
  /** timm's fc_norm: the final LayerNorm on the token mean ('avg' pooling with fcNorm). */
  'fc_norm.weight'?: Tensor;
  'fc_norm.bias'?: Tensor;
  /** Absent when numClasses is 0. */
  'head.weight'?: Tensor;
  'head.bias'?: Tensor;
}

export interface RunConfig {
  training?: boolean;
  generator?: Generator;
}

/** images [B, C, H, W] → tokens [B, T, D]: patch embedding, class token, position embedding, dropout. */
export function embedForward(images: Tensor, p: EmbedParams, cfg: { pool: Pool; dropRate?: number } & RunConfig): Tensor {
  let x = patchEmbedForward(images, p['patch_embed.proj.weight'], p['patch_embed.proj.bias']);
  if (cfg.pool === 'cls') {
    const cls = p.cls_token;
    if (!cls) throw new Error("embedForward: 'cls' pooling needs a cls_token");
    const [b, , d] = x.shape;
    x = cat([cls.expand(b, 1, d), x], 1);
  }
  x = x.add(p.pos_embed);
  return F.dropout(x, cfg.dropRate ?? 0, cfg.training ?? false, cfg.generator ?? defaultGenerator);
}

/** tokens [B, T, D] → logits [B, classes] (or pooled features [B, D] without a head). */
export function headForward(x: Tensor, p: HeadParams, cfg: { pool: Pool; lnEps: number; fcNorm?: boolean }): Tensor {
  const prefix = cfg.fcNorm ? 'fc_norm' : 'norm';
  const weight = p[`${prefix}.weight`], bias = p[`${prefix}.bias`];
  if (!weight || !bias) throw new Error(`headForward: ${cfg.fcNorm ? "'avg' pooling with fcNorm" : `'${cfg.pool}' pooling`} needs ${prefix}.weight and ${prefix}.bias`);
  const norm = (t: Tensor) => F.layerNorm(t, t.dim(-1), weight, bias, cfg.lnEps);
  // LayerNorm is per token, so with 'cls' pooling normalising token 0 alone is the same math, T times cheaper
  const pooled = cfg.pool === 'cls' ? norm(x.select(1, 0)) : cfg.fcNorm ? norm(x.mean(1)) : norm(x).mean(1);
  return p['head.weight'] ? linear(pooled, p['head.weight'], p['head.bias']) : pooled;
}

/** The whole forward on plain tensors; `blocks[i]` holds block i's tensors by block-relative name. */
export function vitForward(images: Tensor, shared: EmbedParams & HeadParams, blocks: readonly BlockParams[], cfg: ViTConfig & RunConfig): Tensor {
  let x = embedForward(images, shared, cfg);
  const rates = dropPathRates({ depth: blocks.length, dropPathRate: cfg.dropPathRate });
  blocks.forEach((p, i) => {
    x = blockForward(x, p, {
      numHeads: cfg.numHeads, eps: cfg.lnEps, training: cfg.training, dropPath: rates[i], dropRate: cfg.dropRate, generator: cfg.generator,
    });
  });
  return headForward(x, shared, cfg);
}

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
    this.patchEmbed = this.registerModule('patch_embed', new PatchEmbed({ ...this.config, ...init }));
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

  embedParams(): EmbedParams {
    const p: EmbedParams = {
      'patch_embed.proj.weight': this.patchEmbed.proj.weight, 'patch_embed.proj.bias': this.patchEmbed.proj.bias, pos_embed: this.posEmbed,
    };
    if (this.clsToken) p.cls_token = this.clsToken;
    return p;
  }

  headParams(): HeadParams {
    const p: HeadParams = this.config.fcNorm
      ? { 'fc_norm.weight': this.norm.weight, 'fc_norm.bias': this.norm.bias }
      : { 'norm.weight': this.norm.weight, 'norm.bias': this.norm.bias };
    if (this.head) {
      p['head.weight'] = this.head.weight;
      if (this.head.bias) p['head.bias'] = this.head.bias;
    }
    return p;
  }

  /** images [B, C, H, W] → tokens after the last block [B, T, D] (before the final norm). */
  forwardFeatures(images: Tensor): Tensor {
    const { inChans, imgSize } = this.config;
    if (images.ndim !== 4 || images.dim(1) !== inChans || images.dim(2) !== imgSize || images.dim(3) !== imgSize) {
      throw new Error(`VisionTransformer: expected images [B, ${inChans}, ${imgSize}, ${imgSize}], got ${JSON.stringify(images.shape)}`);
    }
    let x = embedForward(images, this.embedParams(), { ...this.config, training: this.training, generator: this.generator });
    for (const block of this.blocks) x = block.forward(x);
    return x;
  }

  /** images [B, C, H, W] → logits [B, numClasses] (pooled features [B, D] when numClasses is 0). */
  forward(images: Tensor): Tensor {
    return headForward(this.forwardFeatures(images), this.headParams(), this.config);
  }

  /** Block i's tensors by block-relative name (standard blocks only), e.g. for TLEG's analysis. */
  blockParams(i: number): BlockParams {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of this.blocks.at(i).namedParameters()) out[name] = t;
    return out as unknown as BlockParams;
  }

  /** Parameter count by formula for the standard model of a config (no allocation). */
  static countParameters(config: ViTConfig): number {
    return countViTParameters(config);
  }
}

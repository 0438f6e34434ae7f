// The auxiliary net (Aux-Net): a ViT whose blocks own no weights. It holds only the learngene pairs
// (θ_B, θ_A) and the shared tensors; each forward computes block i's weights as θ_B + (i/L)·θ_A and runs
// a VisionTransformer of depth L on them (functionalCall), so the loss's gradient reaches θ_A and θ_B
// through the expansion:
//   ∂ℓ/∂θ_B = Σ_i ∂ℓ/∂W_i,   ∂ℓ/∂θ_A = Σ_i (i/L) ∂ℓ/∂W_i.
import { checkOptions } from '../engine/index.js';
import { defaultGenerator, type DType, type Generator, type Tensor } from '../engine/index.js';
import { validateViTConfig, type ViTConfig } from '../model/configs.js';
import { functionalCall } from '../model/functional-call.js';
import { VisionTransformer } from '../model/vit.js';
import { LayerNorm } from '../model/layers/layernorm.js';
import { Linear } from '../model/layers/linear.js';
import { PatchEmbed } from '../model/layers/patch-embed.js';
import { truncNormalInit } from '../model/layers/init.js';
import { Module } from '../model/module.js';
import { blockAt, defaultCoefficients } from './expand.js';
import { checkLearngene, initGenePairs, type Learngene } from './learngene.js';

/** A module that only groups parameters under a dotted prefix (`learngene.attn.qkv.weight.base`). */
class ParameterGroup extends Module {
  forward(): never {
    throw new Error('ParameterGroup.forward: a parameter group holds tensors and has no forward');
  }
}

function registerDotted(root: Module, dotted: string, t: Tensor): Tensor {
  const parts = dotted.split('.');
  let m = root;
  for (const part of parts.slice(0, -1)) {
    const child = m.namedChildren().find(([n]) => n === part)?.[1];
    m = child ?? m.registerModule(part, new ParameterGroup());
  }
  return m.registerParameter(parts[parts.length - 1], t);
}

export interface AuxNetOptions {
  generator?: Generator;
  dtype?: DType;
  /** Linear segments of the gene (experimental; 1 is TLEG). */
  segments?: number;
}

export class AuxNet extends Module {
  readonly patch_embed: PatchEmbed;
  readonly cls_token: Tensor | null;
  readonly pos_embed: Tensor;
  readonly norm: LayerNorm;
  readonly head: Linear;
  readonly segments: number;
  readonly config: ViTConfig;
  readonly generator: Generator;
  /**
   * The ViT the forward runs. Not registered (its tensors are not the Aux-Net's parameters): every tensor
   * it owns is replaced on each call by the shared parameters and the expanded blocks.
   */
  private readonly body: VisionTransformer;

  constructor(config: ViTConfig, options: AuxNetOptions = {}) {
    super();
    checkOptions('AuxNet', options, ['generator', 'dtype', 'segments']);
    this.segments = options.segments ?? 1;
    if (!Number.isSafeInteger(this.segments) || this.segments < 1) throw new Error(`AuxNet: segments must be a positive integer, got ${this.segments}`);
    const generator = (this.generator = options.generator ?? defaultGenerator);
    const init = { dtype: options.dtype, generator };
    const c = validateViTConfig({ ...config }, 'AuxNet'), d = c.embedDim;
    this.config = c;
    if (c.numClasses < 1) throw new Error(`AuxNet: numClasses must be ≥ 1 (the Aux-Net is trained on logits), got ${c.numClasses}`);
    // Registration order gives timm's parameter order for the shared part: cls_token, pos_embed, patch_embed, ..., norm, head.
    this.cls_token = c.pool === 'cls' ? this.registerParameter('cls_token', truncNormalInit([1, 1, d], init)) : null;
    const tokens = (c.imgSize / c.patchSize) ** 2 + (c.pool === 'cls' ? 1 : 0);
    this.pos_embed = this.registerParameter('pos_embed', truncNormalInit([1, tokens, d], init));
    this.patch_embed = this.registerModule('patch_embed', new PatchEmbed({ ...init, imgSize: c.imgSize, patchSize: c.patchSize, inChans: c.inChans, embedDim: d }));
    const pairs = initGenePairs(c, { ...init, segments: this.segments });
    for (const name of Object.keys(pairs.base)) {
      registerDotted(this, `learngene.${name}.base`, pairs.base[name]);
      registerDotted(this, `learngene.${name}.slope`, pairs.slope[name]);
    }
    this.norm = this.registerModule('norm', new LayerNorm(d, { ...init, eps: c.lnEps }));
    this.head = this.registerModule('head', new Linear(d, c.numClasses, init));
    // The body's dropout and drop path draw from the Aux-Net's generator; its unused initial values must not.
    const state = generator.getState();
    this.body = new VisionTransformer(c, init);
    generator.setState(state);
  }

  /** θ_B by block tensor name (the live parameters; looked up each time, so module.to() is followed). */
  get base(): Record<string, Tensor> { return this.pairPart('base'); }
  /** θ_A by block tensor name. */
  get slope(): Record<string, Tensor> { return this.pairPart('slope'); }

  private pairPart(part: 'base' | 'slope'): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const suffix = `.${part}`;
    for (const [name, t] of this.namedParameters()) {
      if (name.startsWith('learngene.') && name.endsWith(suffix)) out[name.slice('learngene.'.length, -suffix.length)] = t;
    }
    return out;
  }

  /** The weights of block i of the ancestry (depth config.depth), as the forward computes them. */
  effectiveBlock(i: number): Record<string, Tensor> {
    return blockAt(this.base, this.slope, defaultCoefficients(this.config.depth)[i], this.segments);
  }

  forward(images: Tensor): Tensor {
    return this.forwardWithPairs(images, this.base, this.slope);
  }

  /**
   * The forward with given (θ_B, θ_A) in place of the parameters (used to check gradients). It runs a
   * VisionTransformer's own forward, so a descendant expanded at the same depth gives the same logits.
   */
  forwardWithPairs(images: Tensor, base: Record<string, Tensor>, slope: Record<string, Tensor>): Tensor {
    const params = new Map<string, Tensor>();
    for (const [name, t] of this.namedParameters()) if (!name.startsWith('learngene.')) params.set(name, t);
    defaultCoefficients(this.config.depth).forEach((coefficient, i) => {
      for (const [name, w] of Object.entries(blockAt(base, slope, coefficient, this.segments))) params.set(`blocks.${i}.${name}`, w);
    });
    if (this.body.training !== this.training) this.body.train(this.training);
    return functionalCall(this.body, params, images);
  }

  /** The shared tensors by timm name (detached views of the parameters). */
  sharedState(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of this.stateDict()) if (!name.startsWith('learngene.')) out[name] = t;
    return out;
  }

  /** A snapshot of the gene (copies, so further training does not change it). */
  toLearngene(): Learngene {
    const copy = (r: Record<string, Tensor>): Record<string, Tensor> =>
      Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.detach().clone()]));
    const gene: Learngene = { config: { ...this.config }, base: copy(this.base), slope: copy(this.slope), shared: copy(this.sharedState()), segments: this.segments };
    checkLearngene(gene, 'AuxNet.toLearngene');
    return gene;
  }

  /** Sets the parameters from a gene of the same architecture and segment count. */
  loadLearngene(gene: Learngene): void {
    checkLearngene(gene, 'AuxNet.loadLearngene');
    if (gene.segments !== this.segments) throw new Error(`AuxNet.loadLearngene: the net has ${this.segments} segment(s), the gene ${gene.segments}`);
    const sd: Record<string, Tensor> = { ...gene.shared };
    for (const name of Object.keys(gene.base)) {
      sd[`learngene.${name}.base`] = gene.base[name];
      sd[`learngene.${name}.slope`] = gene.slope[name];
    }
    this.loadStateDict(sd);
  }
}

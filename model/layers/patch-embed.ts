// Patch embedding: timm's Conv2d(C, D, kernel = stride = P), computed as patchify + one matmul.
// Non-overlapping patches make the conv a plain linear map of each flattened [C, P, P] patch.
import type { Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { checkLayerOptions, checkPositiveInt, constantInit, truncNormalInit, type InitOptions } from './init.js';
import { linear } from './linear.js';

export interface PatchEmbedOptions extends InitOptions {
  imgSize: number;
  patchSize: number;
  inChans: number;
  embedDim: number;
}

export class PatchEmbed extends Module {
  readonly proj: PatchProjection;
  readonly numPatches: number;
  readonly gridSize: number;

  constructor(readonly options: PatchEmbedOptions) {
    super();
    checkLayerOptions('PatchEmbed', options, ['imgSize', 'patchSize', 'inChans', 'embedDim']);
    const { imgSize, patchSize } = options;
    checkPositiveInt('PatchEmbed', 'imgSize', imgSize);
    checkPositiveInt('PatchEmbed', 'patchSize', patchSize);
    if (imgSize % patchSize !== 0) throw new Error(`PatchEmbed: imgSize ${imgSize} must be divisible by patchSize ${patchSize}`);
    this.gridSize = imgSize / patchSize;
    this.numPatches = this.gridSize ** 2;
    this.proj = this.registerModule('proj', new PatchProjection(options));
  }

  forward(images: Tensor): Tensor {
    const { imgSize } = this.options;
    if (images.ndim !== 4 || images.dim(2) !== imgSize || images.dim(3) !== imgSize) {
      throw new Error(`PatchEmbed: expected images [B, ${this.options.inChans}, ${imgSize}, ${imgSize}], got ${JSON.stringify(images.shape)}`);
    }
    return this.proj.forward(images);
  }
}

/**
 * The conv's tensors, named `proj` as in timm. Initialised trunc-normal(.02) like the Linear layers,
 * where timm keeps PyTorch's default conv init (kaiming-uniform); DeiT training is not sensitive to it.
 */
export class PatchProjection extends Module {
  weight: Tensor;
  bias: Tensor;

  constructor(options: PatchEmbedOptions) {
    super();
    const { patchSize: p, inChans, embedDim } = options;
    checkPositiveInt('PatchEmbed', 'inChans', inChans);
    checkPositiveInt('PatchEmbed', 'embedDim', embedDim);
    this.weight = this.registerParameter('weight', truncNormalInit([embedDim, inChans, p, p], options));
    this.bias = this.registerParameter('bias', constantInit([embedDim], 0, options));
  }

  /**
   * images [B, C, H, W] → tokens [B, (H/P)(W/P), D], row-major over the patch grid (conv + flatten(2) +
   * transpose(1, 2) in timm).
   */
  forward(images: Tensor): Tensor {
    const [d, c, p] = this.weight.shape;
    if (images.ndim !== 4 || images.dim(1) !== c || images.dim(2) % p !== 0 || images.dim(3) % p !== 0) {
      throw new Error(`patchEmbed: expected images [B, ${c}, H, W] with H and W divisible by the patch size ${p}, got ${JSON.stringify(images.shape)}`);
    }
    const [b, , h, w] = images.shape;
    const gh = h / p, gw = w / p;
    // [B, C, gh, P, gw, P] → [B, gh, gw, C, P, P] → rows of one patch each (the only copy)
    const patches = images.reshape(b, c, gh, p, gw, p).permute(0, 2, 4, 1, 3, 5).reshape(b * gh * gw, c * p * p);
    return linear(patches, this.weight.reshape(d, c * p * p), this.bias).reshape(b, gh * gw, d);
  }
}

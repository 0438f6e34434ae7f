// LayerNorm over the last dimension, with a learned gain (weight) and shift (bias), on the fused op.
import { F, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { checkLayerOptions, checkPositiveInt, constantInit, type InitOptions } from './init.js';

export interface LayerNormOptions extends InitOptions {
  /** Added to the variance; torch's default 1e-5 (timm's ViT passes 1e-6). */
  eps?: number;
}

export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor;
  readonly eps: number;

  constructor(readonly dim: number, options: LayerNormOptions = {}) {
    super();
    checkLayerOptions('LayerNorm', options, ['eps']);
    checkPositiveInt('LayerNorm', 'dim', dim);
    this.eps = options.eps ?? 1e-5;
    if (!(this.eps >= 0)) throw new Error(`LayerNorm: eps must be non-negative, got ${this.eps}`);
    this.weight = this.registerParameter('weight', constantInit([dim], 1, options));
    this.bias = this.registerParameter('bias', constantInit([dim], 0, options));
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.dim, this.weight, this.bias, this.eps);
  }
}

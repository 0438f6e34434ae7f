// Linear: y = x Wᵀ + b with W stored [out, in] as torch.nn.Linear.
import { F, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { checkLayerOptions, checkPositiveInt, constantInit, truncNormalInit, type InitOptions } from './init.js';
import type { Dropout } from './dropout.js';

/** y = x Wᵀ + b (+ residual) for x of any rank ≥ 1: the engine's fused F.linear (leading dims fold into rows). */
export const linear = (x: Tensor, weight: Tensor, bias?: Tensor | null, residual?: Tensor | null): Tensor => F.linear(x, weight, bias, residual);

export interface LinearOptions extends InitOptions {
  bias?: boolean;
  /** Std of the trunc-normal weight init (timm: .02). */
  std?: number;
}

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    checkLayerOptions('Linear', options, ['bias', 'std']);
    checkPositiveInt('Linear', 'inFeatures', inFeatures);
    checkPositiveInt('Linear', 'outFeatures', outFeatures);
    this.weight = this.registerParameter('weight', truncNormalInit([outFeatures, inFeatures], options));
    this.bias = options.bias ?? true ? this.registerParameter('bias', constantInit([outFeatures], 0, options)) : null;
  }

  /** x Wᵀ + b; with `residual` (of the output's shape), residual + x Wᵀ + b in one op, as the separate add rounds. */
  forward(x: Tensor, residual?: Tensor): Tensor {
    return linear(x, this.weight, this.bias, residual);
  }
}

/**
 * drop(proj(h)), a branch's output projection and its dropout (attn.proj, mlp.fc2); with `residual`, residual
 * plus that, the add inside the projection where the dropout is off (it would come between).
 */
export function projectOut(proj: Linear, drop: Dropout, h: Tensor, residual?: Tensor): Tensor {
  if (residual && !drop.active) return proj.forward(h, residual);
  const y = drop.forward(proj.forward(h));
  return residual ? residual.add(y) : y;
}

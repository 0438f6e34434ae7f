// Linear: y = x Wᵀ + b with W stored [out, in] as torch.nn.Linear.
import type { Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { checkPositiveInt, constantInit, truncNormalInit, type InitOptions } from './init.js';

/**
 * y = x Wᵀ + b for x of any rank ≥ 1. Leading dims are folded into one row dim first, so the weight
 * gradient is one [in, rows] @ [rows, out] product rather than a per-batch product summed afterwards.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const [outF, inF] = weight.shape;
  if (weight.ndim !== 2 || x.ndim === 0 || x.dim(-1) !== inF) {
    throw new Error(`linear: input ${JSON.stringify(x.shape)} does not end in the weight's in-features (weight [out, in] = ${JSON.stringify(weight.shape)})`);
  }
  const lead = x.shape.slice(0, -1);
  const rows = x.ndim === 2 ? x : x.reshape(-1, inF);
  let y = rows.matmul(weight.mT);
  if (bias) y = y.add(bias);
  return x.ndim === 2 ? y : y.reshape([...lead, outF]);
}

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
    checkPositiveInt('Linear', 'inFeatures', inFeatures);
    checkPositiveInt('Linear', 'outFeatures', outFeatures);
    this.weight = this.registerParameter('weight', truncNormalInit([outFeatures, inFeatures], options));
    this.bias = options.bias ?? true ? this.registerParameter('bias', constantInit([outFeatures], 0, options)) : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

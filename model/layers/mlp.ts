// The transformer MLP: fc1 → GELU → dropout → fc2 → dropout (timm's Mlp).
import { defaultGenerator, F, type Generator, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { GELU } from './activation.js';
import { Dropout } from './dropout.js';
import { checkPositiveInt, checkProbability, type InitOptions } from './init.js';
import { Linear, linear } from './linear.js';

export interface DropoutConfig {
  /** Dropout after the activation and after fc2 (timm's proj_drop_rate); 0 by default. */
  dropRate?: number;
  training?: boolean;
  generator?: Generator;
}

/** fc2(drop(gelu(fc1(x)))), then dropout; the same math as Mlp.forward, on given tensors. */
export function mlpForward(x: Tensor, fc1Weight: Tensor, fc1Bias: Tensor | null | undefined, fc2Weight: Tensor, fc2Bias: Tensor | null | undefined, cfg: DropoutConfig = {}): Tensor {
  const p = cfg.dropRate ?? 0, training = cfg.training ?? false, g = cfg.generator ?? defaultGenerator;
  const h = F.dropout(linear(x, fc1Weight, fc1Bias).gelu(), p, training, g);
  return F.dropout(linear(h, fc2Weight, fc2Bias), p, training, g);
}

export interface MlpOptions extends InitOptions {
  outFeatures?: number;
  dropRate?: number;
  bias?: boolean;
}

export class Mlp extends Module {
  readonly fc1: Linear;
  readonly act: GELU;
  readonly fc2: Linear;
  readonly drop: Dropout;

  constructor(readonly inFeatures: number, readonly hiddenFeatures: number, options: MlpOptions = {}) {
    super();
    checkPositiveInt('Mlp', 'hiddenFeatures', hiddenFeatures);
    const dropRate = checkProbability('Mlp', 'dropRate', options.dropRate ?? 0);
    this.fc1 = this.registerModule('fc1', new Linear(inFeatures, hiddenFeatures, options));
    this.act = this.registerModule('act', new GELU());
    this.fc2 = this.registerModule('fc2', new Linear(hiddenFeatures, options.outFeatures ?? inFeatures, options));
    this.drop = this.registerModule('drop', new Dropout(dropRate, options.generator));
  }

  forward(x: Tensor): Tensor {
    return mlpForward(x, this.fc1.weight, this.fc1.bias, this.fc2.weight, this.fc2.bias, {
      dropRate: this.drop.p, training: this.training, generator: this.drop.generator,
    });
  }
}

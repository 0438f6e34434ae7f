// The transformer MLP: fc1 → act → dropout → fc2 → dropout (timm's Mlp; act is GELU unless replaced).
import type { Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { GELU, type ActivationModule } from './activation.js';
import { Dropout } from './dropout.js';
import { checkLayerOptions, checkPositiveInt, checkProbability, initOf, type InitOptions } from './init.js';
import { Linear, projectOut } from './linear.js';

export interface MlpOptions extends InitOptions {
  outFeatures?: number;
  /** Dropout after the activation and after fc2 (timm's proj_drop_rate); 0 by default. */
  dropRate?: number;
  bias?: boolean;
  /** The activation (default GELU, the exact erf form). */
  act?: ActivationModule;
}

export class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly drop: Dropout;
  private activation: ActivationModule;

  constructor(readonly inFeatures: number, readonly hiddenFeatures: number, options: MlpOptions = {}) {
    super();
    checkLayerOptions('Mlp', options, ['outFeatures', 'dropRate', 'bias', 'act']);
    checkPositiveInt('Mlp', 'hiddenFeatures', hiddenFeatures);
    const dropRate = checkProbability('Mlp', 'dropRate', options.dropRate ?? 0);
    this.fc1 = this.registerModule('fc1', new Linear(inFeatures, hiddenFeatures, { ...initOf(options), bias: options.bias }));
    this.activation = this.registerModule('act', options.act ?? new GELU());
    this.fc2 = this.registerModule('fc2', new Linear(hiddenFeatures, options.outFeatures ?? inFeatures, { ...initOf(options), bias: options.bias }));
    this.drop = this.registerModule('drop', new Dropout(dropRate, options.generator));
  }

  /** The registered activation; assigning registers the new module in its place (as torch's `mlp.act = ...`). */
  get act(): ActivationModule {
    return this.activation;
  }

  set act(module: ActivationModule) {
    this.setModule('act', module);
    this.activation = module;
  }

  /** fc2(act(fc1(x))) with dropouts; with `residual` (of the output's shape), residual plus that, the add inside fc2 where the last dropout is off. */
  forward(x: Tensor, residual?: Tensor): Tensor {
    const hidden = this.drop.forward(this.act.forward(this.fc1.forward(x)));
    return projectOut(this.fc2, this.drop, hidden, residual);
  }
}

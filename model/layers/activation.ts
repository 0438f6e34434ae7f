// Activation modules (no parameters).
import type { Tensor } from '../../engine/index.js';
import { Module } from '../module.js';

/** GELU: x·Φ(x) ('none', the exact erf form timm's ViT uses) or its tanh approximation. */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.gelu(this.approximate);
  }
}

/** SiLU (swish): x·σ(x), the gate of SwiGLU. */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return x.mul(x.sigmoid());
  }
}

/** A module usable as an activation (or any tensor-to-tensor piece): forward(x) → Tensor. */
export type ActivationModule = Module & { forward(x: Tensor): Tensor };

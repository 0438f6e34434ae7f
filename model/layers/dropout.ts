// Dropout (per element) and DropPath (stochastic depth: per sample, on a residual branch). Both are
// inverted: kept values are scaled by 1/(1−p) so the expectation is unchanged, and both are the
// identity in eval mode.
import { defaultGenerator, F, rand, type Generator, type Tensor } from '../../engine/index.js';
import { Module } from '../module.js';
import { checkProbability } from './init.js';

/**
 * Zeroes whole samples with probability p: x · m / (1−p), with m ~ Bernoulli(1−p) of shape [B, 1, ..., 1]
 * (timm's drop_path with scale_by_keep).
 */
export function dropPath(x: Tensor, p: number, training: boolean, generator: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropPath: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const maskShape = x.shape.map((d, i) => (i === 0 ? d : 1));
  const mask = rand(maskShape, { dtype: x.dtype, device: x.device, generator }).ge(p).to(x.dtype).div(1 - p);
  return x.mul(mask);
}

export class Dropout extends Module {
  constructor(readonly p = 0.5, readonly generator: Generator = defaultGenerator) {
    super();
    checkProbability('Dropout', 'p', p);
  }

  /** Whether forward changes anything (training with p > 0); else it returns its input. */
  get active(): boolean {
    return this.training && this.p > 0;
  }

  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training, this.generator);
  }
}

export class DropPath extends Module {
  constructor(readonly p = 0, readonly generator: Generator = defaultGenerator) {
    super();
    checkProbability('DropPath', 'p', p);
  }

  /** Whether forward changes anything (training with p > 0); else it returns its input. */
  get active(): boolean {
    return this.training && this.p > 0;
  }

  forward(x: Tensor): Tensor {
    return dropPath(x, this.p, this.training, this.generator);
  }
}

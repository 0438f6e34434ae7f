// F: the functional API (torch.nn.functional), composed from ops.
import { sameShape, shapeStr } from './layout.js';
import { checkOptions } from './options.js';
import { defaultGenerator, type Generator } from './random.js';
import { rand } from './creation.js';
import { Tensor } from './tensor.js';
import { where } from './ops/elementwise.js';
import { layerNorm } from './ops/layernorm.js';
import { linear } from './ops/linear.js';
import { logSoftmax, softmax } from './ops/softmax.js';

export type Reduction = 'mean' | 'sum' | 'none';

function reduce(loss: Tensor, reduction: Reduction, op: string): Tensor {
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'none') return loss;
  throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
}

/** Inverted dropout: zeroes with probability p and scales the rest by 1/(1−p); identity when not training. */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = rand(x.shape, { dtype: x.dtype, device: x.device, generator }).ge(p).to(x.dtype);
  return x.mul(keep.div(1 - p));
}

export interface CrossEntropyOptions {
  labelSmoothing?: number;
  reduction?: Reduction;
}

/**
 * Cross-entropy from logits [N, C]. Targets are class indices [N] (int32) or probabilities [N, C].
 * With smoothing ε the target becomes (1−ε)·target + ε/C, as torch.nn.functional.cross_entropy.
 */
/** Class indices in [0, C), as PyTorch (which has ignore_index for −100; there is no such option here). O(N). */
function checkClassIndices(target: Tensor, c: number, logits: Tensor): void {
  const scan = (): void => {
    const data = target.storage.data, { offset, strides } = target.layout;
    for (let i = 0; i < target.size; i++) {
      const k = data[offset + i * strides[0]];
      if (k < 0 || k >= c) {
        throw new Error(`crossEntropy: target class ${k} at position ${i} is out of range for ${c} classes (logits ${shapeStr(logits.shape)}); expected 0 <= class < ${c}`);
      }
    }
  };
  // labels still being computed on an asynchronous device are checked in its queue, before the gather runs
  if (target.storage.device.hostCurrent(target.storage.data)) scan();
  else target.storage.device.run(scan);
}

export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkOptions('F.crossEntropy', options, ['labelSmoothing', 'reduction']);
  const eps = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? 'mean';
  if (logits.ndim !== 2) throw new Error(`crossEntropy: logits must be [N, C], got ${shapeStr(logits.shape)}`);
  if (!(eps >= 0 && eps <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  const [n, c] = logits.shape;
  const logp = logSoftmax(logits, 1);
  let loss: Tensor;
  if (target.dtype === 'int32') {
    if (target.ndim !== 1 || target.dim(0) !== n) throw new Error(`crossEntropy: class-index targets must be [N] = [${n}], got ${shapeStr(target.shape)}`);
    checkClassIndices(target, c, logits);
    const picked = logp.gather(1, target.unsqueeze(1)).squeeze(1);
    loss = picked.mul(-(1 - eps));
    if (eps > 0) loss = loss.sub(logp.sum(1).mul(eps / c));
  } else {
    if (!sameShape(target.shape, logits.shape)) {
      const looksLikeLabels = target.ndim === 1 && target.dim(0) === n;
      throw new Error(`crossEntropy: a ${target.dtype} target must hold probabilities of the logits' shape ${shapeStr(logits.shape)}, got ${shapeStr(target.shape)}`
        + (looksLikeLabels ? `; class indices must be int32: tensor([...], { dtype: 'int32' }) (tensor() makes float32 by default)` : ''));
    }
    const t = eps > 0 ? target.mul(1 - eps).add(eps / c) : target;
    loss = t.mul(logp).sum(1).neg();
  }
  return reduce(loss, reduction, 'crossEntropy');
}

export interface KlDivOptions {
  reduction?: Reduction | 'batchmean';
  logTarget?: boolean;
}

/** KL(target ‖ input) with input as log-probabilities, pointwise t·(log t − input) (0 where t = 0), as torch's kl_div. */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  checkOptions('F.klDiv', options, ['reduction', 'logTarget']);
  const reduction = options.reduction ?? 'mean';
  if (!sameShape(input.shape, target.shape)) throw new Error(`klDiv: input ${shapeStr(input.shape)} and target ${shapeStr(target.shape)} differ in shape`);
  const pointwise = options.logTarget
    ? target.exp().mul(target.sub(input))
    : where(target.gt(0), target.mul(where(target.gt(0), target, 1).log().sub(input)), 0);
  if (reduction === 'batchmean') return pointwise.sum().div(input.ndim > 0 ? input.dim(0) : 1);
  return reduce(pointwise, reduction, 'klDiv');
}

export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  checkOptions('F.mseLoss', options, ['reduction']);
  if (!sameShape(input.shape, target.shape)) throw new Error(`mseLoss: input ${shapeStr(input.shape)} and target ${shapeStr(target.shape)} differ in shape`);
  const d = input.sub(target);
  return reduce(d.mul(d), options.reduction ?? 'mean', 'mseLoss');
}

export type GeluApproximate = 'none' | 'tanh';
export interface GeluOptions {
  approximate?: GeluApproximate;
}

/** GELU as torch's F.gelu(x, approximate='none'): the approximation as a string or as `{ approximate }`. */
export function gelu(x: Tensor, approximate: GeluApproximate | GeluOptions = 'none'): Tensor {
  if (typeof approximate === 'object') checkOptions('F.gelu', approximate, ['approximate']);
  const mode = typeof approximate === 'object' && approximate !== null ? approximate.approximate ?? 'none' : approximate;
  return x.gelu(checkGeluApproximate('F.gelu', mode));
}

/** 'none' or 'tanh', else an error naming the value (torch raises for anything else, too). */
export function checkGeluApproximate(where: string, approximate: unknown): GeluApproximate {
  if (approximate === 'none' || approximate === 'tanh') return approximate;
  throw new Error(`${where}: approximate must be 'none' or 'tanh', got ${typeof approximate === 'string' ? JSON.stringify(approximate) : String(approximate)}`);
}
export const relu = (x: Tensor): Tensor => x.relu();

export const F = {
  softmax,
  logSoftmax,
  layerNorm,
  linear,
  dropout,
  crossEntropy,
  klDiv,
  mseLoss,
  gelu,
  relu,
};

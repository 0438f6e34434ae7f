// gradcheck: analytic gradients against float64 central differences, exported to users.
import { noGrad } from './grad-mode.js';
import { Generator } from './random.js';
import { Tensor } from './tensor.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random projection of the outputs. */
  seed?: number;
}

/**
 * Checks d⟨v, fn(inputs)⟩/d inputs, for a fixed random v, against central differences
 * (f(x+ε) − f(x−ε)) / 2ε. Inputs must be float64 cpu tensors; the ones with requiresGrad are checked.
 * Returns true, or throws naming the input, the element and both values.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): true {
  const eps = options.eps ?? 1e-6, atol = options.atol ?? 1e-5, rtol = options.rtol ?? 1e-3;
  inputs.forEach((x, i) => {
    if (x.dtype !== 'float64') throw new Error(`gradcheck: input ${i} is ${x.dtype}; central differences need float64 (use .double())`);
    if (x.device !== 'cpu') throw new Error(`gradcheck: input ${i} is on ${x.device}; move it to cpu`);
  });
  const out0 = noGrad(() => fn(...inputs));
  const gen = new Generator(options.seed ?? 1234);
  const v = Tensor.fromArray(Float64Array.from({ length: out0.size }, () => gen.normal()), out0.shape);
  const objective = (): number => noGrad(() => {
    const y = fn(...inputs).toTypedArray();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * v.data_[i];
    return s;
  });
  // analytic
  const leaves = inputs.map((x) => (x.requiresGrad ? x.detach().requiresGrad_(true) : x));
  const y = fn(...leaves);
  if (!y.requiresGrad) throw new Error('gradcheck: the output does not depend on any input that requires grad');
  y.backward(v.to(y.dtype));
  inputs.forEach((x, i) => {
    if (!x.requiresGrad) return;
    const analytic = leaves[i].grad?.toTypedArray() ?? new Float64Array(x.size);
    if (!x.isContiguous()) throw new Error(`gradcheck: input ${i} must be contiguous`);
    const data = x.data_;
    const base = x.offset;
    for (let k = 0; k < x.size; k++) {
      const orig = data[base + k];
      data[base + k] = orig + eps;
      const fp = objective();
      data[base + k] = orig - eps;
      const fm = objective();
      data[base + k] = orig;
      const numeric = (fp - fm) / (2 * eps);
      const err = Math.abs(numeric - analytic[k]);
      if (!(err <= atol + rtol * Math.abs(numeric))) {
        throw new Error(`gradcheck: input ${i} ${JSON.stringify(x.shape)}, element ${k}: analytic ${analytic[k]} vs numeric ${numeric} (|diff| ${err.toExponential(3)} > atol ${atol} + rtol ${rtol}·|numeric|)`);
      }
    }
  });
  return true;
}

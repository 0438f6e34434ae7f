// Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay), as torch.optim.
//   t ← t + 1;  g ← g + λθ (Adam)  or  θ ← θ(1 − ηλ) (AdamW)
//   m ← β1 m + (1 − β1) g;   v ← β2 v + (1 − β2) g²
//   θ ← θ − η/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
import { checkOptions } from '../../engine/index.js';
import type { Tensor } from '../../engine/index.js';
import { Optimizer, bufferView, type BaseHyper, type HostView, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

export interface AdamHyper extends BaseHyper {
  betas: [number, number];
  eps: number;
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer<AdamHyper> {
  /** True for AdamW: decay multiplies the weights instead of adding to the gradient. */
  protected readonly decoupled: boolean;

  constructor(params: Tensor[] | ParamGroupInput[], options: AdamOptions = {}, decoupled = false, name = 'Adam') {
    super(name, params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? (decoupled ? 1e-2 : 0),
    });
    checkOptions(name, options, ['lr', 'betas', 'eps', 'weightDecay']);
    this.decoupled = decoupled;
  }

  protected override checkHyper(group: ParamGroup<AdamHyper>, index: number): void {
    super.checkHyper(group, index);
    const [b1, b2] = group.betas ?? [];
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new Error(`${this.name}: group ${index}: betas must be in [0, 1), got ${JSON.stringify(group.betas)}`);
    if (!(group.eps >= 0)) throw new Error(`${this.name}: group ${index}: eps must be >= 0, got ${group.eps}`);
  }

  private begin(p: Tensor, state: ParamState): { m: Tensor; v: Tensor; step: number } {
    if (state.exp_avg === undefined) {
      state.step = 0;
      state.exp_avg = this.buffer(p);
      state.exp_avg_sq = this.buffer(p);
    }
    state.step = (state.step as number) + 1;
    return { m: state.exp_avg as Tensor, v: state.exp_avg_sq as Tensor, step: state.step };
  }

  protected updateHost(p: Tensor, param: HostView, grad: HostView, state: ParamState, group: ParamGroup<AdamHyper>): void {
    const { m, v, step } = this.begin(p, state);
    const ma = bufferView(m), va = bufferView(v);
    const { lr, eps, weightDecay: wd } = group;
    const [b1, b2] = group.betas;
    const stepSize = lr / (1 - b1 ** step);
    const bc2Sqrt = Math.sqrt(1 - b2 ** step);
    const shrink = this.decoupled ? 1 - lr * wd : 1;
    const l2 = this.decoupled ? 0 : wd;
    const pa = param.data, ga = grad.data, po = param.offset, go = grad.offset, n = param.size;
    for (let i = 0; i < n; i++) {
      const theta = pa[po + i] * shrink;
      const g = ga[go + i] + l2 * theta;
      // Store, then read back, so float32 buffers round where torch's do.
      ma[i] = ma[i] + (1 - b1) * (g - ma[i]);
      va[i] = va[i] * b2 + (1 - b2) * g * g;
      pa[po + i] = theta - stepSize * (ma[i] / (Math.sqrt(va[i]) / bc2Sqrt + eps));
    }
  }

  protected updateTensor(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<AdamHyper>): void {
    const { m, v, step } = this.begin(p, state);
    const { lr, eps, weightDecay: wd } = group;
    const [b1, b2] = group.betas;
    if (this.decoupled && wd !== 0) p.mul_(1 - lr * wd);
    const g = !this.decoupled && wd !== 0 ? grad.add(p, wd) : grad;
    m.mul_(b1).add_(g, 1 - b1);
    v.mul_(b2).add_(g.mul(g), 1 - b2);
    const denom = v.sqrt().div(Math.sqrt(1 - b2 ** step)).add(eps);
    p.add_(m.div(denom), -lr / (1 - b1 ** step));
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter), torch.optim.AdamW; default weightDecay 0.01. */
export class AdamW extends Adam {
  constructor(params: Tensor[] | ParamGroupInput[], options: AdamOptions = {}) {
    super(params, options, true, 'AdamW');
  }
}

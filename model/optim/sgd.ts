// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, as torch.optim.SGD.
//   g ← g + λθ;   b ← g (first step)  or  b ← μ b + (1 − τ) g
//   d ← g + μ b (Nesterov)  or  d ← b;   θ ← θ − η d
import { checkOptions } from '../../engine/index.js';
import type { Tensor } from '../../engine/index.js';
import { Optimizer, bufferView, type BaseHyper, type HostView, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

export interface SgdHyper extends BaseHyper {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

export interface SgdOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer<SgdHyper> {
  constructor(params: Tensor[] | ParamGroupInput[], options: SgdOptions = {}) {
    super('SGD', params, {
      lr: options.lr ?? 1e-3,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0,
    });
    checkOptions('SGD', options, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
  }

  protected override checkHyper(group: ParamGroup<SgdHyper>, index: number): void {
    super.checkHyper(group, index);
    if (!(group.momentum >= 0)) throw new Error(`SGD: group ${index}: momentum must be >= 0, got ${group.momentum}`);
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new Error(`SGD: group ${index}: Nesterov momentum needs momentum > 0 and dampening 0, got momentum ${group.momentum}, dampening ${group.dampening}`);
    }
  }

  /** The momentum buffer, or null on the first step (it is then initialised to the gradient). */
  private momentumBuffer(p: Tensor, state: ParamState): { buf: Tensor; first: boolean } {
    const first = state.momentum_buffer === undefined;
    if (first) state.momentum_buffer = this.buffer(p);
    return { buf: state.momentum_buffer as Tensor, first };
  }

  protected updateHost(p: Tensor, param: HostView, grad: HostView, state: ParamState, group: ParamGroup<SgdHyper>): void {
    const { lr, momentum: mu, dampening, nesterov, weightDecay: wd } = group;
    const pa = param.data, ga = grad.data, po = param.offset, go = grad.offset, n = param.size;
    if (mu === 0) {
      for (let i = 0; i < n; i++) pa[po + i] -= lr * (ga[go + i] + wd * pa[po + i]);
      return;
    }
    const { buf, first } = this.momentumBuffer(p, state);
    const ba = bufferView(buf);
    for (let i = 0; i < n; i++) {
      const g = ga[go + i] + wd * pa[po + i];
      ba[i] = first ? g : mu * ba[i] + (1 - dampening) * g;
      pa[po + i] -= lr * (nesterov ? g + mu * ba[i] : ba[i]);
    }
  }

  protected updateTensor(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<SgdHyper>): void {
    const { lr, momentum: mu, dampening, nesterov, weightDecay: wd } = group;
    let d = wd !== 0 ? grad.add(p, wd) : grad;
    if (mu !== 0) {
      const { buf, first } = this.momentumBuffer(p, state);
      if (first) buf.copy_(d);
      else buf.mul_(mu).add_(d, 1 - dampening);
      d = nesterov ? d.add(buf, mu) : buf;
    }
    p.add_(d, -lr);
  }
}

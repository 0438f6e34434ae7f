// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_):
//   total = ‖(‖g₁‖, …, ‖gₖ‖)‖ = √(Σ g²);  if total > maxNorm: g ← g · maxNorm / (total + 1e-6)
import { noGrad, scope, type Tensor } from '../../engine/index.js';
import { hostView } from './optimizer.js';

/** Scales the gradients of `params` in place so their joint L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const grads: Tensor[] = [];
  for (const p of params) if (p.grad !== null) grads.push(p.grad);
  let sumSq = 0;
  for (const g of grads) {
    const h = hostView(g);
    if (h !== null) {
      const { data, offset, size } = h;
      let s = 0;
      for (let i = offset; i < offset + size; i++) s += data[i] * data[i];
      sumSq += s;
    } else {
      sumSq += scope(() => g.square().sum().item());
    }
  }
  const total = Math.sqrt(sumSq);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    noGrad(() => {
      for (const g of grads) {
        const h = hostView(g);
        if (h !== null) {
          const { data, offset, size } = h;
          for (let i = offset; i < offset + size; i++) data[i] *= coef;
          g.markWritten_('clipGradNorm');
        } else {
          scope(() => { g.mul_(coef); });
        }
      }
    });
  }
  return total;
}

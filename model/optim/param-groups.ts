// timm's weight-decay split (timm.optim.param_groups_weight_decay): no decay for 1-D parameters (norm
// gains, biases), for names ending in ".bias", and for the names a model lists as no-decay (ViT: the
// position embedding and the class/distillation tokens, which are 3-D but must not shrink to zero).
import type { Tensor } from '../../engine/index.js';
import type { ParamGroupInput } from './optimizer.js';

/** timm VisionTransformer.no_weight_decay(). */
export const VIT_NO_WEIGHT_DECAY: readonly string[] = ['pos_embed', 'cls_token', 'dist_token'];

/** True when the parameter `name` is exempt from decay under timm's rule. */
export function skipsWeightDecay(name: string, param: Tensor, skipList: Iterable<string> = VIT_NO_WEIGHT_DECAY): boolean {
  if (param.ndim <= 1 || name === 'bias' || name.endsWith('.bias')) return true;
  for (const s of skipList) if (name === s || name.endsWith(`.${s}`)) return true;
  return false;
}

/**
 * Two groups, [decayed, not decayed], for an optimiser: `{ params, names, weightDecay }` each.
 * Parameters that do not require grad are left out, as timm does.
 */
export function paramGroupsForWeightDecay(
  namedParameters: Iterable<[string, Tensor]>,
  weightDecay: number,
  skipList: Iterable<string> = VIT_NO_WEIGHT_DECAY,
): ParamGroupInput[] {
  if (!(weightDecay >= 0)) throw new Error(`paramGroupsForWeightDecay: weightDecay must be >= 0, got ${weightDecay}`);
  const skip = [...skipList];
  const decay: ParamGroupInput = { params: [], names: [], weightDecay };
  const noDecay: ParamGroupInput = { params: [], names: [], weightDecay: 0 };
  for (const [name, p] of namedParameters) {
    if (!p.requiresGrad) continue;
    const group = skipsWeightDecay(name, p, skip) ? noDecay : decay;
    group.params.push(p);
    group.names!.push(name);
  }
  return [decay, noDecay];
}

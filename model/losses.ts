// Losses: cross-entropy with label smoothing and soft targets, and DeiT's distillation loss.
import { checkOptions, F, sameShape, type Tensor } from '../engine/index.js';

export interface CrossEntropyLossOptions {
  labelSmoothing?: number;
}

/**
 * criterion(logits [N, C], target) with target class indices (int32 [N]) or probabilities [N, C]
 * (mixup / cutmix soft targets); the mean over the batch, as torch's CrossEntropyLoss.
 */
export function crossEntropyLoss(options: CrossEntropyLossOptions = {}): (logits: Tensor, target: Tensor) => Tensor {
  checkOptions('crossEntropyLoss', options, ['labelSmoothing']);
  const labelSmoothing = options.labelSmoothing ?? 0;
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new Error(`crossEntropyLoss: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  return (logits, target) => F.crossEntropy(logits, target, { labelSmoothing });
}

export type DistillationType = 'none' | 'soft' | 'hard';

export interface DistillationLossOptions {
  type: DistillationType;
  /** Weight of the distillation term: loss = (1 − α)·base + α·distill. */
  alpha: number;
  /** Softmax temperature τ of the soft variant. */
  tau: number;
  /** The loss against the labels; default cross-entropy without smoothing. */
  baseCriterion?: (logits: Tensor, target: Tensor) => Tensor;
}

export interface DistillationLossParts {
  loss: Tensor;
  base: Tensor;
  /** Absent with type 'none'. */
  distill?: Tensor;
}

/**
 * DeiT's DistillationLoss (one head, outputs == outputs_kd):
 *   soft: τ² · KL(softmax(t/τ) ‖ softmax(s/τ)) summed over batch and classes, divided by s.numel()
 *         (= batch × classes, DeiT's normalisation; computed as kl_div of log-softmaxes with log_target)
 *   hard: cross-entropy of s against argmax t
 * The teacher's logits are detached: no gradient reaches the teacher.
 */
export class DistillationLoss {
  readonly type: DistillationType;
  readonly alpha: number;
  readonly tau: number;
  private readonly baseCriterion: (logits: Tensor, target: Tensor) => Tensor;

  constructor(options: DistillationLossOptions) {
    checkOptions('DistillationLoss', options, ['type', 'alpha', 'tau', 'baseCriterion']);
    const { type, alpha, tau } = options;
    if (type !== 'none' && type !== 'soft' && type !== 'hard') throw new Error(`DistillationLoss: type must be 'none', 'soft' or 'hard', got ${JSON.stringify(type)}`);
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`DistillationLoss: alpha must be in [0, 1], got ${alpha}`);
    if (!(tau > 0 && Number.isFinite(tau))) throw new Error(`DistillationLoss: tau must be a positive number, got ${tau}`);
    this.type = type;
    this.alpha = alpha;
    this.tau = tau;
    this.baseCriterion = options.baseCriterion ?? crossEntropyLoss();
  }

  forward(student: Tensor, teacher: Tensor | null, target: Tensor): DistillationLossParts {
    const base = this.baseCriterion(student, target);
    if (this.type === 'none') return { loss: base, base };
    if (!teacher) throw new Error(`DistillationLoss: type '${this.type}' needs the teacher's logits, got ${String(teacher)}`);
    if (!sameShape(teacher.shape, student.shape)) {
      throw new Error(`DistillationLoss: teacher logits ${JSON.stringify(teacher.shape)} and student logits ${JSON.stringify(student.shape)} differ in shape`);
    }
    const t = teacher.detach();
    let distill: Tensor;
    if (this.type === 'soft') {
      const tau = this.tau;
      const kl = F.klDiv(F.logSoftmax(student.div(tau), 1), F.logSoftmax(t.div(tau), 1), { reduction: 'sum', logTarget: true });
      distill = kl.mul((tau * tau) / student.numel());
    } else {
      distill = F.crossEntropy(student, t.argmax(1));
    }
    const loss = base.mul(1 - this.alpha).add(distill.mul(this.alpha));
    return { loss, base, distill };
  }

  call(student: Tensor, teacher: Tensor | null, target: Tensor): DistillationLossParts {
    return this.forward(student, teacher, target);
  }
}

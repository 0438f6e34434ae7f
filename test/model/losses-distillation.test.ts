// DeiT's distillation loss against PyTorch (test/reference/gen_model.py): the base, distill and total
// losses and the student's gradient, for soft (τ = 1, 3) and hard distillation, float32 and float64.
import { test } from 'node:test';
import { fixtureTensor, loadFixture } from '../helpers/fixtures.js';
import { assertMaxRelClose } from '../helpers/allclose.js';
import assert from 'node:assert/strict';
import { F, randn, tensor, Generator } from '../../engine/index.js';
import { crossEntropyLoss, DistillationLoss, type DistillationType } from '../../model/index.js';


for (const base of ['distill_soft_t1_a05', 'distill_soft_t3_a1', 'distill_hard_a05']) {
  for (const [suffix, rtol] of [['f32', 1e-5], ['f64', 1e-10]] as const) {
    test(`${base}_${suffix}: base, distill and total loss and the student's gradient equal DeiT's (rtol ${rtol})`, () => {
      const f = loadFixture('model', `${base}_${suffix}`);
      const { distillation_type: type, alpha, tau, label_smoothing: labelSmoothing } = f.attrs as { distillation_type: DistillationType; alpha: number; tau: number; label_smoothing: number };
      const criterion = new DistillationLoss({ type, alpha, tau, baseCriterion: crossEntropyLoss({ labelSmoothing }) });
      const student = fixtureTensor(f.inputs.student, f.dtype).requiresGrad_();
      const teacher = fixtureTensor(f.inputs.teacher, f.dtype).requiresGrad_(); // requiresGrad: the loss must still not reach it
      const { loss, base: baseLoss, distill } = criterion.call(student, teacher, fixtureTensor(f.inputs.labels, f.dtype));
      loss.backward();
      assertMaxRelClose(baseLoss, f.outputs.base_loss, rtol, 'base loss');
      assertMaxRelClose(distill, f.outputs.distill_loss, rtol, 'distill loss');
      assertMaxRelClose(loss, f.outputs.loss, rtol, 'loss');
      assertMaxRelClose(student.grad, f.grads.student, rtol, 'student grad');
      assert.equal(teacher.grad, null, 'no gradient reaches the teacher');
    });
  }
}

test("DistillationLoss type 'none' is the base criterion alone, and needs no teacher", () => {
  const g = new Generator(1);
  const s = randn([4, 3], { generator: g });
  const y = tensor(new Int32Array([0, 2, 1, 1]), { shape: [4] });
  const { loss, distill } = new DistillationLoss({ type: 'none', alpha: 0.5, tau: 1 }).forward(s, null, y);
  assert.equal(distill, undefined);
  assert.equal(loss.item(), F.crossEntropy(s, y).item());
});

test('crossEntropyLoss accepts soft (probability) targets: one-hot targets give the index loss', () => {
  const g = new Generator(2);
  const s = randn([3, 4], { generator: g, dtype: 'float64' });
  const y = tensor(new Int32Array([3, 0, 2]), { shape: [3] });
  const oneHot = tensor([[0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]], { dtype: 'float64' });
  const ce = crossEntropyLoss({ labelSmoothing: 0.1 });
  assert.ok(Math.abs(ce(s, y).item() - ce(s, oneHot).item()) < 1e-12);
});

test('DistillationLoss rejects bad options and mismatched teacher shapes, naming what it got', () => {
  assert.throws(() => new DistillationLoss({ type: 'soft', alpha: 1.5, tau: 1 }), /alpha must be in \[0, 1\], got 1.5/);
  assert.throws(() => new DistillationLoss({ type: 'soft', alpha: 0.5, tau: 0 }), /tau must be a positive number, got 0/);
  assert.throws(() => new DistillationLoss({ type: 'weird' as DistillationType, alpha: 0.5, tau: 1 }), /type must be/);
  const crit = new DistillationLoss({ type: 'soft', alpha: 0.5, tau: 1 });
  const y = tensor(new Int32Array([0, 1]), { shape: [2] });
  assert.throws(() => crit.forward(randn([2, 3]), randn([2, 4]), y), /teacher logits \[2,4\] and student logits \[2,3\]/);
  assert.throws(() => crit.forward(randn([2, 3]), null, y), /needs the teacher's logits/);
});

// Learning-rate schedules against their closed forms, at chosen steps, and their state round trip.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../engine/index.js';
import { AdamW, SGD, StepDecaySchedule, WarmupCosineSchedule } from '../../model/optim/index.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a}, expected ${b}`);

function twoGroups(lrA: number, lrB: number): AdamW {
  return new AdamW([{ params: [Tensor.empty([2]).requiresGrad_()], lr: lrA }, { params: [Tensor.empty([2]).requiresGrad_()], lr: lrB }]);
}

test('warmup-cosine: linear warmup from warmupStartLr, half cosine to minLr, then flat; per group', () => {
  const opt = twoGroups(1e-3, 5e-4);
  const W = 5, T = 25, floor = 1e-5, start = 1e-6;
  const sched = new WarmupCosineSchedule(opt, { warmupSteps: W, totalSteps: T, minLr: floor, warmupStartLr: start });
  const expected = (t: number, base: number) => t < W
    ? start + (base - start) * t / W
    : floor + 0.5 * (base - floor) * (1 + Math.cos(Math.PI * Math.min(1, (t - W) / (T - W))));
  for (let t = 0; t <= 40; t++) {
    if ([0, 1, 4, 5, 6, 15, 24, 25, 26, 40].includes(t)) {
      sched.getLr().forEach((lr, g) => close(lr, expected(t, [1e-3, 5e-4][g]), `step ${t} group ${g}`));
      opt.paramGroups.forEach((grp, g) => close(grp.lr, expected(t, [1e-3, 5e-4][g]), `group ${g} lr at step ${t}`));
    }
    sched.step();
  }
  close(expected(W, 1e-3), 1e-3, 'peak at the end of warmup');
  close(expected(15, 1e-3), floor + 0.5 * (1e-3 - floor), 'halfway down the cosine');
  close(expected(T, 1e-3), floor, 'floor at totalSteps');
});

test('warmup-cosine: no warmup starts at the base lr', () => {
  const opt = new SGD([Tensor.empty([1]).requiresGrad_()], { lr: 0.1 });
  const sched = new WarmupCosineSchedule(opt, { warmupSteps: 0, totalSteps: 10 });
  close(opt.paramGroups[0].lr, 0.1, 'step 0');
  for (let i = 0; i < 10; i++) sched.step();
  close(opt.paramGroups[0].lr, 0, 'step 10');
});

test('step decay: lr = base · gamma^floor(t / stepSize)', () => {
  const opt = new SGD([Tensor.empty([1]).requiresGrad_()], { lr: 0.2 });
  const sched = new StepDecaySchedule(opt, { stepSize: 3, gamma: 0.5 });
  const seen: number[] = [];
  for (let t = 0; t < 10; t++) { seen.push(sched.getLr()[0]); sched.step(); }
  seen.forEach((lr, t) => close(lr, 0.2 * 0.5 ** Math.floor(t / 3), `step ${t}`));
});

test('schedule: stateDict/loadStateDict restores the step and the groups\' lr in a new schedule', () => {
  const a = twoGroups(1e-3, 2e-3);
  const s1 = new WarmupCosineSchedule(a, { warmupSteps: 3, totalSteps: 20 });
  for (let i = 0; i < 7; i++) s1.step();
  const b = twoGroups(1e-3, 2e-3);
  const s2 = new WarmupCosineSchedule(b, { warmupSteps: 3, totalSteps: 20 });
  s2.loadStateDict(JSON.parse(JSON.stringify(s1.stateDict())));
  assert.equal(s2.lastStep, 7);
  assert.deepEqual(b.paramGroups.map((g) => g.lr), a.paramGroups.map((g) => g.lr));
  s1.step(); s2.step();
  assert.deepEqual(s2.getLr(), s1.getLr());
  assert.throws(() => s2.loadStateDict({ step: -1, baseLrs: [] }), /expected \{ step: integer >= 0/);
});

test('schedule: rejects totalSteps below warmupSteps and a zero stepSize', () => {
  const opt = new SGD([Tensor.empty([1]).requiresGrad_()], { lr: 0.1 });
  assert.throws(() => new WarmupCosineSchedule(opt, { warmupSteps: 5, totalSteps: 4 }), /totalSteps must be an integer >= warmupSteps \(5\), got 4/);
  assert.throws(() => new StepDecaySchedule(opt, { stepSize: 0 }), /stepSize must be an integer > 0, got 0/);
});

// Optimisers against torch.optim: ten steps over given gradients (fixtures/model/optim_*), both update paths
// (fused typed-array loops and tensor ops), and a state-dict round trip in the middle of the run.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../engine/index.js';
import { Adam, AdamW, SGD, type Optimizer, type BaseHyper, type ParamGroupInput } from '../../model/optim/index.js';
import { fixtureTensor, loadFixture, type Fixture } from '../helpers/fixtures.js';
import { assertAllClose } from '../helpers/allclose.js';

interface GroupAttr { params: string[]; weight_decay: number }

function makeOptimizer(fx: Fixture, params: Map<string, Tensor>): Optimizer<BaseHyper> {
  const a = fx.attrs as Record<string, unknown>;
  const groups: ParamGroupInput[] = (a.groups as GroupAttr[]).map((g) => ({
    params: g.params.map((n) => params.get(n)!),
    weightDecay: g.weight_decay,
  }));
  switch (a.optimizer) {
    case 'AdamW': return new AdamW(groups, { lr: a.lr as number, betas: a.betas as [number, number], eps: a.eps as number });
    case 'Adam': return new Adam(groups, { lr: a.lr as number, betas: a.betas as [number, number], eps: a.eps as number });
    case 'SGD': return new SGD(groups, { lr: a.lr as number, momentum: a.momentum as number, dampening: a.dampening as number, nesterov: a.nesterov as boolean });
    default: throw new Error(`unknown optimizer ${String(a.optimizer)}`);
  }
}

/** float32: relative to each element, with a floor at 1% of the largest (values near 0 come from cancellation). */
function tolerance(dtype: 'float32' | 'float64') {
  return dtype === 'float64' ? { rtol: 1e-10, floor: 1e-10 } : { rtol: 1e-5, floor: 1e-5, floorRel: 1e-2 };
}

/** Runs the fixture's ten steps; with `reloadAt`, rebuilds the optimiser from a state dict after that step. */
function run(file: string, fused: boolean, reloadAt?: number): void {
  const fx = loadFixture('model', file);
  const names = ((fx.attrs.groups as GroupAttr[]).flatMap((g) => g.params));
  const params = new Map(names.map((n) => [n, fixtureTensor(fx.inputs[n], fx.dtype).requiresGrad_()]));
  let opt = makeOptimizer(fx, params);
  opt.fused = fused;
  const steps = fx.attrs.steps as number;
  for (let k = 1; k <= steps; k++) {
    for (const [n, p] of params) p.grad = fixtureTensor(fx.inputs[`grad_${n}_${k}`], fx.dtype);
    opt.step();
    for (const [n, p] of params) {
      assertAllClose(p.toTypedArray(), fx.outputs[`${n}_${k}`].data, { ...tolerance(fx.dtype), what: `${file} ${n} after step ${k}` });
    }
    if (k === reloadAt) {
      const sd = opt.stateDict();
      opt = makeOptimizer(fx, params);
      opt.fused = fused;
      opt.loadStateDict(sd);
    }
  }
}

for (const name of ['optim_adamw', 'optim_adam', 'optim_sgd_momentum', 'optim_sgd_nesterov']) {
  for (const suffix of ['f64', 'f32']) {
    test(`${name}_${suffix}: 10 steps equal torch.optim (fused loops)`, () => run(`${name}_${suffix}`, true));
    test(`${name}_${suffix}: 10 steps equal torch.optim (tensor ops)`, () => run(`${name}_${suffix}`, false));
  }
  test(`${name}: stateDict after step 4 loaded into a new optimiser continues identically`, () => run(`${name}_f64`, true, 4));
}

test('optimizer: zeroGrad drops gradients and step skips parameters without one', () => {
  const p = Tensor.empty([3]).requiresGrad_();
  const q = Tensor.empty([2], 'float64').requiresGrad_();
  const opt = new SGD([p, q], { lr: 0.5 });
  p.grad = Tensor.fromArray(new Float32Array([1, 2, 3]), [3]);
  opt.step();
  assert.deepEqual([...p.toTypedArray()], [-0.5, -1, -1.5]);
  assert.deepEqual([...q.toTypedArray()], [0, 0]);
  opt.zeroGrad();
  assert.equal(p.grad, null);
});

test('optimizer: stateDict numbers parameters across groups and keeps per-group lr', () => {
  const a = Tensor.empty([2]).requiresGrad_(), b = Tensor.empty([2, 2]).requiresGrad_();
  const opt = new AdamW([{ params: [b], weightDecay: 0.1 }, { params: [a], weightDecay: 0, lr: 0.5 }], { lr: 0.01 });
  a.grad = Tensor.fromArray(new Float32Array([1, 1]), [2]);
  opt.step();
  const sd = opt.stateDict();
  assert.deepEqual(sd.paramGroups.map((g) => g.params), [[0], [1]]);
  assert.deepEqual(sd.paramGroups.map((g) => g.lr), [0.01, 0.5]);
  assert.equal(sd.state[0], undefined);
  assert.equal(sd.state[1].step, 1);
  assert.ok(sd.state[1].exp_avg instanceof Tensor);
  assert.throws(() => new AdamW([a]).loadStateDict(sd), /2 parameter groups/);
});

test('optimizer: rejects bad hyperparameters and shared parameters, naming them', () => {
  const p = Tensor.empty([2]).requiresGrad_();
  assert.throws(() => new SGD([p], { lr: -1 }), /lr must be >= 0, got -1/);
  assert.throws(() => new SGD([p], { nesterov: true }), /Nesterov momentum needs momentum > 0/);
  assert.throws(() => new Adam([p], { betas: [1, 0.9] }), /betas must be in \[0, 1\)/);
  assert.throws(() => new AdamW([{ params: [p] }, { params: [p] }]), /more than one group/);
  assert.throws(() => new AdamW([]), /non-empty/);
});

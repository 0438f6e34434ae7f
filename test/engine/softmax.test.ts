// softmax and logSoftmax, one family: gradients equal float64 central differences, rows sum to 1 and
// shifts do not change them, −∞ logits give exact zeros, large logits stay finite, the fused kernels equal
// their composed references, and the values equal PyTorch's fixtures.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { logSoftmaxComposed, noGrad, softmaxComposed, where, type Tensor } from '../../engine/index.js';
import { forEachBackend, on, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { checkGradients, sampledGradcheck } from '../helpers/gradients.js';
import { fixtureTests } from '../helpers/reference.js';
import { axesArb, randomTensor, seedArb, shapeArb } from '../helpers/random.js';

const RUNS = { numRuns: 20 };

for (const name of ['softmax', 'logSoftmax'] as const) {
  forEachBackend(`d ${name} over a random axis equals central differences`, async (device) => {
    const arb = shapeArb(0, 3).chain((s) => fc.tuple(fc.constant(s), s.length === 0 ? fc.constant(-1) : axesArb(s.length).map((a) => a[0])));
    await fc.assert(fc.asyncProperty(arb, seedArb, async ([shape, axis], seed) => {
      await checkGradients(device, (x) => x[name](axis), [randomTensor(shape, seed)]);
    }), RUNS);
  });

  forEachBackend(`d ${name} equals central differences at 45×65 (sampled elements)`, async (device) => {
    const x = randomTensor([45, 65], 5);
    if (workDType(device) === 'float64') sampledGradcheck((t) => t[name](-1), [x], { samples: 16 });
    else await checkGradients(device, (t) => t[name](-1), [x]);
  });
}

// ---- laws ----

const axisArb = shapeArb(1, 3).chain((s) => fc.tuple(fc.constant(s), axesArb(s.length).map((a) => a[0])));

forEachBackend('softmax rows sum to 1 and softmax is invariant to a shift along its axis', async (device) => {
  await fc.assert(fc.asyncProperty(axisArb, seedArb, fc.double({ min: -50, max: 50, noNaN: true }), async ([shape, axis], seed, shift) => {
    const dtype = workDType(device);
    const x = on(device, randomTensor(shape, seed));
    const y = x.softmax(axis);
    assertAllClose(await valuesOf(y.sum(axis)), new Float64Array(y.size / y.dim(axis)).fill(1), { ...tolFor(dtype), what: 'row sums' });
    // a per-row shift: constant along `axis`, different across rows
    const s = on(device, randomTensor(shape.map((d, i) => (i === (axis + shape.length) % shape.length ? 1 : d)), seed + 1)).mul(shift);
    assertAllClose(await valuesOf(x.add(s).softmax(axis)), await valuesOf(y), { ...tolFor(dtype), floorRel: 1e-6, what: 'shifted softmax' });
  }), { numRuns: 30 });
});

forEachBackend('softmax is exactly 0 at a −∞ logit (a masked position), in float32 and float64', async (device) => {
  for (const dtype of device === 'cpu' ? ['float32', 'float64'] as const : ['float32'] as const) {
    const x = noGrad(() => randomTensor([3, 7], 4).detach().to(dtype).to(device));
    const mask = on(device, randomTensor([3, 7], 5)).gt(0.5);
    const y = await valuesOf(where(mask, -Infinity, x).softmax(-1));
    const m = await valuesOf(mask);
    m.forEach((v, i) => { if (v) assert.equal(y[i], 0, `${dtype}: softmax at masked element ${i} is ${y[i]}, expected exactly 0`); });
  }
});

forEachBackend('logSoftmax stays finite (and exact) at logits ±1e4', async (device) => {
  const x = on(device, randomTensor([3, 4], 1).mul(1e4).sign().mul(1e4));
  const y = await valuesOf(x.logSoftmax(-1));
  assert.ok(y.every(Number.isFinite), `logSoftmax produced a non-finite value: ${[...y]}`);
  const rows = await valuesOf(x.exp().sum(-1).log()); // naive: overflows
  assert.ok(rows.some((v) => !Number.isFinite(v)), 'the naive form overflows here, so the test exercises the stable path');
  const xs = await valuesOf(x);
  const want = xs.map((v, i) => {
    const row = xs.slice(i - (i % 4), i - (i % 4) + 4);
    const m = Math.max(...row);
    return v - m - Math.log(row.reduce((s, r) => s + Math.exp(r - m), 0));
  });
  assertAllClose(y, want, { rtol: workDType(device) === 'float64' ? 1e-12 : 1e-6, floor: 1e-12, what: 'logSoftmax at ±1e4' });
});

forEachBackend('fused softmax and logSoftmax equal their composed references, forward and backward', async (device) => {
  const dtype = workDType(device);
  const pairs: [string, (x: Tensor, axis: number) => Tensor, (x: Tensor, axis: number) => Tensor][] = [
    ['softmax', (x, a) => x.softmax(a), softmaxComposed],
    ['logSoftmax', (x, a) => x.logSoftmax(a), logSoftmaxComposed],
  ];
  for (const [name, fused, composed] of pairs) {
    await fc.assert(fc.asyncProperty(axisArb, seedArb, async ([shape, axis], seed) => {
      const x1 = on(device, randomTensor(shape, seed).mul(3), true), x2 = on(device, randomTensor(shape, seed).mul(3), true);
      const g = on(device, randomTensor(shape, seed + 1));
      const y1 = fused(x1, axis), y2 = composed(x2, axis);
      assertAllClose(await valuesOf(y1), await valuesOf(y2), { ...tolFor(dtype), what: `${name} forward` });
      y1.backward(g);
      y2.backward(g);
      assertAllClose(await valuesOf(x1.grad!), await valuesOf(x2.grad!), { ...tolFor(dtype), floorRel: 1e-6, what: `${name} backward` });
    }), { numRuns: 20 });
  }
});

// ---- PyTorch fixtures ----

fixtureTests('softmax');

// layerNorm, one family: gradients equal float64 central differences, rows come out with mean 0 and
// variance 1, the fused kernel equals its composed reference, and the values equal PyTorch's fixtures.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { F, layerNormComposed } from '../../engine/index.js';
import { forEachBackend, on, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { checkGradients } from '../helpers/gradients.js';
import { fixtureTests } from '../helpers/reference.js';
import { randomTensor, seedArb, shapeArb } from '../helpers/random.js';

const RUNS = { numRuns: 20 };

forEachBackend('d layerNorm equals central differences (with and without weight/bias, 1- and 2-dim normalizedShape)', async (device) => {
  const arb = fc.record({ lead: shapeArb(0, 2), norm: shapeArb(1, 2, [2, 3, 5]), weight: fc.boolean(), bias: fc.boolean() });
  await fc.assert(fc.asyncProperty(arb, seedArb, async ({ lead, norm, weight, bias }, seed) => {
    const inputs = [randomTensor([...lead, ...norm], seed)];
    if (weight) inputs.push(randomTensor(norm, seed + 1));
    if (bias) inputs.push(randomTensor(norm, seed + 2));
    await checkGradients(device, (x, ...rest) => {
      const w = weight ? rest[0] : undefined;
      const b = bias ? rest[weight ? 1 : 0] : undefined;
      return F.layerNorm(x, norm, w, b);
    }, inputs);
  }), RUNS);
});

// ---- laws ----

forEachBackend('layerNorm output has mean 0 and variance 1 per row before the affine', async (device) => {
  await fc.assert(fc.asyncProperty(shapeArb(0, 2), shapeArb(1, 2, [2, 3, 5, 7]), seedArb, async (lead, norm, seed) => {
    const x = on(device, randomTensor([...lead, ...norm], seed).mul(3).add(1));
    const axes = norm.map((_, i) => lead.length + i);
    const y = F.layerNorm(x, norm, null, null, 0);
    const rows = lead.reduce((a, b) => a * b, 1);
    const tol = workDType(device) === 'float64' ? 1e-10 : 1e-5;
    assertAllClose(await valuesOf(y.mean(axes)), new Float64Array(rows), { rtol: 1, floor: tol, what: 'row means' });
    assertAllClose(await valuesOf(y.var(axes, { unbiased: false })), new Float64Array(rows).fill(1), { rtol: tol, what: 'row variances' });
  }), { numRuns: 30 });
});

const normArb = fc.tuple(shapeArb(0, 2), shapeArb(1, 2, [1, 2, 3, 5])).map(([lead, norm]) => ({ shape: [...lead, ...norm], norm }));

forEachBackend('fused layerNorm equals its composed reference, forward and backward', async (device) => {
  const dtype = workDType(device);
  await fc.assert(fc.asyncProperty(normArb, fc.boolean(), fc.boolean(), seedArb, async ({ shape, norm }, withW, withB, seed) => {
    const make = () => [on(device, randomTensor(shape, seed).mul(2), true), on(device, randomTensor(norm, seed + 1), true), on(device, randomTensor(norm, seed + 2), true)];
    const [x1, w1, b1] = make(), [x2, w2, b2] = make();
    const g = on(device, randomTensor(shape, seed + 3));
    const y1 = F.layerNorm(x1, norm, withW ? w1 : null, withB ? b1 : null);
    const y2 = layerNormComposed(x2, norm, withW ? w2 : null, withB ? b2 : null);
    assertAllClose(await valuesOf(y1), await valuesOf(y2), { ...tolFor(dtype), floorRel: 1e-6, what: 'layerNorm forward' });
    y1.backward(g);
    y2.backward(g);
    for (const [t1, t2, what] of [[x1, x2, 'x'], [w1, w2, 'weight'], [b1, b2, 'bias']] as const) {
      if (t2.grad === null) { assert.equal(t1.grad, null, `layerNorm: ${what} unused, so no gradient`); continue; }
      assertAllClose(await valuesOf(t1.grad!), await valuesOf(t2.grad), { ...tolFor(dtype), floorRel: 1e-6, what: `layerNorm grad of ${what}` });
    }
  }), { numRuns: 20 });
});

// ---- PyTorch fixtures ----

fixtureTests('layernorm');

// Random draws and dropout, one family: one seed gives the same numbers twice (rand, randn, truncNormal),
// and dropout with a fixed generator has gradients equal to float64 central differences.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { F, Generator, manualSeed, rand, randn, truncNormal } from '../../engine/index.js';
import { forEachBackend, workDType } from '../helpers/backends.js';
import { valuesOf } from '../helpers/allclose.js';
import { checkGradients } from '../helpers/gradients.js';
import { randomTensor, seedArb, shapeArb } from '../helpers/random.js';

const RUNS = { numRuns: 20 };

forEachBackend('the same seed gives the same random numbers (rand, randn, truncNormal), twice', async (device) => {
  await fc.assert(fc.asyncProperty(seedArb, shapeArb(0, 3), async (seed, shape) => {
    const draw = (gen?: Generator) => [
      rand(shape, { generator: gen, device }), randn(shape, { generator: gen, std: 2, device, dtype: workDType(device) }),
      truncNormal(shape, { generator: gen, std: 0.02, a: -0.04, b: 0.04, device }),
    ];
    const first = draw(new Generator(seed)), second = draw(new Generator(seed));
    manualSeed(seed);
    const third = draw();
    manualSeed(seed);
    const fourth = draw();
    for (let i = 0; i < first.length; i++) {
      const v = await valuesOf(first[i]);
      assert.deepEqual(await valuesOf(second[i]), v, 'two generators with one seed');
      assert.deepEqual(await valuesOf(fourth[i]), await valuesOf(third[i]), 'manualSeed twice');
      assert.deepEqual(await valuesOf(third[i]), v, 'manualSeed seeds the default generator like new Generator(seed)');
    }
    const tn = await valuesOf(first[2]);
    assert.ok(tn.every((v) => v >= -0.04 && v <= 0.04), 'truncNormal stays inside [a, b]');
  }), { numRuns: 30 });
});

forEachBackend('d F.dropout with a fixed generator equals central differences', async (device) => {
  await fc.assert(fc.asyncProperty(shapeArb(1, 3), fc.constantFrom(0.1, 0.5, 0.9), seedArb, async (shape, p, seed) => {
    // a fresh generator per call: every evaluation of the objective drops the same elements
    await checkGradients(device, (x) => F.dropout(x, p, true, new Generator(seed)), [randomTensor(shape, seed)]);
  }), RUNS);
});

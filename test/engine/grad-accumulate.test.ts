// Gradient accumulation: a tensor reached along several paths gets the sum of their gradients, whether backward
// adds a contribution into a sum it made itself (in place) or must leave it alone (shared with another path, a
// view of it still used, a leaf's .grad). Expected values are the hand-derived sums.
import fc from 'fast-check';
import { forEachBackend, on, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { randomTensor, seedArb, shapeArb } from '../helpers/random.js';

forEachBackend('d/dh of Σ c_i·h over k paths (and an h + h) is (Σ c_i + 2)·g, for every path order', async (device) => {
  const dtype = workDType(device);
  await fc.assert(fc.asyncProperty(shapeArb(1, 3, [1, 2, 3, 5, 70]), seedArb, fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 1, maxLength: 5 }), async (shape, seed, cs) => {
    const x = on(device, randomTensor(shape, seed), true);
    const h = x.mul(1); // a non-leaf: its gradient is summed inside backward
    let y = h.add(h); // one node giving h the same gradient object twice
    for (const c of cs) y = y.add(h.mul(c));
    // a path through a view: its gradient shares storage with a reshape of the upstream one
    y = y.add(h.reshape(-1).reshape(shape));
    const g = on(device, randomTensor(shape, seed + 1));
    y.backward(g);
    const k = cs.reduce((a, b) => a + b, 0) + 3;
    const want = (await valuesOf(g)).map((v) => v * k);
    assertAllClose(await valuesOf(x.grad!), want, { ...tolFor(dtype), floorRel: 1e-6, what: `grad over ${cs.length + 3} paths` });
  }), { numRuns: 30 });
});

forEachBackend('a leaf reached along two paths, twice: .grad is the sum of both backward calls', async (device) => {
  const dtype = workDType(device);
  const x = on(device, randomTensor([40, 70], 3), true);
  for (let i = 0; i < 2; i++) x.mul(2).add(x.exp()).sum().backward();
  const xs = await valuesOf(x);
  assertAllClose(await valuesOf(x.grad!), xs.map((v) => 2 * (2 + Math.exp(v))), { ...tolFor(dtype), floorRel: 1e-6, what: 'accumulated leaf grad' });
});

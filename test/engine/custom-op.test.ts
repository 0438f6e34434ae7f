// The user-op extension point: an op defined with defineOp + apply gradchecks and equals its composed form.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { apply, defineOp, noGrad, type Op, type Tensor } from '../../engine/index.js';
import { forEachBackend, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { checkGradients } from '../helpers/gradients.js';
import { randomTensor, seedArb, shapeArb } from '../helpers/random.js';

/** swish(x) = x σ(x); saves σ(x) for the backward: d swish = σ + x σ (1 − σ). */
const swishOp: Op<undefined, { s: Tensor }> = defineOp({
  name: 'swish',
  forward: ([x]) => {
    const s = x.sigmoid();
    return [x.mul(s), { s }] as const;
  },
  backward: (grad, { inputs: [x], saved: { s } }) => [grad.mul(s.add(x.mul(s).mul(s.neg().add(1))))],
});

const swish = (x: Tensor): Tensor => apply(swishOp, [x], undefined);
const swishComposed = (x: Tensor): Tensor => x.mul(x.sigmoid());

forEachBackend('a user-defined swish op gradchecks against central differences', async (device) => {
  await fc.assert(fc.asyncProperty(shapeArb(0, 3), seedArb, async (shape, seed) => {
    await checkGradients(device, swish, [randomTensor(shape, seed)]);
  }), { numRuns: 20 });
});

forEachBackend('a user-defined swish op equals its composed form, forward and backward', async (device) => {
  const dtype = workDType(device);
  await fc.assert(fc.asyncProperty(shapeArb(0, 3), seedArb, async (shape, seed) => {
    const make = () => noGrad(() => randomTensor(shape, seed).detach().mul(3).to(dtype).to(device)).requiresGrad_(true);
    const x1 = make(), x2 = make();
    const y1 = swish(x1), y2 = swishComposed(x2);
    assert.equal(y1.gradFn?.op.name, 'swish', 'apply records the user op in the graph');
    assertAllClose(await valuesOf(y1), await valuesOf(y2), { ...tolFor(dtype), what: 'swish forward' });
    y1.sum().backward();
    y2.sum().backward();
    assertAllClose(await valuesOf(x1.grad!), await valuesOf(x2.grad!), { ...tolFor(dtype), what: 'swish backward' });
  }), { numRuns: 20 });
});

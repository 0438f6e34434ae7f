// In-place ops and autograd, as PyTorch has them: storages carry a version that every in-place write
// bumps; a backward that needs a value overwritten since it was saved throws, naming the op; in-place on
// a leaf that requires grad (or a view of one) throws while grad is recorded; in-place on a non-leaf is
// recorded in the graph. Expected gradients are PyTorch's (torch 2.x gives the same numbers).
import assert from 'node:assert/strict';
import { noGrad, tensor, type DeviceName, type Tensor } from '../../engine/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { assertAllClose, valuesOf } from '../helpers/allclose.js';

const leaf = (values: number[] | number, device: DeviceName): Tensor => tensor(values, { requiresGrad: true, device });

forEachBackend('an in-place op on a non-leaf is recorded: y = 2x; y *= 3 gives dy/dx = 6', async (device) => {
  const x = leaf([1, -2], device);
  const y = x.mul(2);
  y.mul_(3);
  assert.deepEqual([...await valuesOf(y)], [6, -12]);
  y.sum().backward();
  assert.deepEqual([...await valuesOf(x.grad!)], [6, 6]);
});

forEachBackend('add_ under noGrad on a tensor saved for backward makes backward throw, naming the op and the tensor', async (device) => {
  const x = leaf(1, device);
  const y = x.square(); // saves x
  noGrad(() => { x.add_(100); });
  assert.throws(() => y.backward(), (err: Error) => {
    assert.match(err.message, /modified by an inplace operation/);
    assert.match(err.message, /input 0 of square/, 'names the op that saved the value');
    assert.match(err.message, /add_/, 'names the in-place op');
    assert.match(err.message, /version 0 .* version 1/);
    return true;
  });
});

forEachBackend('add_ on a slice of a leaf that requires grad throws while grad is recorded', async (device) => {
  const x = leaf([1, 2, 3], device);
  assert.throws(() => x.slice(0, 0, 2).add_(1), /view of a leaf tensor that requires grad.*noGrad/);
  assert.deepEqual([...await valuesOf(x)], [1, 2, 3], 'the leaf is unchanged');
  assert.throws(() => x.add_(1), /leaf tensor that requires grad.*noGrad/);
  noGrad(() => { x.slice(0, 0, 2).add_(1); });
  assert.deepEqual([...await valuesOf(x)], [2, 3, 3], 'under noGrad (as an optimiser does) the update goes through');
});

forEachBackend('an in-place op after a use of the old value sends that use\'s gradient to the old history', async (device) => {
  const x = leaf([0.5, -1], device);
  const y = x.mul(2);
  const v = y.exp(); // used the old y = 2x
  y.mul_(3);
  v.sum().backward(); // d/dx e^{2x} = 2e^{2x}: torch gives [5.4366, 0.2707]
  assertAllClose(await valuesOf(x.grad!), [2 * Math.exp(1), 2 * Math.exp(-2)], { rtol: 1e-5 });
});

forEachBackend('an in-place update of a value the backward does not read leaves backward correct', async (device) => {
  const x = leaf([0.5, -1], device);
  const b = tensor([1, 1], { device });
  const y = x.add(b); // add's backward reads neither input
  noGrad(() => { b.add_(1); });
  y.sum().backward();
  assert.deepEqual([...await valuesOf(x.grad!)], [1, 1]);
});

forEachBackend('in-place with an operand that requires grad: y = x; y += w² gives dx = 1, dw = 2w', async (device) => {
  const x = leaf([0.5, -1], device);
  const w = leaf([3, 4], device);
  const y = x.mul(1);
  y.add_(w.mul(w));
  y.sum().backward();
  assert.deepEqual([...await valuesOf(x.grad!)], [1, 1]);
  assert.deepEqual([...await valuesOf(w.grad!)], [6, 8]);
});

forEachBackend('an op that reads its output still sees its own value after an in-place op on it: y = e^x; y *= 2', async (device) => {
  const x = leaf([0.5, -1], device);
  const y = x.exp();
  y.mul_(2);
  y.sum().backward(); // d 2e^x = 2e^x (torch refuses this one; the value here is the exact derivative)
  assertAllClose(await valuesOf(x.grad!), [2 * Math.exp(0.5), 2 * Math.exp(-1)], { rtol: 1e-5 });
});

forEachBackend('an in-place op on a view of a non-leaf throws while grad is recorded', async (device) => {
  const x = leaf([1, 2, 3], device);
  const y = x.mul(2);
  assert.throws(() => y.slice(0, 0, 1).mul_(3), /view of a tensor made by mul.*clone\(\)/);
});

forEachBackend('optimiser-style updates of parameters under noGrad keep working across steps', async (device) => {
  const w = leaf([1, 2], device);
  for (let step = 0; step < 3; step++) {
    const loss = w.square().sum(); // d = 2w
    loss.backward();
    noGrad(() => { w.sub_(w.grad!, 0.25); }); // w ← w − ½ w
    w.grad = null;
  }
  assert.deepEqual([...await valuesOf(w)], [0.125, 0.25]);
});

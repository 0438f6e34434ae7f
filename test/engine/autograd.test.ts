// Autograd behaviour: accumulation, retainGrad, explicit gradients, detach, noGrad, deep chains, retainGraph.
import assert from 'node:assert/strict';
import { noGrad, tensor, type DeviceName, type Tensor } from '../../engine/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { valuesOf } from '../helpers/allclose.js';

const leaf = (values: number[], device: DeviceName): Tensor => tensor(values, { requiresGrad: true, device });

forEachBackend('.grad accumulates across two backward calls', async (device) => {
  const x = leaf([1, 2, 3], device);
  x.mul(x).sum().backward(); // d Σx² = 2x
  assert.deepEqual([...await valuesOf(x.grad!)], [2, 4, 6]);
  x.mul(3).sum().backward(); // + 3
  assert.deepEqual([...await valuesOf(x.grad!)], [5, 7, 9]);
  x.grad = null;
  x.mul(3).sum().backward();
  assert.deepEqual([...await valuesOf(x.grad!)], [3, 3, 3], 'after p.grad = null the next backward starts from zero');
});

forEachBackend('retainGrad keeps the gradient of an intermediate', async (device) => {
  const x = leaf([1, -2], device);
  const h = x.mul(2).retainGrad();
  const y = h.square().sum(); // dy/dh = 2h = 4x
  assert.throws(() => y.grad, /non-leaf/, 'a non-leaf without retainGrad has no readable .grad');
  y.backward();
  assert.deepEqual([...await valuesOf(h.grad!)], [4, -8]);
  assert.deepEqual([...await valuesOf(x.grad!)], [8, -16]);
});

forEachBackend('backward with an explicit gradient is a vector-Jacobian product', async (device) => {
  const x = leaf([1, 2, 3], device);
  const y = x.mul(x); // J = diag(2x)
  y.backward(tensor([1, 0.5, -1], { device }));
  assert.deepEqual([...await valuesOf(x.grad!)], [2, 2, -6]);
});

forEachBackend('detach stops gradients', async (device) => {
  const x = leaf([2, 3], device);
  const y = x.mul(x.detach()).sum(); // the detached factor is a constant: dy/dx = x
  y.backward();
  assert.deepEqual([...await valuesOf(x.grad!)], [2, 3]);
  assert.equal(x.detach().requiresGrad, false);
  assert.equal(x.detach().isLeaf, true);
});

forEachBackend('noGrad records nothing', async (device) => {
  const x = leaf([1, 2], device);
  const y = noGrad(() => x.mul(2).exp().sum());
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  assert.throws(() => y.backward(), /does not require grad/);
});

forEachBackend('a 10,000-op chain runs backward without overflowing the stack', async (device) => {
  const x = leaf([0.5], device);
  let y = x;
  for (let i = 0; i < 10_000; i++) y = y.mul(1.0001);
  y.sum().backward();
  const got = (await valuesOf(x.grad!))[0];
  assert.ok(Math.abs(got - 1.0001 ** 10_000) < 1e-3 * 1.0001 ** 10_000, `d/dx of x·1.0001^10000 is 1.0001^10000, got ${got}`);
});

forEachBackend('backward twice without retainGraph throws; with retainGraph it works and accumulates', async (device) => {
  const x = leaf([1, 2], device);
  const y = x.exp().sum();
  y.backward();
  assert.throws(() => y.backward(), /second time.*retainGraph/);

  const z = leaf([1, 2], device);
  const w = z.square().sum();
  w.backward(undefined, { retainGraph: true });
  w.backward();
  assert.deepEqual([...await valuesOf(z.grad!)], [4, 8], 'two passes through a retained graph: 2 · 2z');
});

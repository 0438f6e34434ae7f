// The test helpers have teeth: each comparison fails on the mismatch it exists to catch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Tensor } from '../engine/index.js';
import { assertAllClose } from './helpers/allclose.js';
import { activeVariant, workDType } from './helpers/backends.js';
import { checkGradients } from './helpers/gradients.js';
import { randomTensor } from './helpers/random.js';

test('checkGradients fails when an input has a gradient in float64 but none in float32', async () => {
  assert.equal(activeVariant().dtype, 'float32', 'outside forEachBackend the first variant (cpu, float32) is active');
  assert.equal(workDType('cpu'), 'float32');
  // float32 cuts b from the graph: b.grad stays null there, while float64 gives it a gradient
  const fn = (a: Tensor, b: Tensor): Tensor => (a.dtype === 'float64' ? a.mul(b) : a.mul(b.detach()));
  await assert.rejects(checkGradients('cpu', fn, [randomTensor([3], 1), randomTensor([3], 2)]), /gradient of input 1 on cpu: null, but present on cpu float64/);
});

test('checkGradients fails when an input has a gradient in float32 but none in float64', async () => {
  const fn = (a: Tensor, b: Tensor): Tensor => (a.dtype === 'float64' ? a.mul(b.detach()) : a.mul(b));
  await assert.rejects(checkGradients('cpu', fn, [randomTensor([3], 1), randomTensor([3], 2)]), /gradient of input 1 on cpu: present, but null on cpu float64/);
});

test('checkGradients passes when both sides agree (the same function, no gradient dropped)', async () => {
  await checkGradients('cpu', (a, b) => a.mul(b).tanh(), [randomTensor([3], 1), randomTensor([3], 2)]);
});

test('checkGradients fails on a wrong gradient with a right forward value', async () => {
  // the same forward 2a; in float32 the gradient flows only through a · 0, so it is 0 instead of 2
  const fn = (a: Tensor): Tensor => (a.dtype === 'float64' ? a.mul(2) : a.detach().mul(2).add(a.mul(0)));
  await assert.rejects(checkGradients('cpu', fn, [randomTensor([4], 3)]), /gradient of input 0 on cpu: element 0/);
});

test('assertAllClose fails outside the tolerance and names the element', () => {
  assert.throws(() => assertAllClose([1, 2, 3], [1, 2, 3.1], { rtol: 1e-3 }), /element 2 is 3, expected 3.1/);
  assertAllClose([1, 2, 3], [1, 2, 3 + 1e-6], { rtol: 1e-3 });
});

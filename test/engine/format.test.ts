// console.log(t) prints a tensor as PyTorch's repr does (values by rows, 4 decimals or scientific, the
// first and last 3 of each dimension past 1000 elements), then dtype, device and autograd state; never
// the internal storage objects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { arange, ones, tensor, zeros } from '../../engine/index.js';

test('small tensors print their values by rows, with dtype (PyTorch: tensor([[1., 2.], [3., 4.]]))', () => {
  assert.equal(inspect(tensor([[1, 2], [3, 4]])), 'tensor([[1, 2],\n        [3, 4]], dtype=float32)');
  assert.equal(inspect(tensor([[1, 2], [3, 4]], { dtype: 'int32' })), 'tensor([[1, 2],\n        [3, 4]], dtype=int32)');
  assert.equal(inspect(tensor(3.5)), 'tensor(3.5000, dtype=float32)');
  assert.equal(inspect(tensor([1.5, 2.25], { dtype: 'float64' })), 'tensor([1.5000, 2.2500], dtype=float64)');
  assert.equal(inspect({ w: tensor([1, 2]) }), '{ w: tensor([1, 2], dtype=float32) }', 'inside another object too');
});

test('values print fixed with 4 decimals, or scientific when magnitudes span 1000× or more (as PyTorch)', () => {
  assert.equal(inspect(tensor([-0.5, 0.25])), 'tensor([-0.5000,  0.2500], dtype=float32)');
  assert.equal(inspect(tensor([NaN, Infinity, -Infinity, 1e-6])), 'tensor([       nan,        inf,       -inf, 1.0000e-06], dtype=float32)');
  assert.equal(inspect(tensor([1, 2000.5], { dtype: 'float64' })), 'tensor([1.0000e+00, 2.0005e+03], dtype=float64)');
});

test('rank 3 separates its matrices by a blank line', () => {
  assert.equal(inspect(ones([2, 1, 2], { dtype: 'int32' })), 'tensor([[[1, 1]],\n\n        [[1, 1]]], dtype=int32)');
});

test('a tensor past 1000 elements shows the first and last 3 of each dimension, and its shape', () => {
  assert.equal(inspect(arange(0, 2000)), 'tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=int32)');
  const big = inspect(zeros([40, 40], { dtype: 'int32' }));
  assert.equal(big.split('\n').length, 7, `3 rows, a gap, 3 rows: ${big}`);
  assert.match(big, /^tensor\(\[\[0, 0, 0, \.\.\., 0, 0, 0\],\n/);
  assert.match(big, /\n {8}\.\.\.,\n/);
  assert.match(big, /shape=\[40, 40\], dtype=int32\)$/);
});

test('long rows wrap at 80 columns, aligned under the first element (PyTorch puts 9 of these on a line)', () => {
  assert.equal(inspect(arange(0, 30).float().div(8)), [
    'tensor([0.0000, 0.1250, 0.2500, 0.3750, 0.5000, 0.6250, 0.7500, 0.8750, 1.0000,',
    '        1.1250, 1.2500, 1.3750, 1.5000, 1.6250, 1.7500, 1.8750, 2.0000, 2.1250,',
    '        2.2500, 2.3750, 2.5000, 2.6250, 2.7500, 2.8750, 3.0000, 3.1250, 3.2500,',
    '        3.3750, 3.5000, 3.6250], dtype=float32)',
  ].join('\n'));
});

test('autograd state shows: requiresGrad on a leaf, the op on a result; a disposed tensor says so', () => {
  assert.equal(inspect(tensor([1, 2], { requiresGrad: true })), 'tensor([1, 2], dtype=float32, requiresGrad=true)');
  assert.equal(inspect(tensor([1, 2], { requiresGrad: true }).mul(2)), 'tensor([2, 4], dtype=float32, gradFn=<mul>)');
  const t = zeros([2]);
  t.dispose();
  assert.equal(inspect(t), 'tensor(<disposed>, shape=[2], dtype=float32)');
  assert.doesNotMatch(inspect(tensor([1])), /storage|Device|layout/);
});

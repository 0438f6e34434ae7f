// Bad input throws, and the message names the op and what it received (shapes or values).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cat, manualSeed, ones, randn, scope, setAnomalyDetection, tensor, zeros } from '../../engine/index.js';

/** Asserts fn throws and that the message matches every pattern. */
function throwsNaming(fn: () => unknown, ...patterns: RegExp[]): void {
  let message = '';
  assert.throws(fn, (err: Error) => { message = err.message; return true; });
  for (const p of patterns) assert.match(message, p, `message ${JSON.stringify(message)} should match ${p}`);
}

test('shapes that do not broadcast: the message names the op and both shapes', () => {
  throwsNaming(() => ones([2, 3]).add(ones([4, 3])), /add/, /\[2, 3\]/, /\[4, 3\]/);
  throwsNaming(() => ones([2, 3]).mul(ones([3, 2])), /mul/, /\[2, 3\]/, /\[3, 2\]/);
});

test('matmul with different inner dimensions: the message names both shapes', () => {
  throwsNaming(() => ones([2, 3]).matmul(ones([4, 5])), /matmul/, /\[2, 3\]/, /\[4, 5\]/, /inner/);
  throwsNaming(() => ones([3]).matmul(ones([4])), /matmul/, /\[3\] @ \[4\]/);
});

test('cat of 0-d tensors and expand to a negative size: the message names the op and the shapes', () => {
  throwsNaming(() => cat([tensor(1), tensor(2)]), /cat/, /zero-dimensional/);
  throwsNaming(() => ones([3]).expand(-1, 3), /expand/, /\[-1, 3\]/, /\[3\]/);
  throwsNaming(() => ones([3]).expand(2, 4), /expand/, /\[3\]/, /\[2, 4\]/);
});

test('an axis out of range: the message names the op, the axis and the rank', () => {
  throwsNaming(() => ones([2, 3]).sum(2), /sum/, /axis 2/, /rank 2/);
  throwsNaming(() => ones([2, 3]).softmax(-3), /softmax/, /-3/, /rank 2/);
  throwsNaming(() => ones([2, 3]).transpose(0, 5), /transpose/, /5/);
});

test('a float op on int32: the message names the op and the dtype', () => {
  throwsNaming(() => tensor([1, 2], { dtype: 'int32' }).exp(), /exp/, /int32/, /\[2\]/);
  throwsNaming(() => tensor([1, 2], { dtype: 'int32' }).mean(), /mean/, /int32/);
});

test('backward on a non-scalar without a gradient: the message names the shape', () => {
  const x = ones([2, 3], { requiresGrad: true });
  throwsNaming(() => x.mul(2).backward(), /backward/, /\[2, 3\]/);
});

test('backward twice through a freed graph: the message names the op and retainGraph', () => {
  const x = ones([2], { requiresGrad: true });
  const y = x.exp().sum();
  y.backward();
  throwsNaming(() => y.backward(), /backward/, /sum/, /retainGraph/);
});

test('.grad read on a non-leaf: the message says how to keep it', () => {
  const x = ones([2], { requiresGrad: true });
  const y = x.mul(2);
  y.sum().backward();
  throwsNaming(() => y.grad, /grad/, /non-leaf/, /retainGrad/);
});

test('ragged nested arrays: the message names the index and the lengths', () => {
  throwsNaming(() => tensor([[1, 2], [3]]), /tensor/, /ragged/, /length 2/, /length 1/, /\[1\]/);
  throwsNaming(() => tensor([[1, 2], 3] as never), /tensor/, /ragged/);
});

test('negative or non-integer sizes: the message names the op and the sizes', () => {
  throwsNaming(() => zeros([2, -1]), /zeros/, /\[2, -1\]/);
  throwsNaming(() => randn([1.5, 2]), /randn/, /1\.5/);
  throwsNaming(() => ones([6]).reshape(4, -1), /reshape/, /\[6\]/, /\[4, -1\]/);
  throwsNaming(() => ones([6]).reshape(2, 2.5), /reshape/, /2\.5/);
});

test('a NaN seed: the message names manualSeed and the value', () => {
  throwsNaming(() => manualSeed(NaN), /manualSeed/, /NaN/);
  manualSeed(0);
});

test('anomaly mode: log of a negative number throws naming log', () => {
  setAnomalyDetection(true);
  try {
    throwsNaming(() => tensor([1, -1]).log(), /anomaly/, /log/, /NaN/, /\[2\]/);
  } finally {
    setAnomalyDetection(false);
  }
  assert.ok(Number.isNaN((tensor([-1]).log().toArray() as number[])[0]), 'off again after reset: NaN flows through');
});

test('an index out of range: the message names the op, the index and the dimension size', () => {
  throwsNaming(() => ones([2, 3]).indexSelect(1, [0, 7]), /indexSelect/, /index 7/, /size 3/);
  throwsNaming(() => ones([2, 3]).gather(1, tensor([[5]], { dtype: 'int32' })), /gather/, /index 5/, /size 3/);
});

test('backward through a graph whose intermediates a scope disposed throws (it used to lose the gradient silently)', () => {
  const w = ones([2], { requiresGrad: true });
  const loss = scope(() => w.mul(3).exp().sum());
  throwsNaming(() => loss.backward(), /backward/, /disposed/, /scope/, /\[2\]/);
  assert.equal(w.grad, null, 'no partial gradient reached the parameter');
});

test('backward with a gradient that is not a Tensor: the message names backward and the argument order', () => {
  const x = ones([2], { requiresGrad: true });
  throwsNaming(() => x.mul(2).sum().backward({ retainGraph: true } as never), /backward/, /Tensor/, /retainGraph/);
});

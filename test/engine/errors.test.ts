// Bad input throws, and the message names the op, what it expected and what it received (shapes or values).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arange, cat, F, full, manualSeed, ones, randint, randn, scope, setAnomalyDetection, tensor, zeros } from '../../engine/index.js';
import { crossEntropyLoss } from '../../model/index.js';
import { forEachGpujsVariant } from '../helpers/backends.js';

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

// ---- bad inputs that used to wrap or crash (issue 9, item 7) ----

test('crossEntropy: a label of -1 or of the class count throws naming crossEntropy, the label and the class count (PyTorch: "Target -1 is out of bounds")', () => {
  const logits = ones([2, 3]);
  throwsNaming(() => F.crossEntropy(logits, tensor([0, -1], { dtype: 'int32' })), /^crossEntropy/, /class -1/, /position 1/, /3 classes/, /\[2, 3\]/);
  throwsNaming(() => F.crossEntropy(logits, tensor([3, 0], { dtype: 'int32' })), /^crossEntropy/, /class 3/, /position 0/, /3 classes/);
  throwsNaming(() => crossEntropyLoss()(logits, tensor([0, 5], { dtype: 'int32' })), /^crossEntropy/, /class 5/);
  assert.ok(Number.isFinite(F.crossEntropy(logits, tensor([0, 2], { dtype: 'int32' })).item()), 'labels 0 and C − 1 are fine');
});

test('crossEntropy: a float target whose shape is not the logits\' shape throws, and says labels must be int32', () => {
  // tensor([0, 1, 2]) is float32: it must not be read as probabilities
  throwsNaming(() => F.crossEntropy(ones([3, 3]), tensor([0, 1, 2])), /^crossEntropy/, /float32 target/, /\[3, 3\]/, /got \[3\]/, /int32/);
  throwsNaming(() => F.crossEntropy(ones([2, 3]), ones([2, 4])), /^crossEntropy/, /\[2, 3\]/, /got \[2, 4\]/);
  throwsNaming(() => F.crossEntropy(ones([2, 3]), ones([3])), /^crossEntropy/, /\[2, 3\]/, /got \[3\]/);
  assert.ok(Number.isFinite(F.crossEntropy(ones([2, 3]), ones([2, 3]).div(3)).item()), 'probability targets of the logits\' shape are fine');
});

test('gather and indexSelect: a negative index throws instead of wrapping to the last element (as PyTorch)', () => {
  throwsNaming(() => ones([2, 3]).gather(1, tensor([[-1]], { dtype: 'int32' })), /^gather/, /index -1/, /size 3/, /\[2, 3\]/, /0 <= index < 3/);
  throwsNaming(() => ones([2, 3]).indexSelect(1, [0, -1]), /^indexSelect/, /index -1/, /size 3/);
  throwsNaming(() => ones([2, 3]).indexSelect(0, tensor([2], { dtype: 'int32' })), /^indexSelect/, /index 2/, /size 2/);
  throwsNaming(() => ones([2, 3]).gather(0, tensor([[0, 1, 0]], { dtype: 'int32' }).expand(2, 3).add(1)), /^gather/, /index 2/, /size 2/);
});

test('tensor: a value outside int32 throws instead of wrapping (PyTorch: "cannot be converted to type int32 without overflow")', () => {
  throwsNaming(() => tensor([2 ** 31], { dtype: 'int32' }), /^tensor/, /2147483648/, /int32/, /\[-2147483648, 2147483647\]/);
  throwsNaming(() => tensor([[1], [-(2 ** 31) - 1]], { dtype: 'int32' }), /^tensor/, /-2147483649/, /\[1\]\[0\]/);
  throwsNaming(() => tensor(Float64Array.of(1, 3e9), { dtype: 'int32' }), /^tensor/, /3000000000/, /index 1/);
  throwsNaming(() => tensor(2 ** 40, { dtype: 'int32' }), /^tensor/, /int32/);
  throwsNaming(() => tensor([NaN], { dtype: 'int32' }), /^tensor/, /NaN/, /int32/);
  throwsNaming(() => full([2], 2 ** 31, { dtype: 'int32' }), /^full/, /2147483648/, /int32/);
  throwsNaming(() => arange(2 ** 31 - 2, 2 ** 31 + 2), /^arange/, /2147483646 to 2147483649/, /int32/);
  throwsNaming(() => randint(0, 2 ** 32, [2]), /^randint/, /4294967296/, /int32/);
  assert.deepEqual(tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: 'int32' }).toArray(), [2147483647, -2147483648], 'the ends of the range are fine');
});

test('reductions: an axis listed twice throws (PyTorch: "dim 0 appears multiple times")', () => {
  throwsNaming(() => ones([2, 3]).sum([0, 0]), /^sum/, /axis 0 appears more than once/, /\[0, 0\]/);
  throwsNaming(() => ones([2, 3]).mean([1, -1]), /^mean/, /axis -1 appears more than once/, /\[1, -1\]/, /rank-2/);
  throwsNaming(() => ones([2, 3]).var([0, -2]), /^var/, /more than once/);
});

test('zeros and arange past the size limit throw naming the size and the limit (not a bare RangeError)', () => {
  let err: unknown;
  try { zeros([1e6, 1e6]); } catch (e) { err = e; }
  assert.ok(err instanceof Error && !(err instanceof RangeError), `a plain Error, got ${String(err)}`);
  throwsNaming(() => zeros([1e6, 1e6]), /^zeros/, /\[1000000, 1000000\]/, /1,000,000,000,000 elements/, /4,294,967,296/);
  throwsNaming(() => arange(0, 1e12), /^arange/, /1,000,000,000,000 elements/, /4,294,967,296/);
  throwsNaming(() => randn([1e5, 1e5]), /^randn/, /10,000,000,000 elements/);
});

test('a single size is a 1-D shape, as in PyTorch: zeros(5) is zeros([5])', () => {
  assert.deepEqual(zeros(5).shape, [5]);
  assert.deepEqual(ones(3).toArray(), [1, 1, 1]);
  assert.deepEqual(full(2, 7).toArray(), [7, 7]);
  assert.deepEqual(randn(4).shape, [4]);
  assert.deepEqual(randint(0, 3, 6).shape, [6]);
  throwsNaming(() => zeros(-1), /^zeros/, /non-negative integers/, /\[-1\]/);
  throwsNaming(() => zeros('5' as never), /^zeros/, /expected a shape/, /got string/);
  throwsNaming(() => ones(null as never), /^ones/, /expected a shape/, /got null/);
});

test('an unknown dtype throws an Error listing the supported dtypes (not a TypeError)', () => {
  for (const make of [() => zeros([2], { dtype: 'float8' as never }), () => randn([2], { dtype: 'bool' as never }), () => tensor([1], { dtype: 'uint8' as never }), () => tensor(Float32Array.of(1), { dtype: 'x' as never }), () => arange(3, undefined, 1, { dtype: 'int64' as never })]) {
    let err: unknown;
    try { make(); } catch (e) { err = e; }
    assert.ok(err instanceof Error && !(err instanceof TypeError), `a plain Error, got ${String(err)}`);
    assert.match(err.message, /unknown dtype/);
    assert.match(err.message, /float32, float64, int32/);
  }
});

test('dtype float16 says it exists only in safetensors files, which readSafetensors decodes to float32', () => {
  throwsNaming(() => zeros([2], { dtype: 'float16' as never }), /^zeros/, /"float16" is not supported for tensors/, /safetensors/, /readSafetensors/, /float32/);
  throwsNaming(() => tensor([1, 2], { dtype: 'bfloat16' as never }), /^tensor/, /bfloat16/, /safetensors/);
  throwsNaming(() => ones([2]).to('float16' as never), /^to/, /float16/, /safetensors/);
});

test("t.to('cuda') names an unknown device or dtype and lists both", () => {
  throwsNaming(() => ones([2]).to('cuda' as never), /^to/, /unknown device or dtype "cuda"/, /devices: cpu, gpujs/, /dtypes: float32, float64, int32/, /gpujs/);
  throwsNaming(() => ones([2]).to('float' as never), /^to/, /unknown device or dtype "float"/);
});

forEachGpujsVariant('crossEntropy: an out-of-range label on gpujs fails naming crossEntropy (at once, or at the await on an async device)', async () => {
  const logits = ones([2, 3]).to('gpujs');
  const labels = tensor([0, 3], { dtype: 'int32' }).to('gpujs');
  await assert.rejects(async () => { await F.crossEntropy(logits, labels).data(); }, /^Error: crossEntropy: target class 3 at position 1 is out of range for 3 classes/);
  assert.ok(Number.isFinite((await F.crossEntropy(logits, tensor([0, 2], { dtype: 'int32' }).to('gpujs')).data())[0]), 'the device works again after the failure');
});

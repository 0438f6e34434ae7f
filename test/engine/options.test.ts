// Option objects as a PyTorch user writes them: F.gelu's `{approximate}`, rand's `{seed}`; an unknown key or value
// is an error that names it, never silently ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { F, Generator, checkOptions, initGpujs, rand, randint, randn, tensor, truncNormal, zeros } from '../../engine/index.js';
import { AdamW, DataLoader, VisionTransformer, crossEntropyLoss, syntheticDataset } from '../../model/index.js';

// tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); erf form: 0.5·x·(1 + erf(x/√2))
const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

test("F.gelu(x, {approximate: 'tanh'}) is the tanh form, the same as the string form; {} and 'none' are the erf form", () => {
  const xs = [-3, -1.5, -0.5, 0, 0.25, 1, 2.5];
  const x = tensor(xs, { dtype: 'float64' });
  const obj = Array.from(F.gelu(x, { approximate: 'tanh' }).toTypedArray());
  assert.deepEqual(obj, Array.from(F.gelu(x, 'tanh').toTypedArray()));
  obj.forEach((v, i) => assert.ok(Math.abs(v - geluTanh(xs[i])) < 1e-12, `gelu tanh at ${xs[i]}: ${v} vs ${geluTanh(xs[i])}`));
  assert.deepEqual(Array.from(F.gelu(x, {}).toTypedArray()), Array.from(F.gelu(x, 'none').toTypedArray()));
  assert.notDeepEqual(Array.from(F.gelu(x, {}).toTypedArray()), obj);
});

test('F.gelu and Tensor.gelu reject an unknown approximation or option key, naming it', () => {
  const x = tensor([1, 2]);
  assert.throws(() => F.gelu(x, { approximate: 'Tanh' as 'tanh' }), /F\.gelu: approximate must be 'none' or 'tanh', got "Tanh"/);
  assert.throws(() => F.gelu(x, 'erf' as 'none'), /approximate must be 'none' or 'tanh', got "erf"/);
  assert.throws(() => F.gelu(x, { approximation: 'tanh' } as object), /F\.gelu: unknown option "approximation"; expected some of: approximate/);
  assert.throws(() => x.gelu('fast' as 'tanh'), /gelu: approximate must be 'none' or 'tanh', got "fast"/);
});

test('rand/randn/truncNormal/randint({seed}) draw from a generator seeded with that integer: same seed same values, as new Generator(seed)', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
    const a = Array.from(rand([5], { seed }).toTypedArray());
    assert.deepEqual(Array.from(rand([5], { seed }).toTypedArray()), a);
    assert.deepEqual(Array.from(rand([5], { generator: new Generator(seed) }).toTypedArray()), a);
    assert.deepEqual(Array.from(randn([3], { seed }).toTypedArray()), Array.from(randn([3], { generator: new Generator(seed) }).toTypedArray()));
    assert.deepEqual(Array.from(truncNormal([3], { seed }).toTypedArray()), Array.from(truncNormal([3], { generator: new Generator(seed) }).toTypedArray()));
    assert.deepEqual(Array.from(randint(0, 9, [4], { seed }).toTypedArray()), Array.from(randint(0, 9, [4], { generator: new Generator(seed) }).toTypedArray()));
  }), { numRuns: 20 });
  assert.notDeepEqual(Array.from(rand([8], { seed: 1 }).toTypedArray()), Array.from(rand([8], { seed: 2 }).toTypedArray()));
});

test('a seed and a generator together, or a seed that is not an integer, are errors', () => {
  assert.throws(() => rand([2], { seed: 1, generator: new Generator(1) }), /rand: give either seed or generator, not both/);
  assert.throws(() => randn([2], { seed: 0.5 }), /randn: seed must be an integer, got 0\.5/);
});

test('unknown option keys are rejected at the public functions, naming the key and the known ones', async () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['rand', () => rand([2], { sed: 1 } as object), /rand: unknown option "sed"; expected some of: dtype, device, requiresGrad, generator, seed, low, high/],
    ['zeros', () => zeros([2], { dtpye: 'float64' } as object), /zeros: unknown option "dtpye"/],
    ['tensor', () => tensor([1], { requires_grad: true } as object), /tensor: unknown option "requires_grad"/],
    ['F.crossEntropy', () => F.crossEntropy(zeros([1, 2]), tensor([0], { dtype: 'int32' }), { label_smoothing: 0.1 } as object), /F\.crossEntropy: unknown option "label_smoothing"/],
    ['crossEntropyLoss', () => crossEntropyLoss({ smoothing: 0.1 } as object), /crossEntropyLoss: unknown option "smoothing"/],
    ['AdamW', () => new AdamW([zeros([1])], { lr: 1e-3, weight_decay: 0.1 } as object), /AdamW: unknown option "weight_decay"/],
    ['DataLoader', () => new DataLoader(syntheticDataset({ n: 4, classes: 2, size: 4, seed: 0 }), { batchSize: 2, batch_size: 2 } as never), /DataLoader: unknown option "batch_size"/],
    ['VisionTransformer', () => new VisionTransformer({ depth: 1, embedDim: 8, numHeads: 2, imgSize: 8, patchSize: 4 }, { seed: 1 } as object), /VisionTransformer: unknown option "seed"; expected some of: dtype, generator, mlpFactory, blockFactory/],
    ['loadStateDict', () => new VisionTransformer({ depth: 1, embedDim: 8, numHeads: 2, imgSize: 8, patchSize: 4 }).loadStateDict({}, { strcit: false } as object), /loadStateDict: unknown option "strcit"; expected some of: strict/],
    ['syntheticDataset', () => syntheticDataset({ n: 4, classes: 2, size: 4, sede: 1 } as never), /syntheticDataset: unknown option "sede"/],
  ];
  for (const [name, call, message] of cases) assert.throws(call, message, name);
  await assert.rejects(() => initGpujs({ mdoe: 'cpu' } as object), /initGpujs: unknown option "mdoe"; expected some of: mode/);
  assert.throws(() => checkOptions('f', 3, ['a']), /f: expected an options object, got number/);
  assert.doesNotThrow(() => checkOptions('f', undefined, ['a']));
});

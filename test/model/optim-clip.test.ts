// Gradient clipping by global norm, and timm's weight-decay parameter groups.
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tensor, noGrad } from '../../engine/index.js';
import { clipGradNorm, paramGroupsForWeightDecay } from '../../model/optim/index.js';

function withGrad(values: number[], dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const p = Tensor.empty([values.length], dtype).requiresGrad_();
  p.grad = Tensor.fromArray(dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), [values.length]);
  return p;
}

test('clipGradNorm: returns the global L2 norm and scales grads to maxNorm when above it', () => {
  const a = withGrad([3, 0]), b = withGrad([0, 4, 0]);
  const total = clipGradNorm([a, b], 1);
  assert.equal(total, 5);
  const k = 1 / (5 + 1e-6);
  assert.deepEqual([...a.grad!.toTypedArray()], [3 * k, 0]);
  assert.deepEqual([...b.grad!.toTypedArray()], [0, 4 * k, 0]);
});

test('clipGradNorm: leaves gradients below maxNorm unchanged and skips params without grad', () => {
  const a = withGrad([0.3, 0.4]);
  const none = Tensor.empty([2]).requiresGrad_();
  assert.ok(Math.abs(clipGradNorm([a, none], 1) - 0.5) < 1e-15);
  assert.deepEqual([...a.grad!.toTypedArray()], [0.3, 0.4]);
});

test('clipGradNorm: after clipping, the norm is min(total, maxNorm) (property, non-contiguous grads too)', () => {
  fc.assert(fc.property(
    fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 2, maxLength: 12 }),
    fc.double({ min: 0.01, max: 20, noNaN: true }),
    (values, maxNorm) => {
      const p = withGrad(values, 'float32');
      const q = Tensor.empty([2, 2]).requiresGrad_();
      noGrad(() => { q.grad = Tensor.fromArray(Float32Array.from([1, 2, 3, 4]), [2, 2]).mT; });
      const total = clipGradNorm([p, q], maxNorm);
      const after = Math.hypot(...p.grad!.toTypedArray(), ...q.grad!.toTypedArray());
      return Math.abs(after - Math.min(total, maxNorm)) <= 1e-4 * Math.max(1, maxNorm);
    }), { numRuns: 50 });
});

test('clipGradNorm: rejects maxNorm <= 0', () => {
  assert.throws(() => clipGradNorm([], 0), /maxNorm must be > 0, got 0/);
});

test('paramGroupsForWeightDecay: no decay for 1-D params, biases, pos_embed, cls_token and the skip list', () => {
  const p = (...shape: number[]) => Tensor.empty(shape).requiresGrad_();
  const named: [string, Tensor][] = [
    ['cls_token', p(1, 1, 4)], ['pos_embed', p(1, 5, 4)], ['patch_embed.proj.weight', p(4, 1, 2, 2)],
    ['patch_embed.proj.bias', p(4)], ['blocks.0.norm1.weight', p(4)], ['blocks.0.attn.qkv.weight', p(12, 4)],
    ['head.weight', p(3, 4)], ['head.bias', p(3)], ['frozen.weight', Tensor.empty([2, 2])], ['scale', p(2, 2)],
  ];
  const [decay, noDecay] = paramGroupsForWeightDecay(named, 0.05, ['pos_embed', 'cls_token', 'scale']);
  assert.deepEqual(decay.names, ['patch_embed.proj.weight', 'blocks.0.attn.qkv.weight', 'head.weight']);
  assert.deepEqual(noDecay.names, ['cls_token', 'pos_embed', 'patch_embed.proj.bias', 'blocks.0.norm1.weight', 'head.bias', 'scale']);
  assert.equal(decay.weightDecay, 0.05);
  assert.equal(noDecay.weightDecay, 0);
  assert.equal(decay.params[2], named[6][1]);
  const [d2] = paramGroupsForWeightDecay(named, 0.1);
  assert.ok(d2.names!.includes('scale'), 'the default skip list is timm ViT\'s (pos_embed, cls_token, dist_token)');
});

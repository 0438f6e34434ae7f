// The fused qkv attention (engine/ops/attention.ts) equals its composed reference forward and backward on random
// shapes (size-1 batch, sequence and head dims, odd sequence lengths), and its gradient equals central differences.
import fc from 'fast-check';
import { qkvAttention, qkvAttentionComposed } from '../../engine/index.js';
import { forEachBackend, on, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { checkGradients } from '../helpers/gradients.js';
import { randomTensor, seedArb } from '../helpers/random.js';

/** [B, N, heads, hd]: small, with size-1 dims and odd lengths drawn. */
const dimsArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }));

forEachBackend('fused qkv attention equals its composed reference, forward and backward', async (device) => {
  const dtype = workDType(device);
  await fc.assert(fc.asyncProperty(dimsArb, seedArb, fc.double({ min: 0.1, max: 2, noNaN: true }), async ([b, n, h, hd], seed, scale) => {
    const shape = [b, n, 3 * h * hd];
    const x1 = on(device, randomTensor(shape, seed).mul(2), true), x2 = on(device, randomTensor(shape, seed).mul(2), true);
    const g = on(device, randomTensor([b, n, h * hd], seed + 1));
    const y1 = qkvAttention(x1, h, scale), y2 = qkvAttentionComposed(x2, h, scale);
    assertAllClose(await valuesOf(y1), await valuesOf(y2), { ...tolFor(dtype), what: `attention forward ${JSON.stringify(shape)}` });
    y1.backward(g);
    y2.backward(g);
    assertAllClose(await valuesOf(x1.grad!), await valuesOf(x2.grad!), { ...tolFor(dtype), floorRel: 1e-6, what: `attention backward ${JSON.stringify(shape)}` });
  }), { numRuns: 25 });
});

forEachBackend('fused qkv attention equals the composed one at the reference ViT sizes (wasm kernels in play)', async (device) => {
  const dtype = workDType(device);
  const shape = [4, 50, 3 * 64];
  const x1 = on(device, randomTensor(shape, 3), true), x2 = on(device, randomTensor(shape, 3), true);
  const g = on(device, randomTensor([4, 50, 64], 4));
  const y1 = qkvAttention(x1, 4, 0.25), y2 = qkvAttentionComposed(x2, 4, 0.25);
  assertAllClose(await valuesOf(y1), await valuesOf(y2), { ...tolFor(dtype), what: 'attention forward [4, 50, 192]' });
  y1.backward(g);
  y2.backward(g);
  assertAllClose(await valuesOf(x1.grad!), await valuesOf(x2.grad!), { ...tolFor(dtype), floorRel: 1e-6, what: 'attention backward [4, 50, 192]' });
});

forEachBackend('d qkvAttention equals central differences', async (device) => {
  await fc.assert(fc.asyncProperty(dimsArb, seedArb, async ([b, n, h, hd], seed) => {
    await checkGradients(device, (x) => qkvAttention(x, h, 0.7), [randomTensor([b, n, 3 * h * hd], seed)]);
  }), { numRuns: 10 });
});

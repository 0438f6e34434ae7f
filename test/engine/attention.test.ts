// The fused attention (engine/ops/attention.ts) equals its composed reference forward and backward on random
// shapes (size-1 batch, sequence and head dims, odd sequence lengths), and its gradient equals central differences.
import fc from 'fast-check';
import { attention, attentionComposed, type DeviceName, type Tensor } from '../../engine/index.js';
import { forEachBackend, on, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { checkGradients } from '../helpers/gradients.js';
import { randomTensor, seedArb } from '../helpers/random.js';

/** [B, N, heads, hd]: small, with size-1 dims and odd lengths drawn. */
const dimsArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }));

/** Runs the fused and the composed attention on copies of q, k, v [B, N, h·hd] and compares values and gradients. */
async function compare(device: DeviceName, [b, n, h, hd]: number[], seed: number, scale: number): Promise<void> {
  const dtype = workDType(device);
  const shape = [b, n, h * hd];
  const inputs = (): Tensor[] => [0, 1, 2].map((i) => on(device, randomTensor(shape, seed + i).mul(2), true));
  const x1 = inputs(), x2 = inputs();
  const g = on(device, randomTensor(shape, seed + 3));
  const y1 = attention(x1[0], x1[1], x1[2], h, scale), y2 = attentionComposed(x2[0], x2[1], x2[2], h, scale);
  assertAllClose(await valuesOf(y1), await valuesOf(y2), { ...tolFor(dtype), what: `attention forward ${JSON.stringify(shape)}` });
  y1.backward(g);
  y2.backward(g);
  for (let i = 0; i < 3; i++) {
    assertAllClose(await valuesOf(x1[i].grad!), await valuesOf(x2[i].grad!), { ...tolFor(dtype), floorRel: 1e-6, what: `attention backward, d${'qkv'[i]} ${JSON.stringify(shape)}` });
  }
}

forEachBackend('fused attention equals its composed reference, forward and backward', async (device) => {
  await fc.assert(fc.asyncProperty(dimsArb, seedArb, fc.double({ min: 0.1, max: 2, noNaN: true }), async (dims, seed, scale) => {
    await compare(device, dims, seed, scale);
  }), { numRuns: 25 });
});

forEachBackend('fused attention equals the composed one at the reference ViT sizes (wasm kernels in play)', async (device) => {
  await compare(device, [4, 50, 4, 16], 3, 0.25);
});

forEachBackend('d attention / d q, k, v equals central differences', async (device) => {
  await fc.assert(fc.asyncProperty(dimsArb, seedArb, async ([b, n, h, hd], seed) => {
    const shape = [b, n, h * hd];
    await checkGradients(device, (q, k, v) => attention(q, k, v, h, 0.7), [randomTensor(shape, seed), randomTensor(shape, seed + 1), randomTensor(shape, seed + 2)]);
  }), { numRuns: 10 });
});

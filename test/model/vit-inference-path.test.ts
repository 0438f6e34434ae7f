// Inference takes its own path through Attention: without grad, one [3D, D] qkv product whose column thirds
// the attention reads in place; recorded for autograd, three products (their backward needs no zero-padded
// gradient). Both give the same float32 bits, and each path is the one taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, noGrad, profile, randn } from '../../engine/index.js';
import { VisionTransformer } from '../../model/index.js';

const config = {
  imgSize: 28, inChans: 1, patchSize: 4, embedDim: 64, depth: 2, numHeads: 4, mlpRatio: 4, qkvBias: true,
  numClasses: 10, pool: 'cls' as const, dropPathRate: 0, lnEps: 1e-6,
};

test('a ViT in eval mode gives the same logits bit for bit without grad (one qkv product) as with it (three)', () => {
  const model = new VisionTransformer(config, { generator: new Generator(3) });
  model.eval();
  const x = randn([8, 1, 28, 28], { generator: new Generator(4) });
  let recorded: Float32Array | undefined, inference: Float32Array | undefined;
  const withGrad = profile(() => { recorded = model.forward(x).toTypedArray() as Float32Array; });
  const without = profile(() => { inference = noGrad(() => model.forward(x).toTypedArray() as Float32Array); });
  assert.deepEqual(inference, recorded);
  const linears = (r: typeof withGrad) => r.rows.filter((row) => row.name === 'linear').reduce((n, row) => n + row.calls, 0);
  // per block: q, k, v, proj, fc1, fc2 recorded; qkv, proj, fc1, fc2 without grad; and the patch embedding and the head
  assert.equal(linears(withGrad), config.depth * 6 + 2);
  assert.equal(linears(without), config.depth * 4 + 2);
});

// Layer constructors reject option keys they do not know (a misspelt key would otherwise change nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Attention, Block, LayerNorm, Linear, Mlp, PatchEmbed, VisionTransformer } from '../../model/index.js';

test('every layer constructor rejects an unknown option key, naming the layer, the key and the known ones', () => {
  const cases: [string, () => unknown][] = [
    ['Linear', () => new Linear(4, 3, { biass: false } as never)],
    ['LayerNorm', () => new LayerNorm(4, { epsilon: 1e-6 } as never)],
    ['Mlp', () => new Mlp(4, 8, { drop: 0.1 } as never)],
    ['Attention', () => new Attention(4, { numHeads: 2, qkv_bias: false } as never)],
    ['PatchEmbed', () => new PatchEmbed({ imgSize: 8, patchSize: 4, inChans: 1, embedDim: 4, patch: 2 } as never)],
    ['Block', () => new Block(4, { numHeads: 2, drop_path: 0.1 } as never)],
  ];
  for (const [layer, make] of cases) {
    assert.throws(make, (e: Error) => e.message.startsWith(`${layer}: unknown option`) && /expected some of: dtype, generator/.test(e.message), layer);
  }
});

test('the known keys still build every layer, and a ViT builds its children with only theirs', () => {
  new Linear(4, 3, { bias: false, std: 0.1, dtype: 'float64' });
  new Mlp(4, 8, { outFeatures: 2, dropRate: 0.1, bias: true });
  new Attention(4, { numHeads: 2, qkvBias: false, attnDrop: 0.1, projDrop: 0.1 });
  const vit = new VisionTransformer({ imgSize: 8, patchSize: 4, inChans: 1, embedDim: 8, depth: 2, numHeads: 2, numClasses: 3 });
  assert.equal(vit.blocks.length, 2);
});

// The ViT against PyTorch: logits, loss and every parameter gradient of a tiny timm-named DeiT
// (test/reference/gen_model.py), both poolings, float32 and float64. Parameters are loaded by name.
import { test } from 'node:test';
import { fixtureTensor, loadFixture, type Fixture } from '../helpers/fixtures.js';
import { assertVitMatchesFixture } from '../helpers/vit-fixture.js';
import { assertMaxRelClose } from '../helpers/allclose.js';
import assert from 'node:assert/strict';
import { noGrad } from '../../engine/index.js';
import { functionalCall, VisionTransformer, type ViTConfig } from '../../model/index.js';


function configOf(f: Fixture): ViTConfig {
  const a = f.attrs as Record<string, number & string>;
  return {
    imgSize: a.img_size, inChans: a.in_chans, patchSize: a.patch_size, embedDim: a.embed_dim, depth: a.depth, numHeads: a.num_heads,
    mlpRatio: a.mlp_ratio, qkvBias: true, numClasses: a.num_classes, pool: a.pool as 'cls' | 'avg', dropPathRate: 0, lnEps: a.ln_eps,
  };
}

for (const pool of ['cls', 'avg'] as const) {
  for (const [suffix, rtol] of [['f32', 1e-4], ['f64', 1e-9]] as const) {
    const name = `vit_${pool}_${suffix}`;
    test(`${name}: forward logits, cross-entropy loss and every parameter gradient equal PyTorch's (rtol ${rtol})`, () => {
      const f = loadFixture('model', name);
      assertVitMatchesFixture(f, configOf(f), rtol);
    });

    test(`${name}: functionalCall with the fixture's tensors gives PyTorch's logits on a model that holds other weights (what TLEG's auxiliary net runs)`, () => {
      const f = loadFixture('model', name);
      const model = new VisionTransformer(configOf(f), { dtype: f.dtype });
      const sd = new Map(Object.entries(f.inputs).filter(([k]) => k !== 'images' && k !== 'labels').map(([k, v]) => [k, fixtureTensor(v, f.dtype)]));
      const logits = noGrad(() => functionalCall(model, sd, fixtureTensor(f.inputs.images, f.dtype)));
      assertMaxRelClose(logits, f.outputs.logits, rtol, 'logits');
      assert.notDeepEqual(model.stateDict().get('head.weight')!.toTypedArray(), sd.get('head.weight')!.toTypedArray(), 'the model keeps its own weights');
    });
  }
}

// The ViT against PyTorch: logits, loss and every parameter gradient of a tiny timm-named DeiT
// (test/reference/gen_model.py), both poolings, float32 and float64. Parameters are loaded by name.
import { test } from 'node:test';
import { fixtureTensor, loadFixture, type Fixture } from '../helpers/fixtures.js';
import { assertMaxRelClose } from '../helpers/allclose.js';
import assert from 'node:assert/strict';
import { F, noGrad } from '../../engine/index.js';
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
      const model = new VisionTransformer(configOf(f), { dtype: f.dtype });
      const sd = Object.fromEntries(Object.entries(f.inputs).filter(([k]) => k !== 'images' && k !== 'labels').map(([k, v]) => [k, fixtureTensor(v, f.dtype)]));
      model.loadStateDict(sd); // strict: the fixture's names are exactly the model's
      const logits = model.call(fixtureTensor(f.inputs.images, f.dtype));
      const loss = F.crossEntropy(logits, fixtureTensor(f.inputs.labels, f.dtype));
      loss.backward();
      assertMaxRelClose(logits, f.outputs.logits, rtol, 'logits');
      assertMaxRelClose(loss, f.outputs.loss, rtol, 'loss');
      const params = new Map(model.namedParameters());
      assert.deepEqual([...params.keys()].sort(), Object.keys(f.grads).sort(), 'parameter names');
      for (const [k, g] of Object.entries(f.grads)) assertMaxRelClose(params.get(k)!.grad, g, rtol, `grad of ${k}`);
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

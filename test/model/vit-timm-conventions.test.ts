// timm's conventions: average pooling with fc_norm against a plain-torch fixture (test/reference/gen_vit_fc_norm.py),
// missing config keys taking timm's defaults, and the tensor-returning safetensors loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randn } from '../../engine/index.js';
import {
  TIMM_VIT_DEFAULTS, VisionTransformer, countViTParameters, readSafetensors, readStateDict, validateViTConfig, writeStateDict, type ViTConfig,
} from '../../model/index.js';
import { readStateDict as readStateDictFromTleg } from '../../tleg/index.js';
import { fixtureTensor, loadFixture, type Fixture } from '../helpers/fixtures.js';
import { assertVitMatchesFixture } from '../helpers/vit-fixture.js';

function fcNormConfig(f: Fixture): Partial<ViTConfig> {
  const a = f.attrs as Record<string, number & string & boolean>;
  assert.equal(a.fc_norm, true);
  assert.equal(a.class_token, false);
  return {
    imgSize: a.img_size, inChans: a.in_chans, patchSize: a.patch_size, embedDim: a.embed_dim, depth: a.depth, numHeads: a.num_heads,
    mlpRatio: a.mlp_ratio, numClasses: a.num_classes, pool: 'avg', fcNorm: true, lnEps: a.ln_eps,
  };
}

for (const [suffix, rtol] of [['f32', 1e-4], ['f64', 1e-9]] as const) {
  test(`pool 'avg' with fcNorm is timm's global_pool='avg' + fc_norm: logits, loss and every gradient equal PyTorch's (${suffix}, rtol ${rtol})`, () => {
    const f = loadFixture('model', `vit_avg_fc_norm_${suffix}`);
    assertVitMatchesFixture(f, fcNormConfig(f), rtol); // fc_norm.* present, norm.* absent, as in timm's state dict
  });
}

test("fcNorm: false (the default) keeps norm on every token before the mean, which differs from fc_norm's mean-then-norm", () => {
  const f = loadFixture('model', 'vit_avg_fc_norm_f64');
  const cfg = fcNormConfig(f);
  const timm = new VisionTransformer(cfg, { dtype: 'float64' });
  const ours = new VisionTransformer({ ...cfg, fcNorm: false }, { dtype: 'float64' });
  const sd = new Map(Object.entries(f.inputs).filter(([k]) => k !== 'images' && k !== 'labels').map(([k, v]) => [k, fixtureTensor(v, 'float64')]));
  timm.loadStateDict(sd);
  const renamed = new Map([...sd].map(([k, v]) => [k.replace(/^fc_norm\./, 'norm.'), v]));
  ours.loadStateDict(renamed);
  assert.ok(ours.stateDict().has('norm.weight') && !ours.stateDict().has('fc_norm.weight'));
  const images = fixtureTensor(f.inputs.images, 'float64');
  const diff = timm.call(images).sub(ours.call(images)).abs().max().item();
  assert.ok(diff > 1e-3, `the two poolings should differ, max |Δ| = ${diff}`);
  assert.equal(countViTParameters(cfg), countViTParameters({ ...cfg, fcNorm: false }), 'fc_norm has the same parameters as norm');
});

test("fcNorm needs pool 'avg' and must be a boolean", () => {
  assert.throws(() => validateViTConfig({ pool: 'cls', fcNorm: true }), /fcNorm \(timm's fc_norm\) needs pool 'avg', got pool "cls"/);
  assert.throws(() => validateViTConfig({ pool: 'avg', fcNorm: 1 as unknown as boolean }), /fcNorm must be a boolean, got 1/);
});

test("missing ViT config keys take timm's defaults (dropPathRate 0, lnEps 1e-6, ...), never NaN", () => {
  const full = validateViTConfig({ imgSize: 28, inChans: 1, patchSize: 7, embedDim: 16, depth: 2, numHeads: 2, numClasses: 10 });
  assert.deepEqual(
    { mlpRatio: full.mlpRatio, qkvBias: full.qkvBias, pool: full.pool, fcNorm: full.fcNorm, dropPathRate: full.dropPathRate, dropRate: full.dropRate, lnEps: full.lnEps },
    { mlpRatio: 4, qkvBias: true, pool: 'cls', fcNorm: false, dropPathRate: 0, dropRate: 0, lnEps: 1e-6 },
  );
  // timm's VisionTransformer() is ViT-B/16 at 224 px with 1000 classes
  assert.deepEqual(
    [TIMM_VIT_DEFAULTS.imgSize, TIMM_VIT_DEFAULTS.patchSize, TIMM_VIT_DEFAULTS.embedDim, TIMM_VIT_DEFAULTS.depth, TIMM_VIT_DEFAULTS.numHeads, TIMM_VIT_DEFAULTS.numClasses],
    [224, 16, 768, 12, 12, 1000],
  );
  const vit = new VisionTransformer({ imgSize: 28, inChans: 1, patchSize: 7, embedDim: 16, depth: 2, numHeads: 2, numClasses: 10, dropPathRate: undefined });
  assert.equal(vit.config.dropPathRate, 0);
  assert.equal(vit.config.lnEps, 1e-6);
  const out = vit.call(randn([2, 1, 28, 28], { seed: 3 }));
  assert.ok(Array.from(out.toTypedArray()).every(Number.isFinite));
  assert.throws(() => new VisionTransformer({ depth: 2, dropPath: 0.1 } as Partial<ViTConfig>), /unknown field\(s\) dropPath/);
});

test('readStateDict (model/io) returns tensors by name, dtype and shape as written; writeStateDict round-trips; tleg re-exports it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-dict-'));
  try {
    const vit = new VisionTransformer({ imgSize: 8, inChans: 1, patchSize: 4, embedDim: 8, depth: 1, numHeads: 2, numClasses: 3 });
    const path = join(dir, 'vit.safetensors');
    writeStateDict(path, vit.stateDict(), { note: 'test' });
    assert.equal(readSafetensors(path).metadata.note, 'test');
    const read = readStateDict(path);
    assert.deepEqual([...read.keys()].sort(), [...vit.stateDict().keys()].sort());
    for (const [k, t] of vit.stateDict()) {
      const r = read.get(k)!;
      assert.equal(r.dtype, t.dtype, k);
      assert.deepEqual(r.shape, t.shape, k);
      assert.deepEqual(Array.from(r.toTypedArray()), Array.from(t.contiguous().toTypedArray()), k);
    }
    assert.equal(readStateDictFromTleg, readStateDict);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

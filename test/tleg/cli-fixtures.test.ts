// `tleg fit` and `tleg expand` against PyTorch: test/reference/gen_tleg_cli.py built a timm-layout ViT, fitted
// learngenes to it (least squares, one line and two segments), expanded them and ran the descendants in
// PyTorch. Here the CLI does the same from the same files and every number must agree (float32 logits: measured
// 1.1e-7 to 2.1e-7 of the largest, checked at 2e-6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad, tensor } from '../../engine/index.js';
import { readSafetensors, type Safetensors } from '../../model/io/index.js';
import { VisionTransformer } from '../../model/vit.js';
import type { ViTConfig } from '../../model/configs.js';
import { fitLearngene, readStateDict } from '../../tleg/index.js';
import { assertAllClose, assertMaxRelClose } from '../helpers/allclose.js';
import { fixturesDir, type FixtureTensor } from '../helpers/fixtures.js';
import { runCli, tempDir } from './cli-run.js';

const DIR = fixturesDir('tleg');
const file = (name: string): string => join(DIR, name);

interface Expected {
  config: ViTConfig;
  images: FixtureTensor;
  model_logits: FixtureTensor;
  fits: Record<'k1' | 'k2', { segments: number; r2: Record<string, number>; relative_residual: Record<string, number>; overall: { r2: number; relative_residual: number } }>;
  expansions: Array<{ gene: string; depth: number; num_classes: number; logits: FixtureTensor }>;
}
const expected = JSON.parse(readFileSync(file('expected.json'), 'utf8')) as Expected;
const images = tensor(Float32Array.from(expected.images.data), { shape: expected.images.shape });

/** Float32 results of float64 math done two ways: equal up to the last bit or two of each value. */
const F32_ROUNDING = { rtol: 2.5e-7, floorRel: 1e-6 };

function assertSameTensors(actual: Safetensors, reference: Safetensors, what: string): void {
  assert.deepEqual([...actual.tensors.keys()].sort(), [...reference.tensors.keys()].sort(), `${what}: tensor names`);
  for (const [name, ref] of reference.tensors) {
    const got = actual.tensors.get(name)!;
    assert.deepEqual(got.shape, ref.shape, `${what}: shape of ${name}`);
    assert.equal(got.dtype, 'float32', `${what}: dtype of ${name}`);
    assertAllClose(got.data, ref.data, { ...F32_ROUNDING, what: `${what}: ${name}` });
  }
}

/** Our ViT built from a checkpoint's stored config, loaded strictly, run on the fixture's images. */
function logitsOf(path: string): ReturnType<VisionTransformer['forward']> {
  const f = readSafetensors(path);
  const config = JSON.parse(f.metadata['config']) as ViTConfig;
  const model = new VisionTransformer(config).eval();
  model.loadStateDict(readStateDict(path), { strict: true });
  return noGrad(() => model.forward(images));
}

test('the PyTorch-made timm ViT gives PyTorch\'s logits here (the fixtures\' forward agrees before fit and expand are compared)', () => {
  const model = new VisionTransformer({ ...expected.config }).eval();
  model.loadStateDict(readStateDict(file('vit_d6.safetensors')), { strict: true });
  assertMaxRelClose(noGrad(() => model.forward(images)), expected.model_logits, 2e-6, 'logits of vit_d6');
});

for (const [key, segments] of [['k1', 1], ['k2', 2]] as const) {
  test(`fitLearngene (${segments} segment(s)) equals PyTorch's least squares: every base and slope, R² and residual per tensor kind`, () => {
    const { gene, fits, overall } = fitLearngene(readStateDict(file('vit_d6.safetensors')), { config: { numHeads: 2 }, segments });
    const want = expected.fits[key];
    for (const [name, r2] of Object.entries(want.r2)) {
      assertAllClose([fits[name].r2, fits[name].relativeResidual], [r2, want.relative_residual[name]], { rtol: 1e-12, what: `R², residual of ${name}` });
    }
    assertAllClose([overall.r2, overall.relativeResidual], [want.overall.r2, want.overall.relative_residual], { rtol: 1e-12, what: 'overall' });
    const reference = readSafetensors(file(`gene_${key}.safetensors`));
    for (const [name, t] of [...Object.entries(gene.base).map(([n, t]) => [`${n}.base`, t] as const), ...Object.entries(gene.slope).map(([n, t]) => [`${n}.slope`, t] as const)]) {
      const ref = reference.tensors.get(name)!;
      assert.deepEqual(t.shape, ref.shape, `shape of ${name}`);
      assertAllClose(t.toTypedArray(), ref.data, { ...F32_ROUNDING, what: name });
    }
  });

  test(`tleg fit${segments > 1 ? ' --segments 2' : ''} writes PyTorch's learngene and prints PyTorch's R² per tensor kind`, () => {
    const dir = tempDir('tleg-fit-');
    try {
      const args = ['fit', file('vit_d6.safetensors'), '--out', 'gene.safetensors', '--num-heads', '2', ...(segments > 1 ? ['--segments', '2'] : [])];
      const r = runCli(args, dir);
      assert.equal(r.code, 0, r.stderr);
      const written = readSafetensors(join(dir, 'gene.safetensors'));
      const reference = readSafetensors(file(`gene_${key}.safetensors`));
      assertSameTensors(written, reference, `gene ${key}`);
      assert.equal(written.metadata['segments'], String(segments));
      assert.deepEqual(JSON.parse(written.metadata['config']), JSON.parse(reference.metadata['config']));
      const printed = new Map([...r.stdout.matchAll(/^(\S+)\s+(\d\.\d{6})\s+(\d\.\d{6})$/gm)].map((m) => [m[1], [Number(m[2]), Number(m[3])]]));
      const want = expected.fits[key];
      assert.equal(printed.size, Object.keys(want.r2).length + 1, r.stdout);
      for (const [name, r2] of Object.entries(want.r2)) {
        assert.ok(Math.abs(printed.get(name)![0] - r2) <= 5e-7 && Math.abs(printed.get(name)![1] - want.relative_residual[name]) <= 5e-7, `${name}: printed ${printed.get(name)}, PyTorch ${r2}, ${want.relative_residual[name]}`);
      }
      assert.ok(Math.abs(printed.get('all')![0] - want.overall.r2) <= 5e-7, `all: printed ${printed.get('all')}, PyTorch ${want.overall.r2}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('tleg expand of the PyTorch learngene to depth 9 writes PyTorch\'s expansion, tensor for tensor, with config and timm kwargs', () => {
  const dir = tempDir('tleg-expand-');
  try {
    const r = runCli(['expand', file('gene_k1.safetensors'), '--depth', '9', '--out', 'vit9.safetensors'], dir);
    assert.equal(r.code, 0, r.stderr);
    const written = readSafetensors(join(dir, 'vit9.safetensors'));
    assertSameTensors(written, readSafetensors(file('grown_k1_d9.safetensors')), 'depth 9');
    assert.deepEqual(JSON.parse(written.metadata['config']), { ...expected.config, depth: 9 });
    assert.deepEqual(JSON.parse(written.metadata['timm_kwargs']), {
      img_size: 8, patch_size: 4, in_chans: 3, num_classes: 5, embed_dim: 8, depth: 9, num_heads: 2, mlp_ratio: 4, qkv_bias: true,
      class_token: true, global_pool: 'token', drop_path_rate: 0,
    });
    // timm's named_parameters() order, which is also a plain torch state_dict()'s
    const names = [...written.tensors.keys()];
    assert.deepEqual(names.slice(0, 5), ['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias', 'blocks.0.norm1.weight']);
    assert.deepEqual(names.slice(-4), ['norm.weight', 'norm.bias', 'head.weight', 'head.bias']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const e of expected.expansions) {
  test(`a checkpoint written by tleg expand (${e.gene}, depth ${e.depth}, ${e.num_classes} classes) gives PyTorch's logits for the same expansion`, () => {
    const dir = tempDir('tleg-expand-logits-');
    try {
      const r = runCli(['expand', file(e.gene), '--depth', String(e.depth), '--num-classes', String(e.num_classes), '--out', 'vit.safetensors'], dir);
      assert.equal(r.code, 0, r.stderr);
      assertMaxRelClose(logitsOf(join(dir, 'vit.safetensors')), e.logits, 2e-6, `logits at depth ${e.depth}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

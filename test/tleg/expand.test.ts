// Expansion laws (block 0 is θ_B, steps of θ_A / L), descendants, and the line fit that inverts expansion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type RawTensor } from '../../model/io/index.js';
import { Generator, noGrad, randn } from '../../engine/index.js';
import { VisionTransformer } from '../../model/vit.js';
import { expandLearngene, fitLearngene, initDescendant, readStateDict, blockShapes, BLOCK_TENSORS } from '../../tleg/index.js';
import { assertAllClose } from '../helpers/allclose.js';
import { randomGene, tinyConfig } from './helpers.js';

const f64 = (t: { toTypedArray(): ArrayLike<number> }): Float64Array => Float64Array.from(t.toTypedArray());

test('expansion at any depth ≥ 1: block 0 is θ_B exactly and consecutive blocks differ by θ_A / L', () => {
  const gene = randomGene(tinyConfig(), { dtype: 'float64', seed: 1 });
  fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), (depth) => {
    const state = expandLearngene(gene, depth);
    for (const name of BLOCK_TENSORS) {
      assert.deepEqual(state[`blocks.0.${name}`].toTypedArray(), gene.base[name].toTypedArray(), `block 0 ${name}`);
      const a = f64(gene.slope[name]);
      for (let i = 1; i < depth; i++) {
        const step = f64(state[`blocks.${i}.${name}`].sub(state[`blocks.${i - 1}.${name}`]));
        assertAllClose(step, a.map((v) => v / depth), { rtol: 1e-9, floorRel: 1e-6, what: `blocks.${i} − blocks.${i - 1} ${name}` });
      }
    }
    assert.equal(Object.keys(state).filter((k) => k.startsWith('blocks.')).length, depth * BLOCK_TENSORS.length);
  }), { numRuns: 12 });
});

test('expanded tensors are copies: changing a descendant leaves the gene alone', () => {
  const gene = randomGene(tinyConfig(), { seed: 2 });
  const before = f64(gene.base['mlp.fc1.weight']);
  const model = initDescendant(gene, 2);
  noGrad(() => model.blockParams(0)['mlp.fc1.weight'].add_(1));
  assert.deepEqual(f64(gene.base['mlp.fc1.weight']), before);
});

test('a descendant with other classes keeps the gene\'s shared tensors and a fresh head', () => {
  const gene = randomGene(tinyConfig(), { seed: 3 });
  const model = initDescendant(gene, 5, { numClasses: 7 }, { generator: new Generator(4) });
  const sd = model.stateDict();
  assert.deepEqual(sd.get('head.weight')!.shape, [7, 16]);
  assert.deepEqual(sd.get('pos_embed')!.toTypedArray(), gene.shared['pos_embed'].toTypedArray());
  assert.equal(model.blocks.length, 5);
  assert.ok(!('head.weight' in expandLearngene(gene, 5, { numClasses: 7 })));
});

test('expansion refuses bad depths, coefficient counts and architectures, naming them', () => {
  const gene = randomGene(tinyConfig(), { seed: 4 });
  assert.throws(() => expandLearngene(gene, 0), /depth must be an integer ≥ 1, got 0/);
  assert.throws(() => expandLearngene(gene, 3, { coefficients: [0, 0.5] }), /3 blocks need 3 coefficients, got 2/);
  assert.throws(() => initDescendant(gene, 3, { embedDim: 32 }), /config\.embedDim must match the learngene's \(16\), got 32/);
});

test('coefficients beyond [0, 1) extrapolate the line (experimental)', () => {
  const gene = randomGene(tinyConfig(), { dtype: 'float64', seed: 5 });
  const state = expandLearngene(gene, 2, { coefficients: [-0.5, 1.5] });
  const expected = f64(gene.base['attn.proj.weight']).map((b, i) => b + 1.5 * f64(gene.slope['attn.proj.weight'])[i]);
  assertAllClose(f64(state['blocks.1.attn.proj.weight']), expected, { rtol: 1e-12, floor: 1e-12 });
});

test('piecewise genes: one segment is TLEG; K segments at depth K give block i = θ_B[i] (stage-wise sharing when deeper)', () => {
  const config = tinyConfig();
  const gene = randomGene(config, { dtype: 'float64', segments: 3, seed: 6 });
  const at3 = expandLearngene(gene, 3);
  const at6 = expandLearngene(gene, 6);
  for (const name of BLOCK_TENSORS) {
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(at3[`blocks.${i}.${name}`].toTypedArray(), gene.base[name].select(0, i).contiguous().toTypedArray());
      assert.deepEqual(at6[`blocks.${2 * i}.${name}`].toTypedArray(), gene.base[name].select(0, i).contiguous().toTypedArray());
    }
  }
  const one = randomGene(config, { dtype: 'float64', segments: 1, seed: 7 });
  const state = expandLearngene(one, 4);
  const b = f64(one.base['mlp.fc2.weight']), a = f64(one.slope['mlp.fc2.weight']);
  assertAllClose(f64(state['blocks.3.mlp.fc2.weight']), b.map((v, i) => v + 0.75 * a[i]), { rtol: 1e-12, floor: 1e-12 });
});

for (const pool of ['avg', 'cls'] as const) {
  test(`fitLearngene(expandLearngene(g, L)) returns g with R² = 1 (${pool} pooling)`, () => {
    const gene = randomGene(tinyConfig({ pool, numHeads: 2 }), { dtype: 'float64', seed: 8 });
    for (const depth of [2, 3, 7]) {
      const { gene: fitted, fits, overall } = fitLearngene(expandLearngene(gene, depth), { config: { numHeads: 2, depth: gene.config.depth } });
      assert.deepEqual(fitted.config, gene.config);
      for (const name of Object.keys(blockShapes(gene.config))) {
        assertAllClose(f64(fitted.base[name]), f64(gene.base[name]), { rtol: 1e-9, floorRel: 1e-9, what: `θ_B ${name} at depth ${depth}` });
        assertAllClose(f64(fitted.slope[name]), f64(gene.slope[name]), { rtol: 1e-9, floorRel: 1e-9, what: `θ_A ${name} at depth ${depth}` });
        assert.ok(Math.abs(fits[name].r2 - 1) < 1e-12 && fits[name].relativeResidual < 1e-12, `${name}: ${JSON.stringify(fits[name])}`);
      }
      assert.ok(Math.abs(overall.r2 - 1) < 1e-12);
      for (const [k, t] of Object.entries(gene.shared)) assert.deepEqual(fitted.shared[k].toTypedArray(), t.toTypedArray(), k);
    }
  });
}

test('fitLearngene on a randomly initialised ViT finds no line (R² well below 1), and refuses one block', () => {
  const model = new VisionTransformer(tinyConfig({ depth: 6 }), { generator: new Generator(9) });
  const perturbed = new Map([...model.stateDict()].map(([k, t]) => [k, k.includes('norm') ? t.add(randn(t.shape, { std: 0.1 })) : t]));
  const { fits } = fitLearngene(perturbed);
  assert.ok(fits['attn.qkv.weight'].r2 < 0.5, `qkv R² ${fits['attn.qkv.weight'].r2}`);
  assert.ok(fits['attn.qkv.weight'].relativeResidual > 0.5);
  const one = new VisionTransformer(tinyConfig({ depth: 1 }));
  assert.throws(() => fitLearngene(one.stateDict()), /at least 2 blocks, the state dict has 1/);
});

test('fitLearngene reads a timm-named safetensors checkpoint: an expanded model written to disk fits back to its gene', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tleg-fit-'));
  try {
    const gene = randomGene(tinyConfig({ depth: 4 }), { seed: 10 });
    const model = initDescendant(gene, 5);
    const path = join(dir, 'model.safetensors');
    const raw: Record<string, RawTensor> = {};
    for (const [k, t] of model.stateDict()) raw[k] = { dtype: 'float32', shape: t.shape, data: Float32Array.from(t.toTypedArray()) };
    writeSafetensors(path, raw);
    const { gene: fitted, overall } = fitLearngene(readStateDict(path), { config: { numHeads: 2 } });
    assert.ok(overall.r2 > 1 - 1e-6, `R² ${overall.r2}`);
    assert.equal(fitted.config.depth, 5);
    assertAllClose(f64(fitted.slope['mlp.fc1.weight']), f64(gene.slope['mlp.fc1.weight']), { rtol: 1e-4, floorRel: 1e-3 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

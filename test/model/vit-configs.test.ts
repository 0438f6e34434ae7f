// ViT configs and construction: timm's parameter counts, names and shapes, validation, init, seeding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randn } from '../../engine/index.js';
import {
  countViTParameters, dropPathRates, validateViTConfig, VisionTransformer, vitConfig, VIT_CONFIGS, type ViTConfig,
} from '../../model/index.js';

test('deit_tiny has 5,717,416 parameters (as timm reports), by construction and by formula', () => {
  const m = new VisionTransformer(vitConfig('deit_tiny'), { generator: new Generator(0) });
  assert.equal(m.numParameters(), 5_717_416);
  assert.equal(countViTParameters(vitConfig('deit_tiny')), 5_717_416);
  const names = m.namedParameters().map(([n]) => n);
  assert.deepEqual(names.slice(0, 6), ['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias', 'blocks.0.norm1.weight', 'blocks.0.norm1.bias']);
  assert.deepEqual(names.slice(-4), ['norm.weight', 'norm.bias', 'head.weight', 'head.bias']);
  const shapes = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.shape]));
  assert.deepEqual(shapes['pos_embed'], [1, 197, 192]);
  assert.deepEqual(shapes['cls_token'], [1, 1, 192]);
  assert.deepEqual(shapes['patch_embed.proj.weight'], [192, 3, 16, 16]);
  assert.deepEqual(shapes['blocks.11.attn.qkv.weight'], [576, 192]);
  assert.deepEqual(shapes['blocks.11.mlp.fc1.weight'], [768, 192]);
  assert.deepEqual(shapes['blocks.11.mlp.fc2.weight'], [192, 768]);
  assert.deepEqual(shapes['head.weight'], [1000, 192]);
  // timm's init: LayerNorm 1/0, zero biases, trunc-normal(.02) weights
  const w = Array.from(m.blocks.at(0).namedParameters().find(([n]) => n === 'attn.qkv.weight')![1].toTypedArray());
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(mean) < 1e-3 && Math.abs(std - 0.02) < 1e-3, `qkv init mean ${mean}, std ${std}`);
  assert.ok(m.norm.weight.toTypedArray().every((v) => v === 1) && m.norm.bias.toTypedArray().every((v) => v === 0));
  assert.ok(m.head!.bias!.toTypedArray().every((v) => v === 0));
});

test('deit_small has 22,050,664 and deit_base 86,567,656 parameters (formula; timm reports the same)', () => {
  assert.equal(countViTParameters(vitConfig('deit_small')), 22_050_664);
  assert.equal(countViTParameters(vitConfig('deit_base')), 86_567_656);
});

test("avg pooling has no cls_token and one position per patch; the formula matches construction for every small preset", () => {
  const cfg = vitConfig('mnist_tiny', { pool: 'avg', depth: 2 });
  const m = new VisionTransformer(cfg, { generator: new Generator(0) });
  assert.equal(m.clsToken, null);
  assert.deepEqual(m.posEmbed.shape, [1, 49, 64]);
  assert.ok(!m.namedParameters().some(([n]) => n === 'cls_token'));
  assert.equal(m.numParameters(), countViTParameters(cfg));
  for (const name of ['mnist_tiny', 'mnist_small'] as const) {
    const c = vitConfig(name, { depth: 1 });
    assert.equal(new VisionTransformer(c).numParameters(), countViTParameters(c), name);
  }
  const headless = vitConfig('mnist_tiny', { numClasses: 0, depth: 1, qkvBias: false });
  const h = new VisionTransformer(headless);
  assert.equal(h.numParameters(), countViTParameters(headless));
  assert.equal(h.head, null);
  assert.deepEqual(h.forward(randn([2, 1, 28, 28])).shape, [2, 64], 'without a head forward returns pooled features');
});

test('the same generator seed gives the same model; another seed a different one', () => {
  const cfg = vitConfig('mnist_tiny', { depth: 1 });
  const flat = (seed: number) => new VisionTransformer(cfg, { generator: new Generator(seed) }).parameters().flatMap((p) => Array.from(p.toTypedArray()));
  assert.deepEqual(flat(5), flat(5));
  assert.notDeepEqual(flat(5), flat(6));
});

test('drop-path rates rise linearly over depth from 0 to dropPathRate, as timm', () => {
  assert.deepEqual(dropPathRates({ depth: 5, dropPathRate: 0.2 }).map((r) => +r.toFixed(12)), [0, 0.05, 0.1, 0.15, 0.2]);
  assert.deepEqual(dropPathRates({ depth: 1, dropPathRate: 0.2 }), [0]);
  const m = new VisionTransformer(vitConfig('mnist_tiny', { depth: 3, dropPathRate: 0.1 }));
  assert.deepEqual([...m.blocks].map((b) => (b as unknown as { dropPathRate: number }).dropPathRate), [0, 0.05, 0.1]);
});

test('config validation names every bad field with what it expected and what came', () => {
  const good = VIT_CONFIGS.mnist_tiny as ViTConfig;
  assert.throws(() => validateViTConfig({ ...good, embedDim: 66 }), /embedDim 66 must be divisible by numHeads 4/);
  assert.throws(() => validateViTConfig({ ...good, patchSize: 5 }), /imgSize 28 must be divisible by patchSize 5/);
  let message = '';
  try { validateViTConfig({ ...good, depth: 0, pool: 'max' as 'avg', dropPathRate: 1, lnEps: -1, qkvBias: 'yes' as unknown as boolean }); } catch (e) { message = (e as Error).message; }
  for (const part of ['depth must be a positive integer, got 0', "pool must be 'cls' or 'avg', got \"max\"", 'dropPathRate must be in [0, 1), got 1', 'lnEps must be a non-negative number, got -1', 'qkvBias must be a boolean, got yes']) {
    assert.ok(message.includes(part), `expected "${part}" in:\n${message}`);
  }
  assert.throws(() => vitConfig('mnist_tiny', { depht: 3 } as unknown as Partial<ViTConfig>), /unknown field\(s\) depht/);
  assert.throws(() => vitConfig('deit_huge' as 'deit_tiny'), /unknown config "deit_huge"; known: deit_tiny, deit_small/);
  assert.throws(() => new VisionTransformer({ ...good, numHeads: 3 }), /VisionTransformer: invalid config:\n {2}embedDim 64 must be divisible by numHeads 3/);
  assert.equal(vitConfig('mnist_small', { numClasses: 47 }).numClasses, 47);
});

test('forward rejects images of the wrong size, naming the expected and received shapes', () => {
  const m = new VisionTransformer(vitConfig('mnist_tiny', { depth: 1 }));
  assert.throws(() => m.forward(new VisionTransformer(vitConfig('mnist_tiny', { depth: 1 })).posEmbed.reshape(1, 1, 50, 64)), /expected images \[B, 1, 28, 28\], got \[1,1,50,64\]/);
});

// The learngene file: lossless round trip, and clear errors for a damaged or mismatched file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '../../engine/index.js';
import { readSafetensors, writeSafetensors, type RawTensor } from '../../model/io/index.js';
import { loadLearngene, saveLearngene, initGenePairs, BLOCK_TENSORS, type Learngene } from '../../tleg/index.js';
import { tinyConfig, randomGene } from './helpers.js';

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tleg-gene-'));
  try { body(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

function assertGenesEqual(a: Learngene, b: Learngene): void {
  assert.deepEqual(a.config, b.config);
  assert.equal(a.segments, b.segments);
  for (const part of ['base', 'slope', 'shared'] as const) {
    assert.deepEqual(Object.keys(b[part]).sort(), Object.keys(a[part]).sort(), part);
    for (const [name, t] of Object.entries(a[part])) {
      const u = b[part][name];
      assert.equal(u.dtype, t.dtype, `${part}.${name} dtype`);
      assert.deepEqual(u.shape, t.shape, `${part}.${name} shape`);
      assert.deepEqual(u.toTypedArray(), t.toTypedArray(), `${part}.${name} values`);
    }
  }
}

for (const [dtype, pool, segments] of [['float32', 'avg', 1], ['float64', 'cls', 1], ['float32', 'avg', 3]] as const) {
  test(`save then load returns the same gene bit for bit (${dtype}, ${pool} pooling, ${segments} segment(s))`, () => {
    const gene = randomGene(tinyConfig({ pool }), { dtype, segments, seed: 7 });
    withDir((dir) => {
      const path = join(dir, 'gene.safetensors');
      saveLearngene(path, gene);
      const file = readSafetensors(path);
      assert.ok(file.tensors.has('attn.qkv.weight.base') && file.tensors.has('mlp.fc2.bias.slope') && file.tensors.has('pos_embed'));
      assert.equal(file.tensors.has('cls_token'), pool === 'cls');
      assertGenesEqual(gene, loadLearngene(path));
    });
  });
}

test('TLEG init: Linear pairs trunc-normal std 0.02, LayerNorm base weight 1 and slope 0, biases 0', () => {
  const { base, slope } = initGenePairs(tinyConfig({ embedDim: 32 }), { generator: new Generator(1) });
  for (const name of BLOCK_TENSORS) {
    const b = Float64Array.from(base[name].toTypedArray()), a = Float64Array.from(slope[name].toTypedArray());
    if (name.endsWith('.bias')) {
      assert.ok(b.every((v) => v === 0) && a.every((v) => v === 0), name);
    } else if (name.startsWith('norm')) {
      assert.ok(b.every((v) => v === 1) && a.every((v) => v === 0), name);
    } else {
      for (const v of [b, a]) {
        const std = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
        assert.ok(std > 0.015 && std < 0.025, `${name}: std ${std}`);
      }
    }
  }
});

function damaged(edit: (tensors: Map<string, RawTensor>, meta: Record<string, string>) => void, message: RegExp): void {
  const gene = randomGene(tinyConfig(), { seed: 3 });
  withDir((dir) => {
    const path = join(dir, 'gene.safetensors');
    saveLearngene(path, gene);
    const file = readSafetensors(path);
    edit(file.tensors, file.metadata);
    writeSafetensors(path, file.tensors, file.metadata);
    assert.throws(() => loadLearngene(path), message);
  });
}

test('a gene file missing a tensor names it', () => {
  damaged((t) => t.delete('mlp.fc1.weight.slope'), /missing tensor "mlp\.fc1\.weight\.slope"/);
});

test('a gene tensor of the wrong shape names the tensor and both shapes', () => {
  damaged((t) => t.set('attn.proj.weight.base', { dtype: 'float32', shape: [3, 3], data: new Float32Array(9) }),
    /"attn\.proj\.weight" has shape \[3, 3\], expected \[16, 16\]/);
});

test('a gene whose config does not match its tensors says so', () => {
  damaged((_, m) => { m['config'] = JSON.stringify({ ...JSON.parse(m['config']), embedDim: 24 }); }, /expected \[24\]|expected \[72, 24\]|expected \[1, \d+, 24\]/);
  damaged((_, m) => { m['config'] = JSON.stringify({ ...JSON.parse(m['config']), pool: 'cls' }); }, /missing tensor "cls_token"/);
  damaged((_, m) => { m['config'] = '{not json'; }, /config is not valid JSON/);
});

test('a file that is not a gene is refused', () => {
  damaged((_, m) => { delete m['format']; }, /not a learngene file/);
  damaged((t) => t.set('extra', { dtype: 'float32', shape: [1], data: new Float32Array(1) }), /unexpected tensors \["extra"\]/);
});

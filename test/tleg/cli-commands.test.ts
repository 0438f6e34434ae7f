// `tleg expand | fit | inspect` end to end, as child processes in a temporary directory: help, what inspect
// says about each kind of file, and every refusal (exit code 2, a message naming the problem, nothing written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator } from '../../engine/index.js';
import { countViTParameters, type ViTConfig } from '../../model/configs.js';
import { readSafetensors, writeSafetensors, type RawTensor } from '../../model/io/index.js';
import { AdamW } from '../../model/optim/index.js';
import { saveCheckpoint } from '../../model/train/checkpoint.js';
import { VisionTransformer } from '../../model/vit.js';
import { fixturesDir } from '../helpers/fixtures.js';
import { listing, runCli, tempDir } from './cli-run.js';

const FIX = fixturesDir('tleg');
const GENE = join(FIX, 'gene_k1.safetensors');
const VIT = join(FIX, 'vit_d6.safetensors');
const CONFIG = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')).config as ViTConfig;

function withDir(body: (dir: string) => void): void {
  const dir = tempDir('tleg-cli-');
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rawOf(model: VisionTransformer, extra: Record<string, RawTensor> = {}): Record<string, RawTensor> {
  const out: Record<string, RawTensor> = {};
  for (const [k, t] of model.stateDict()) out[k] = { dtype: t.dtype, shape: t.shape, data: t.toTypedArray().slice() as RawTensor['data'] };
  return { ...out, ...extra };
}

/** Input files the refusals need, made in `dir`. */
function makeInputs(dir: string): void {
  writeFileSync(join(dir, 'notes.safetensors'), 'these are notes, not tensors\n');
  writeSafetensors(join(dir, 'other.safetensors'), { a: { dtype: 'float32', shape: [2], data: new Float32Array(2) } });
  // says learngene, lacks its tensors
  writeSafetensors(join(dir, 'broken-gene.safetensors'), { 'norm1.weight.base': { dtype: 'float32', shape: [8], data: new Float32Array(8) } },
    { format: 'tleg-learngene', version: '1', config: JSON.stringify(CONFIG), segments: '1' });
  const one = new VisionTransformer({ ...CONFIG, depth: 1 }, { generator: new Generator(1) });
  writeSafetensors(join(dir, 'vit-d1.safetensors'), rawOf(one));
  const two = new VisionTransformer({ ...CONFIG, depth: 2 }, { generator: new Generator(2) });
  writeSafetensors(join(dir, 'vit-fcnorm.safetensors'), rawOf(two, { 'fc_norm.weight': { dtype: 'float32', shape: [8], data: new Float32Array(8).fill(1) } }));
  mkdirSync(join(dir, 'sub'));
  copyFileSync(GENE, join(dir, 'gene.safetensors'));
}

const REFUSALS: Array<[string, string[], RegExp]> = [
  ['expand: missing input file', ['expand', 'nope.safetensors', '--depth', '3', '--out', 'o.safetensors'], /expand: no such file "nope.safetensors"/],
  ['expand: no --depth', ['expand', GENE, '--out', 'o.safetensors'], /--depth is required/],
  ['expand: no --out', ['expand', GENE, '--depth', '3'], /--out is required/],
  ['expand: --depth 0', ['expand', GENE, '--depth', '0', '--out', 'o.safetensors'], /--depth: expected an integer from 1 to 1000, got "0"/],
  ['expand: --depth=-2', ['expand', GENE, '--depth=-2', '--out', 'o.safetensors'], /--depth: expected an integer from 1 to 1000, got "-2"/],
  ['expand: --depth -2', ['expand', GENE, '--depth', '-2', '--out', 'o.safetensors'], /--depth/],
  ['expand: --depth 2.5', ['expand', GENE, '--depth', '2.5', '--out', 'o.safetensors'], /--depth: expected an integer .* got "2.5"/],
  ['expand: --depth 1e2', ['expand', GENE, '--depth', '1e2', '--out', 'o.safetensors'], /--depth: expected an integer .* got "1e2"/],
  ['expand: --depth six', ['expand', GENE, '--depth', 'six', '--out', 'o.safetensors'], /--depth: expected an integer .* got "six"/],
  ['expand: absurd --depth', ['expand', GENE, '--depth', '99999999999999999999', '--out', 'o.safetensors'], /--depth: expected an integer from 1 to 1000/],
  ['expand: --out a directory', ['expand', GENE, '--depth', '3', '--out', 'sub'], /--out must name a file, "sub" is a directory/],
  ['expand: --out ending in /', ['expand', GENE, '--depth', '3', '--out', 'new/'], /--out must name a file, "new\/" is a directory/],
  ['expand: --out in a missing directory', ['expand', GENE, '--depth', '3', '--out', 'missing/o.safetensors'], /directory ".*missing" does not exist/],
  ['expand: --out is the input', ['expand', 'gene.safetensors', '--depth', '3', '--out', './gene.safetensors'], /is the input file/],
  ['expand: a ViT checkpoint as the gene', ['expand', VIT, '--depth', '3', '--out', 'o.safetensors'], /expected a learngene, ".*vit_d6.safetensors" is a ViT checkpoint \(fit a learngene to it with tleg fit\)/],
  ['expand: not safetensors', ['expand', 'notes.safetensors', '--depth', '3', '--out', 'o.safetensors'], /"notes.safetensors" is not a readable safetensors file: .*header length/],
  ['expand: another safetensors file', ['expand', 'other.safetensors', '--depth', '3', '--out', 'o.safetensors'], /expected a learngene, "other.safetensors" is an unknown safetensors file/],
  ['expand: a learngene missing tensors', ['expand', 'broken-gene.safetensors', '--depth', '3', '--out', 'o.safetensors'], /missing tensor "norm1.weight.slope"/],
  ['expand: a directory as the gene', ['expand', 'sub', '--depth', '3', '--out', 'o.safetensors'], /expected a file, "sub" is a directory/],
  ['expand: two inputs', ['expand', GENE, GENE, '--depth', '3', '--out', 'o.safetensors'], /expected one learngene file, got 2/],
  ['expand: unknown flag', ['expand', GENE, '--depht', '3', '--out', 'o.safetensors'], /Unknown option '--depht'.*see tleg expand --help/],
  ['expand: --num-classes -1', ['expand', GENE, '--depth', '3', '--num-classes=-1', '--out', 'o.safetensors'], /--num-classes: expected an integer from 0/],
  ['expand: --drop-path 1.5', ['expand', GENE, '--depth', '3', '--drop-path', '1.5', '--out', 'o.safetensors'], /--drop-path: expected a number in \[0, 1\), got "1.5"/],
  ['expand: --reset-head without a head', ['expand', GENE, '--depth', '3', '--num-classes', '0', '--reset-head', '--out', 'o.safetensors'], /nothing to reset/],
  ['fit: a learngene as the model', ['fit', GENE, '--out', 'o.safetensors'], /expected a ViT checkpoint, ".*gene_k1.safetensors" is a learngene/],
  ['fit: one block', ['fit', 'vit-d1.safetensors', '--out', 'o.safetensors'], /a line needs at least 2 blocks, "vit-d1.safetensors" has 1/],
  // a class-token model with timm's fc_norm: the ViT builds fc_norm only with average pooling
  ['fit: timm fc_norm', ['fit', 'vit-fcnorm.safetensors', '--out', 'o.safetensors'], /invalid config:\n.*fcNorm \(timm's fc_norm\) needs pool 'avg', got pool "cls"/],
  ['fit: --segments 0', ['fit', VIT, '--segments', '0', '--out', 'o.safetensors'], /--segments: expected an integer from 1/],
  ['fit: more segments than blocks', ['fit', VIT, '--segments', '7', '--out', 'o.safetensors'], /--segments: expected at most the model's depth 6.*got 7/],
  ['fit: heads that do not divide the width', ['fit', VIT, '--num-heads', '3', '--out', 'o.safetensors'], /embedDim 8 must be divisible by numHeads 3/],
  ['fit: no --out', ['fit', VIT], /fit: --out is required/],
  ['fit: missing model', ['fit', 'nope.safetensors', '--out', 'o.safetensors'], /fit: no such file/],
  ['inspect: missing file', ['inspect', 'nope.safetensors'], /inspect: no such file/],
  ['inspect: no file', ['inspect'], /expected one safetensors file, got none/],
  ['inspect: not safetensors', ['inspect', 'notes.safetensors'], /not a readable safetensors file/],
  ['inspect: an unknown layout', ['inspect', 'other.safetensors'], /neither a learngene, a ViT checkpoint nor a training checkpoint \(tensors "a"/],
  ['inspect: bad --depths', ['inspect', GENE, '--depths', '0,3'], /--depths: expected an integer from 1 to 1000, got "0"/],
  ['inspect: an empty --depths range', ['inspect', GENE, '--depths', '5-2'], /--depths: expected distinct depths/],
  ['unknown command', ['grow', GENE], /unknown command "grow"; expected expand, fit, inspect/],
];

test('every refusal: exit code 2, a message saying what was expected and what came, and nothing written', () => {
  withDir((dir) => {
    makeInputs(dir);
    const before = listing(dir);
    for (const [what, args, message] of REFUSALS) {
      const r = runCli(args, dir);
      assert.equal(r.code, 2, `${what}: exit code ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, /^tleg: /, `${what}: one prefixed message`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
      assert.equal(r.stdout, '', `${what}: stdout`);
      assert.deepEqual(listing(dir), before, `${what}: files written`);
    }
  });
});

test('--help of each command exits 0 with its usage; the experiment\'s --help names the commands', () => {
  withDir((dir) => {
    for (const command of ['expand', 'fit', 'inspect']) {
      const r = runCli([command, '--help'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^tleg ${command}: [^]*Usage: tleg ${command} `));
    }
    const r = runCli(['--help'], dir);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /tleg expand \| fit \| inspect/);
    assert.match(r.stdout, /--preset NAME/);
    // flags without a command still go to the experiment's parser
    const bad = runCli(['--preset', 'huge'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--preset: expected one of tiny, quick, full/);
    assert.deepEqual(listing(dir), []);
  });
});

test('expand writes one file atomically (no temporary left), replaces an existing one, and sets head options', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'vit.safetensors'), 'old');
    const r = runCli(['expand', GENE, '--depth', '4', '--num-classes', '7', '--seed', '3', '--drop-path', '0.1', '--out', 'vit.safetensors'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listing(dir), ['vit.safetensors']);
    assert.match(r.stdout, /wrote vit.safetensors: ViT depth 4, .* 7 classes/);
    assert.match(r.stdout, /head: fresh \(timm init, seed 3\)/);
    const f = readSafetensors(join(dir, 'vit.safetensors'));
    assert.deepEqual(JSON.parse(f.metadata['config']), { ...CONFIG, depth: 4, numClasses: 7, dropPathRate: 0.1 });
    assert.equal(JSON.parse(f.metadata['timm_kwargs']).drop_path_rate, 0.1);
    assert.deepEqual(f.tensors.get('head.weight')!.shape, [7, 8]);
    assert.deepEqual([...f.tensors.get('head.bias')!.data], new Array(7).fill(0));
    // the same seed gives the same fresh head; --reset-head re-initialises even with the gene's class count
    const again = runCli(['expand', GENE, '--depth', '2', '--num-classes', '7', '--seed', '3', '--out', 'again.safetensors'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(readSafetensors(join(dir, 'again.safetensors')).tensors.get('head.weight')!.data, f.tensors.get('head.weight')!.data);
    const reset = runCli(['expand', GENE, '--depth', '2', '--reset-head', '--out', 'reset.safetensors'], dir);
    assert.equal(reset.code, 0, reset.stderr);
    const gene = readSafetensors(GENE);
    assert.notDeepEqual(readSafetensors(join(dir, 'reset.safetensors')).tensors.get('head.weight')!.data, gene.tensors.get('head.weight')!.data);
    const none = runCli(['expand', GENE, '--depth', '2', '--num-classes', '0', '--out', 'features.safetensors'], dir);
    assert.equal(none.code, 0, none.stderr);
    assert.ok(![...readSafetensors(join(dir, 'features.safetensors')).tensors.keys()].some((k) => k.startsWith('head.')));
    assert.deepEqual(listing(dir), ['again.safetensors', 'features.safetensors', 'reset.safetensors', 'vit.safetensors']);
  });
});

test('inspect names a learngene, its config, tensor and value counts, the depths it grows and its storage ratio', () => {
  withDir((dir) => {
    const r = runCli(['inspect', GENE], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: learngene \(format version 1, linear: TLEG\)/);
    assert.match(r.stdout, /ancestry: ViT depth 6, embed_dim 8, num_heads 2, mlp_ratio 4, patch 4, img 8, in_chans 3, 5 classes, class-token pooling/);
    assert.match(r.stdout, /tensors: 32 \(float32\); parameters: 2,245 \(base, slope and shared values\)/);
    assert.match(r.stdout, /grows: any depth L ≥ 1/);
    const perDepth = Array.from({ length: 12 }, (_, i) => countViTParameters({ ...CONFIG, depth: i + 1 }));
    const total = perDepth.reduce((a, b) => a + b, 0);
    assert.match(r.stdout, new RegExp(`one model per depth 1-12 holds ${total.toLocaleString('en-US')} parameters; the learngene 2,245: ${(total / 2245).toFixed(1)}× less`));
    const some = runCli(['inspect', GENE, '--depths', '4,8'], dir);
    assert.match(some.stdout, new RegExp(`depth 4,8 holds ${(perDepth[3] + perDepth[7]).toLocaleString('en-US')} parameters`));
    const k2 = runCli(['inspect', join(FIX, 'gene_k2.safetensors')], dir);
    assert.match(k2.stdout, /piecewise linear, 2 segments/);
  });
});

test('inspect names a ViT checkpoint (config from metadata or shapes) and a training checkpoint', () => {
  withDir((dir) => {
    const vit = runCli(['inspect', VIT], dir);
    assert.equal(vit.code, 0, vit.stderr);
    assert.match(vit.stdout, /: ViT checkpoint \(timm names\)/);
    assert.match(vit.stdout, /config: depth 6, embed_dim 8, num_heads 1, .* \(read from the shapes; num_heads not stored/);
    assert.match(vit.stdout, /tensors: 80 \(float32\); parameters: 5,733/);
    assert.equal(5733, countViTParameters({ ...CONFIG }));
    assert.equal(runCli(['expand', GENE, '--depth', '3', '--out', 'vit3.safetensors'], dir).code, 0);
    const grown = runCli(['inspect', 'vit3.safetensors'], dir);
    assert.match(grown.stdout, /config: depth 3, embed_dim 8, num_heads 2, .* \(from __metadata__.config\)/);
    assert.match(grown.stdout, /grown from a learngene: \{"file":"gene_k1.safetensors"/);

    const model = new VisionTransformer({ ...CONFIG, depth: 2 }, { generator: new Generator(4) });
    saveCheckpoint(join(dir, 'checkpoint.safetensors'), { model, optimizer: new AdamW(model.parameters(), { lr: 1e-3 }), generators: [] },
      { epoch: 1, batch: 3, step: 10, images: 80 });
    const ckpt = runCli(['inspect', 'checkpoint.safetensors'], dir);
    assert.equal(ckpt.code, 0, ckpt.stderr);
    assert.match(ckpt.stdout, /: training checkpoint \(tleg-ts-training-checkpoint\/1\)/);
    assert.match(ckpt.stdout, new RegExp(`model: ViT; ${model.stateDict().size} tensors, ${countViTParameters({ ...CONFIG, depth: 2 }).toLocaleString('en-US')} parameters`));
    assert.match(ckpt.stdout, /position: epoch 1, next batch 3, step 10/);
    assert.match(ckpt.stdout, /config: depth 2, embed_dim 8, num_heads 1, mlp_ratio 4, patch 4, img 8, in_chans 3, 5 classes, class-token pooling \(read from the shapes/);
    // and the other commands refuse it, saying what it is
    const refused = runCli(['fit', 'checkpoint.safetensors', '--out', 'g.safetensors'], dir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /is a training checkpoint \(it holds the model under model\.\*/);
  });
});

test('the commands and the library code they call never end the process themselves (only the CLI\'s top level sets the exit code)', () => {
  const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tleg');
  const files = [...readdirSync(join(dist, 'commands')).filter((f) => f.endsWith('.js')).map((f) => join(dist, 'commands', f)),
    ...['analysis.js', 'expand.js', 'learngene.js', 'cli.js'].map((f) => join(dist, f))];
  assert.ok(files.length >= 10, files.join(', '));
  for (const f of files) assert.doesNotMatch(readFileSync(f, 'utf8'), /process\.exit\(/, f);
});

test('fit says when R² = 1 is trivial (at most two blocks per segment) and not otherwise', () => {
  withDir((dir) => {
    const two = new VisionTransformer({ ...CONFIG, depth: 2 }, { generator: new Generator(5) });
    writeSafetensors(join(dir, 'vit-d2.safetensors'), rawOf(two));
    const r = runCli(['fit', 'vit-d2.safetensors', '--num-heads', '2', '--out', 'g.safetensors'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^all\s+1\.000000\s+0\.000000$/m);
    assert.match(r.stdout, /at most two blocks per line, which a line always fits/);
    const three = runCli(['fit', VIT, '--segments', '3', '--out', 'g3.safetensors'], dir);
    assert.match(three.stdout, /at most two blocks per segment/);
    const deep = runCli(['fit', VIT, '--out', 'g1.safetensors'], dir);
    assert.equal(deep.code, 0, deep.stderr);
    assert.doesNotMatch(deep.stdout, /at most two blocks/);
    assert.match(deep.stdout, /num_heads not stored: embed_dim \/ 64 assumed; pass --num-heads/);
  });
});


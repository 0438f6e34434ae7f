// The experiment's baselines (issue 11): the validation split is carved from the training set and disjoint
// from both the rest of it and the test set, the LR sweep chooses on validation alone, the teacher-derived
// initialisations take the blocks they claim, every baseline kind runs on the tiny preset with a downstream
// set and writes its result, and the report carries each new section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, randn, type Tensor } from '../../engine/index.js';
import { VisionTransformer } from '../../model/vit.js';
import { readSafetensors } from '../../model/io/index.js';
import { parseCli } from '../../tleg/cli.js';
import { loadData } from '../../tleg/data.js';
import { runPipeline } from '../../tleg/pipeline.js';
import { modelConfig, PRESETS } from '../../tleg/presets.js';
import { pickByValidation, splitValidation } from '../../tleg/baselines/validation.js';
import { teacherBlockMap, teacherInitState, vitFromState } from '../../tleg/baselines/inits.js';
import { breakEvenDepths } from '../../tleg/summary.js';
import type { StageResult } from '../../tleg/report.js';

const hashes = (ds: { length: number; get(i: number): { image: Uint8Array | Float32Array } }): string[] =>
  Array.from({ length: ds.length }, (_, i) => createHash('sha1').update(ds.get(i).image).digest('hex'));

test('the validation split is carved from the training set: disjoint from what is left and from the test set, together all of it', () => {
  const data = loadData({ kind: 'synthetic' }, 200, 50, 3);
  const split = splitValidation(data.train, 0.1, 3);
  assert.equal(split.validation.length, 20);
  assert.equal(split.train.length, 180);
  const v = new Set(split.validationIndices), t = new Set(split.trainIndices);
  assert.ok([...v].every((i) => !t.has(i)), 'no index in both');
  assert.deepEqual([...v, ...t].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
  // the examples themselves: validation images are the training set's at those indices, and none is a test image
  const all = hashes(data.train), val = hashes(split.validation), rest = hashes(split.train), testSet = new Set(hashes(data.test));
  assert.deepEqual(val, split.validationIndices.map((i) => all[i]));
  assert.deepEqual(rest, split.trainIndices.map((i) => all[i]));
  assert.ok(val.every((h) => !testSet.has(h) && !rest.includes(h)));
  assert.deepEqual(splitValidation(data.train, 0.1, 3).validationIndices, split.validationIndices, 'seeded');
  assert.notDeepEqual(splitValidation(data.train, 0.1, 4).validationIndices, split.validationIndices, 'another seed, another split');
});

test('the LR sweep picks the run with the best validation accuracy, whatever the test accuracy says', () => {
  const runs = [
    { lr: 1e-3, valAccuracy: 0.70, accuracy: 0.95 },
    { lr: 2e-3, valAccuracy: 0.80, accuracy: 0.60 },
    { lr: 4e-3, valAccuracy: 0.80, accuracy: 0.99 },
  ];
  assert.equal(pickByValidation(runs).lr, 2e-3, 'best validation (first of equals), not best test');
  assert.throws(() => pickByValidation([{ valAccuracy: 0.5 }, { lr: 1, accuracy: 0.9 } as { valAccuracy?: number }]), /no validation accuracy/);
  assert.throws(() => pickByValidation([]), /no runs/);
});

test('teacher-derived initialisations: Heur-LG takes the last K teacher blocks over random ones, evenly spaced takes floor(i·T/L)', () => {
  assert.deepEqual(teacherBlockMap('heur-lg', 6, 4, 2), [null, null, 4, 5]);
  assert.deepEqual(teacherBlockMap('heur-lg', 6, 1, 2), [5]);
  assert.deepEqual(teacherBlockMap('even-teacher', 6, 3, 0), [0, 2, 4]);
  assert.deepEqual(teacherBlockMap('even-teacher', 6, 8, 0), [0, 0, 1, 2, 3, 3, 4, 5]);
  const config = modelConfig('tleg-tiny', 4, 10);
  const teacher = new VisionTransformer(config, { generator: new Generator(1) });
  const state = new Map<string, Tensor>([...teacher.stateDict()].map(([k, t]) => [k, t.add(randn(t.shape, { std: 0.1, generator: new Generator(k.length) }))]));
  const eq = (a: Tensor | undefined, b: Tensor | undefined): void => assert.deepEqual(Array.from(a!.toTypedArray()), Array.from(b!.toTypedArray()));
  const heur = teacherInitState('heur-lg', state, 3, 2);
  eq(heur.get('blocks.1.attn.qkv.weight'), state.get('blocks.2.attn.qkv.weight'));
  eq(heur.get('blocks.2.mlp.fc2.weight'), state.get('blocks.3.mlp.fc2.weight'));
  assert.equal(heur.has('blocks.0.attn.qkv.weight'), false, 'block 0 stays random');
  eq(heur.get('patch_embed.proj.weight'), state.get('patch_embed.proj.weight'));
  // a downstream model: the teacher's tensors, the head left as timm initialises it
  const model = vitFromState({ ...config, depth: 3 }, heur, { generator: new Generator(9), freshHead: true });
  const fresh = new VisionTransformer({ ...config, depth: 3 }, { generator: new Generator(9) });
  const sd = model.stateDict(), fsd = fresh.stateDict();
  eq(sd.get('head.weight'), fsd.get('head.weight'));
  eq(sd.get('blocks.0.attn.qkv.weight'), fsd.get('blocks.0.attn.qkv.weight'));
  eq(sd.get('blocks.2.attn.qkv.weight'), state.get('blocks.3.attn.qkv.weight'));
  // fitLearngene on the teacher: a 2-block descendant's block 0 is the fitted θ_B (the line at x = 0)
  const fitted = teacherInitState('fit-teacher', state, 2, 0);
  assert.ok(fitted.has('blocks.1.mlp.fc1.weight') && !fitted.has('blocks.2.mlp.fc1.weight'));
});

test('break-even depths: the smallest n with shared_T + n·t ≤ shared_M + n·m', () => {
  assert.equal(breakEvenDepths(100, 10, 0, 30), 5); // 100 + 10n ≤ 30n ⇔ n ≥ 5
  assert.equal(breakEvenDepths(100, 10, 0, 31), 5); // n ≥ 4.76
  assert.equal(breakEvenDepths(0, 10, 0, 30), 1);
  assert.equal(breakEvenDepths(100, 30, 0, 30), Infinity);
});

test('tiny preset with a downstream set: every baseline kind runs, writes its result and model, and the report has each section', async () => {
  const out = mkdtempSync(join(tmpdir(), 'tleg-baselines-'));
  try {
    const cli = parseCli(['--preset', 'tiny', '--depths', '3', '--downstream', 'synthetic', '--downstream-size', '200', '--out', out]);
    assert.ok(cli?.downstream);
    const lines: string[] = [];
    const report = await runPipeline({ preset: cli.preset, data: cli.data, seed: 0, out, log: false, print: (l) => { lines.push(l); }, downstream: cli.downstream });
    const tiny = PRESETS.tiny;
    const kinds = ['tleg', 'scratch', 'scratch2x', 'scratch-conv-lr0.001', 'scratch-conv-lr0.003', 'pretrain', 'pft', 'heur-lg', 'even-teacher', 'fit-teacher', 'aux-ce'];
    for (const kind of kinds) {
      const dir = join(out, 'stages', `${kind}-d3`);
      const r = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as StageResult;
      assert.ok(r.accuracy >= 0 && r.accuracy <= 1, `${kind}: ${r.accuracy}`);
      assert.equal(r.curve[0]!.step, 0, `${kind}: accuracy at step 0 recorded`);
      assert.ok(existsSync(join(dir, 'model.safetensors')), `${kind}: model`);
      assert.equal(readSafetensors(join(dir, 'model.safetensors')).tensors.get('head.weight')!.shape[0], 10);
    }
    // downstream: the fine-tunes see the 200 downstream examples (less none), the upstream stages the 256 upstream ones
    assert.equal(report.settings['downstream train examples'], 200);
    assert.equal(JSON.parse(readFileSync(join(out, 'stages', 'pretrain-d3', 'result.json'), 'utf8')).images, tiny.pretrainSteps * tiny.batchSize);
    // converged scratch: early stopping on validation (25 of the 200 examples), the sweep's choice made on validation
    const sweep = report.sweep!.filter((r) => r.depth === 3);
    assert.equal(sweep.length, tiny.lrSweep.length);
    for (const r of sweep) {
      assert.ok(r.curve.every((p) => p.val !== undefined), 'validation accuracy at every evaluation');
      assert.ok(r.stepsTrained! <= tiny.convergedMaxSteps && r.steps <= r.stepsTrained!);
      assert.equal(r.valAccuracy, Math.max(...r.curve.map((p) => p.val!)), 'the kept model is the best on validation');
      assert.equal(r.accuracy, r.curve.find((p) => p.val === r.valAccuracy)!.accuracy);
    }
    assert.equal(report.converged![0]!.stage, pickByValidation(sweep).stage);
    assert.equal(report.settings['validation examples (converged scratch)'], 25);
    assert.equal(report.linearity![0]!.depth, 3);
    assert.ok(Object.keys(report.linearity![0]!.r2).includes('attn.qkv.weight'));
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    for (const heading of ['Accuracy by depth and initialisation', 'Converged scratch: steps and learning rate', 'Accuracy at step 0',
      'Steps to come within 1 point of converged scratch', 'Cost of each path', 'break-even depths vs TLEG', 'Parameters stored', 'Linearity of scratch-trained models']) {
      assert.ok(md.includes(heading), heading);
    }
    for (const column of ['scratch, converged (LR sweep)', 'pretrain + fine-tune per depth', 'Heur-LG (teacher\'s last blocks)', 'teacher blocks, evenly spaced', 'line fitted to the teacher', 'Aux-Net by CE only']) {
      assert.ok(md.includes(`| ${column} |`), column);
    }
    assert.match(md, /Teacher: \d+\.\d\d%/);
    assert.match(md, /Downstream transfer: [^\n]*tested on synthetic\./);
    assert.match(md, /ratio \d+\.\d×/);
    assert.match(readFileSync(join(out, 'report.svg'), 'utf8'), /Aux-Net by CE only/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

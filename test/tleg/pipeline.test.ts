// The pipeline end to end on the tiny preset: every stage runs and leaves its artefacts, a rerun skips them
// all, an interrupted stage resumes, the report files exist and parse, and bad flags fail before training.
// Not accuracy: the tiny preset trains for a handful of steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../../model/io/index.js';
import { loadLearngene } from '../../tleg/index.js';
import { runPipeline } from '../../tleg/pipeline.js';
import { parseCli } from '../../tleg/cli.js';

function tinyOptions(out: string, lines: string[]) {
  const cli = parseCli(['--preset', 'tiny', '--depths', '1,3', '--out', out]);
  assert.ok(cli);
  return { preset: cli.preset, data: cli.data, seed: cli.seed, out, log: false, print: (l: string) => { lines.push(l); } };
}

test('tiny pipeline: stages, artefacts, report; a rerun skips every stage; a lost stage result is redone from its checkpoint', async () => {
  const out = mkdtempSync(join(tmpdir(), 'tleg-pipeline-'));
  try {
    const first: string[] = [];
    const report = await runPipeline(tinyOptions(out, first));
    const perDepth = ['tleg', 'scratch', 'scratch2x', 'scratch-conv-lr0.001', 'scratch-conv-lr0.003', 'pretrain', 'pft', 'heur-lg', 'even-teacher', 'fit-teacher', 'aux-ce'];
    const stages = ['teacher', 'ancestry', 'ancestry-ce', ...[1, 3].flatMap((d) => perDepth.map((s) => `${s}-d${d}`))];
    for (const s of stages) {
      const dir = join(out, 'stages', s);
      const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
      assert.equal(result.stage, s);
      assert.ok(result.accuracy >= 0 && result.accuracy <= 1, `${s}: accuracy ${result.accuracy}`);
      assert.ok(existsSync(join(dir, 'metrics.jsonl')) && existsSync(join(dir, 'checkpoint.safetensors')), `${s}: trainer files`);
      for (const line of readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')) JSON.parse(line);
    }
    const gene = loadLearngene(join(out, 'stages', 'ancestry', 'learngene.safetensors'));
    assert.equal(gene.config.depth, 2);
    assert.ok(readSafetensors(join(out, 'stages', 'tleg-d3', 'model.safetensors')).tensors.has('blocks.2.attn.qkv.weight'));
    assert.deepEqual(report.descendants.map((r) => r.depth), [1, 3]);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /\| depth \| params \| TLEG/);
    assert.match(md, /one learngene/);
    const svg = readFileSync(join(out, 'report.svg'), 'utf8');
    assert.match(svg, /^<\?xml[^]*<svg [^]*<\/svg>\s*$/);
    assert.equal((svg.match(/<polyline/g) ?? []).length >= 3, true);
    JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));

    const second: string[] = [];
    await runPipeline(tinyOptions(out, second));
    assert.equal(second.filter((l) => l.includes('(skipped)')).length, stages.length, second.join('\n'));
    assert.ok(!second.some((l) => l.includes('training:')));

    // An interrupted stage: its result is missing but its checkpoint is there; it resumes and finishes.
    unlinkSync(join(out, 'stages', 'scratch2x-d3', 'result.json'));
    const third: string[] = [];
    await runPipeline(tinyOptions(out, third));
    assert.ok(third.some((l) => l.startsWith('[scratch2x-d3] resuming')), third.join('\n'));
    assert.ok(existsSync(join(out, 'stages', 'scratch2x-d3', 'result.json')));

    // Other settings in the same directory are refused.
    const other = tinyOptions(out, []);
    await assert.rejects(runPipeline({ ...other, seed: 5 }), /holds a run with other settings/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('invalid flags fail with a clear message before any training', () => {
  const bad: Array<[string[], RegExp]> = [
    [['--preset', 'huge'], /--preset: expected one of tiny, quick, full, got "huge"/],
    [['--depths', '2,x'], /--depths: expected an integer from 1 to 100, got "x"/],
    [['--depths', '0'], /--depths: expected an integer from 1 to 100, got "0"/],
    [['--budget', '0'], /--budget: expected an integer from 1 to 1000000, got "0"/],
    [['--dataset', '/no/such/file'], /--dataset: expected mnist, fashion-mnist, synthetic or an existing IDX file/],
    [['--backend', 'tpu'], /--backend: expected cpu or gpujs, got "tpu"/],
    [['--model', 'vit-huge'], /--model: expected one of/],
    [['--seed', '1.5'], /--seed: expected an integer from 0 to 2147483647, got "1.5"/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['--dataset', 'mnist', '--labels', 'x'], /--labels is only for an IDX --dataset path/],
    [['--downstream', 'cifar10'], /--downstream: expected mnist, fashion-mnist or synthetic, got "cifar10"/],
    [['--downstream-size', '1000'], /--downstream-size needs --downstream NAME/],
    [['--downstream', 'mnist', '--downstream-size', '-5'], /--downstream-size: expected an integer from 2 to 60000, got "-5"/],
  ];
  for (const [argv, message] of bad) assert.throws(() => parseCli(argv), message, argv.join(' '));
  assert.equal(parseCli(['--help']), null);
  const defaults = parseCli([]);
  assert.equal(defaults?.preset.name, 'quick');
  assert.equal(defaults?.out, 'runs/quick-fashion-mnist-seed0');
  const transfer = parseCli(['--downstream', 'mnist', '--downstream-size', '1000', '--seed', '2']);
  assert.deepEqual(transfer?.downstream, { data: { kind: 'mnist' }, size: 1000 });
  assert.equal(transfer?.out, 'runs/quick-fashion-mnist-to-mnist-1000-seed2', 'a transfer run never shares the upstream run\'s directory');
});

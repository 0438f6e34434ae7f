// Resuming the experiment after a kill: a torn last line of curve.jsonl is dropped with a note, a damaged
// line before it is refused (a usage error naming the file), stale temporary files are removed, a damaged
// checkpoint is refused naming the stage to delete, and Ctrl-C ends a stage with an error, never process.exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { F } from '../../engine/index.js';
import { DataLoader } from '../../model/data/loader.js';
import { syntheticDataset } from '../../model/data/synthetic.js';
import { readSafetensors, writeSafetensors } from '../../model/io/index.js';
import { VisionTransformer } from '../../model/vit.js';
import { CliError, parseCli } from '../../tleg/cli.js';
import { runPipeline } from '../../tleg/pipeline.js';
import { modelConfig } from '../../tleg/presets.js';
import { InterruptedError, runStage } from '../../tleg/stage.js';

function tinyOptions(out: string, lines: string[]) {
  const cli = parseCli(['--preset', 'tiny', '--depths', '1', '--out', out]);
  assert.ok(cli);
  return { preset: cli.preset, data: cli.data, seed: cli.seed, out, log: false, print: (l: string) => { lines.push(l); } };
}

test('resume after a kill: torn curve line dropped, damaged line refused, stale temporaries removed, damaged checkpoint refused', async () => {
  const out = mkdtempSync(join(tmpdir(), 'tleg-resume-'));
  try {
    await runPipeline(tinyOptions(out, []));
    const stage = join(out, 'stages', 'scratch2x-d1');
    const curvePath = join(stage, 'curve.jsonl');
    const curve = readFileSync(curvePath, 'utf8');
    const firstAccuracy = JSON.parse(readFileSync(join(stage, 'result.json'), 'utf8')).accuracy;

    // a kill while appending the last curve point, and temporaries of writes that never finished
    unlinkSync(join(stage, 'result.json'));
    appendFileSync(curvePath, '{"step":8,"accur');
    const stale = [join(out, 'stages', 'teacher', 'model.safetensors.tmp-4194305-0a1b2c'), join(out, 'report.md.tmp-4194306-ffee00')];
    for (const s of stale) writeFileSync(s, 'partial');
    const lines: string[] = [];
    await runPipeline(tinyOptions(out, lines));
    const log = lines.join('\n');
    assert.match(log, /\[scratch2x-d1\] .*curve.jsonl: dropped a torn last line "\{\\"step\\":8,\\"accur" \(an interrupted write\)/);
    for (const s of stale) {
      assert.equal(existsSync(s), false, s);
      assert.ok(log.includes(`removed ${s}, a temporary file an interrupted run left behind`), log);
    }
    assert.equal(JSON.parse(readFileSync(join(stage, 'result.json'), 'utf8')).accuracy, firstAccuracy, 'the same result as before the kill');
    for (const l of readFileSync(curvePath, 'utf8').trim().split('\n')) JSON.parse(l);

    // a damaged line that is not the last: refused with the file and line, not a bare SyntaxError
    unlinkSync(join(stage, 'result.json'));
    writeFileSync(curvePath, `garbage\n${curve}`);
    await assert.rejects(runPipeline(tinyOptions(out, [])), (e: Error) => {
      assert.ok(e instanceof CliError, String(e));
      assert.match(e.message, /curve.jsonl: line 1 of 4 is not a curve point \{step, accuracy, seconds\}: "garbage"; the stage's files are damaged: delete .*scratch2x-d1 to redo the stage/);
      return true;
    });

    // a checkpoint whose Adam step is −3: refused, naming the stage directory to delete
    writeFileSync(curvePath, curve);
    const ckpt = join(stage, 'checkpoint.safetensors');
    const file = readSafetensors(ckpt);
    const optim = JSON.parse(file.metadata.optimizer!);
    for (const c of Object.values(optim.counters) as Array<Record<string, number>>) c.step = -3;
    writeSafetensors(ckpt, file.tensors, { ...file.metadata, optimizer: JSON.stringify(optim) });
    await assert.rejects(runPipeline(tinyOptions(out, [])), (e: Error) => {
      assert.ok(e instanceof CliError, String(e));
      assert.match(e.message, /step must be an integer ≥ 0, got -3[^]*delete .*scratch2x-d1 to redo this stage from the start/);
      return true;
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('Ctrl-C during a stage: the checkpoint is saved and runStage rejects with InterruptedError; the process goes on', async () => {
  const runDir = mkdtempSync(join(tmpdir(), 'tleg-interrupt-'));
  try {
    const data = syntheticDataset({ n: 64, classes: 10, size: 28, seed: 2 });
    const ctx = {
      runDir, log: false, print: () => {},
      train: new DataLoader(data, { batchSize: 16, shuffle: true, seed: 0, dropLast: true }),
      test: new DataLoader(data, { batchSize: 32 }),
    };
    let calls = 0;
    const listeners = process.listenerCount('SIGINT');
    await assert.rejects(runStage(ctx, {
      name: 'probe', method: 'scratch', depth: 1, steps: 6, lr: 1e-3, weightDecay: 0, warmupFraction: 0, evalPoints: 2,
      build: () => new VisionTransformer(modelConfig('tleg-tiny', 1, 10)),
      loss: (logits, labels) => {
        if (++calls === 2) process.emit('SIGINT');
        return { loss: F.crossEntropy(logits, labels) };
      },
      save: () => {}, parameters: (m) => m.numParameters(),
    }), (e: Error) => {
      assert.ok(e instanceof InterruptedError, String(e));
      assert.match(e.message, /^\[probe\] interrupted; rerun the same command to continue from the checkpoint$/);
      return true;
    });
    assert.equal(calls, 2);
    assert.equal(process.listenerCount('SIGINT'), listeners);
    assert.ok(existsSync(join(runDir, 'stages', 'probe', 'checkpoint.safetensors')));
    assert.equal(existsSync(join(runDir, 'stages', 'probe', 'result.json')), false);
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});

test('library code never ends the process: no process.exit in tleg/ (but the CLI\'s top level) or model/', () => {
  const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const files = [join(dist, 'tleg'), join(dist, 'model')].flatMap((d) => readdirSync(d, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js')).map((f) => join(d, f)));
  assert.ok(files.some((f) => f.endsWith(join('tleg', 'stage.js'))) && files.some((f) => f.endsWith(join('train', 'trainer.js'))), files.join(', '));
  for (const f of files) assert.doesNotMatch(readFileSync(f, 'utf8'), /process\.exit\(/, f);
});

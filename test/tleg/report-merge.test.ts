// `tleg report runs/a runs/b runs/c`: seeds run separately merge into one report whose every cell is the
// mean ± sample std (n − 1) over the runs, checked against numbers computed by hand; runs of different
// experiments, or the same seed twice, are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReport } from '../../tleg/commands/report.js';
import { CliError } from '../../tleg/commands/cli-error.js';
import type { ReportInput, StageResult } from '../../tleg/report.js';

function run(method: StageResult['method'], depth: number, accuracy: number, extra: Partial<StageResult> = {}): StageResult {
  return {
    stage: `${method}-d${depth}`, method, depth, steps: 100, images: 6400, seconds: 2, accuracy, parameters: 1000 * depth,
    curve: [{ step: 0, accuracy: 0.1 }, { step: 50, accuracy: accuracy - 0.02 }, { step: 100, accuracy }], ...extra,
  };
}

/** One seed's results: TLEG at depth 2 reaches `tleg`, converged scratch 0.85 at step 400 of 600 trained. */
function results(seed: number, tleg: number, teacher: number): ReportInput {
  const conv = run('scratch-converged', 2, 0.85, { steps: 400, stepsTrained: 600, images: 38400, lr: 1e-3, valAccuracy: 0.86 });
  return {
    title: 't', settings: { preset: 'quick', dataset: 'fashion-mnist', depths: '2', 'fine-tune steps': 100, seed },
    teacher: run('teacher', 4, teacher), ancestry: run('ancestry', 4, 0.8), learngeneSize: 500,
    descendants: [run('learngene', 2, tleg)], scratch: [run('scratch', 2, 0.6)], scratchLong: [run('scratch-long', 2, 0.7)], scratchMultiplier: 3,
    converged: [conv], sweep: [conv, { ...conv, stage: 'other-lr', lr: 2e-3, valAccuracy: 0.8 }],
  };
}

test('three seeds merge into mean ± sample std per cell, equal to a hand computation', () => {
  const root = mkdtempSync(join(tmpdir(), 'tleg-merge-'));
  try {
    const dirs = [[0, 0.80, 0.87], [1, 0.82, 0.88], [2, 0.87, 0.86]].map(([seed, tleg, teacher]) => {
      const dir = join(root, `run-seed${seed}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'results.json'), JSON.stringify(results(seed!, tleg!, teacher!)));
      return dir;
    });
    const out = join(root, 'merged');
    const printed: string[] = [];
    assert.equal(runReport([...dirs, '--out', out], (l) => { printed.push(l); }), 0);
    assert.match(printed.join('\n'), /merged 3 run\(s\), seeds 0, 1, 2/);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    // TLEG d2: 0.80, 0.82, 0.87 → mean 0.83; deviations −0.03, −0.01, 0.04 → std √((9+1+16)·10⁻⁴ / 2) = √0.0013 = 0.036056
    assert.match(md, /\| 2 \| 83\.00% ± 3\.61% \| 60\.00% ± 0\.00% \| 70\.00% ± 0\.00% \| 85\.00% ± 0\.00% \|/);
    // teacher: 0.87, 0.88, 0.86 → 87.00 % ± 1.00 %
    assert.match(md, /Teacher: 87\.00% ± 1\.00%/);
    // within 1 point of converged scratch (85 %): TLEG's curves reach 0.84 at step 50 only for the seed with 0.87 (0.85 ≥ 0.84);
    // seeds 0 and 1 (0.80, 0.82) never: a mean over 1 of 3 seeds, said so
    assert.match(md, /\| 2 \| 50 ± 0 \(1 of 3\) \|/);
    assert.match(md, /\| 2 \| 400 ± 0 \| 600 ± 0 \| 0\.0010, 0\.0010, 0\.0010 \|/); // the rate each seed chose
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const cell = summary.cells['tleg:2'].accuracy;
    assert.ok(Math.abs(cell.mean - 0.83) < 1e-12 && Math.abs(cell.std - Math.sqrt(0.0013)) < 1e-12, JSON.stringify(cell));
    // the converged path pays for its whole sweep: 38,400 images for each of the 2 learning rates
    assert.equal(summary.cells['scratch-converged:2'].images.mean, 2 * 38400);
    assert.match(readFileSync(join(out, 'report.svg'), 'utf8'), /bars ±1 std over 3 seeds/);
    // without --out: beside the first run, named for the experiment and its seeds
    assert.equal(runReport(dirs, () => {}), 0);
    assert.ok(existsSync(join(root, 'run-seeds-0-1-2', 'report.md')));

    // other settings, or a seed twice: refused before anything is written
    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'results.json'), JSON.stringify({ ...results(3, 0.8, 0.8), settings: { preset: 'full', dataset: 'fashion-mnist', depths: '2', 'fine-tune steps': 100, seed: 3 } }));
    assert.throws(() => runReport([dirs[0]!, other, '--out', out], () => {}), (e: Error) => e instanceof CliError && /differ in "preset"/.test(e.message));
    assert.throws(() => runReport([dirs[0]!, dirs[0]!, '--out', out], () => {}), (e: Error) => e instanceof CliError && /same seed/.test(e.message));
    assert.throws(() => runReport([root, '--out', out], () => {}), (e: Error) => e instanceof CliError && /has no results.json/.test(e.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// A checkpoint is a file we read, so untrusted: optimiser state that would poison the weights (an Adam step
// below 0, a negative second moment) is refused before anything is loaded. A resumed fit rewrites
// metrics.jsonl from the checkpoint's step, so rows are never duplicated and a torn line is dropped.
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { F, Generator, tensor, type Tensor } from '../../engine/index.js';
import { Module } from '../../model/module.js';
import { Linear } from '../../model/layers/linear.js';
import { DataLoader } from '../../model/data/loader.js';
import { syntheticDataset } from '../../model/data/synthetic.js';
import { readSafetensors, writeSafetensors } from '../../model/io/index.js';
import { AdamW } from '../../model/optim/index.js';
import { fit, loadCheckpoint, saveCheckpoint, type LossFn } from '../../model/train/index.js';

class Probe extends Module {
  readonly fc: Linear;
  constructor(seed: number) {
    super();
    this.fc = this.registerModule('fc', new Linear(36, 3, { generator: new Generator(seed), std: 0.2 }));
  }

  forward(x: Tensor): Tensor {
    return this.fc.forward(x.flatten(1));
  }
}

const ce: LossFn = (logits, labels) => ({ loss: F.crossEntropy(logits, labels) });
const tmp = () => mkdtempSync(join(tmpdir(), 'tleg-resume-'));
const values = (m: Module): number[] => m.parameters().flatMap((p) => [...p.toTypedArray()]);

/** A checkpoint after one Adam step, with its metadata or tensors then edited by `damage`. */
function damagedCheckpoint(dir: string, damage: (metadata: Record<string, string>, tensors: Map<string, { data: Float32Array }>) => void): string {
  const model = new Probe(1);
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
  model.forward(tensor(new Float32Array(2 * 36).fill(0.5), { shape: [2, 1, 6, 6] })).sum().backward();
  optimizer.step();
  const path = join(dir, 'checkpoint.safetensors');
  saveCheckpoint(path, { model, optimizer, generators: [] }, { epoch: 0, batch: 1, step: 1, images: 2 });
  const file = readSafetensors(path);
  damage(file.metadata, file.tensors as unknown as Map<string, { data: Float32Array }>);
  writeSafetensors(path, file.tensors, file.metadata);
  return path;
}

function editOptimizer(edit: (optim: { paramGroups: Array<Record<string, unknown>>; counters: Record<string, Record<string, number>> }) => void) {
  return (metadata: Record<string, string>): void => {
    const optim = JSON.parse(metadata.optimizer!);
    edit(optim);
    metadata.optimizer = JSON.stringify(optim);
  };
}

const DAMAGE: Array<[string, Parameters<typeof damagedCheckpoint>[1], RegExp]> = [
  ['Adam step −3', editOptimizer((o) => { o.counters['0']!.step = -3; }), /optimiser state of parameter 0: step must be an integer ≥ 0, got -3; the checkpoint is damaged/],
  ['Adam step 1.5', editOptimizer((o) => { o.counters['1']!.step = 1.5; }), /optimiser state of parameter 1: step must be an integer ≥ 0, got 1.5/],
  ['a negative lr', editOptimizer((o) => { o.paramGroups[0]!.lr = -1; }), /parameter group 0: lr must be a number ≥ 0, got -1/],
  ['a negative second moment', (_m, t) => { t.get('optim.0.exp_avg_sq')!.data[4] = -2; }, /optimiser state of parameter 0: exp_avg_sq must be ≥ 0 \(a second moment\), got -2 at index 4/],
];

for (const [what, damage, message] of DAMAGE) {
  test(`loadCheckpoint refuses ${what} and leaves the model and optimiser untouched`, () => {
    const dir = tmp();
    try {
      const path = damagedCheckpoint(dir, damage);
      const model = new Probe(2);
      const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
      const before = values(model);
      assert.throws(() => loadCheckpoint(path, { model, optimizer, generators: [] }), (e: Error) => {
        assert.match(e.message, message);
        assert.ok(e.message.startsWith(`loadCheckpoint ${path}: `), e.message);
        return true;
      });
      assert.deepEqual(values(model), before);
      assert.equal(optimizer.paramGroups[0]!.lr, 1e-3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('loadCheckpoint: an undamaged checkpoint loads and the next Adam step keeps every weight finite', () => {
  const dir = tmp();
  try {
    const path = damagedCheckpoint(dir, () => {});
    const model = new Probe(2);
    const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
    assert.equal(loadCheckpoint(path, { model, optimizer, generators: [] }).step, 1);
    model.forward(tensor(new Float32Array(36).fill(1), { shape: [1, 1, 6, 6] })).sum().backward();
    optimizer.step();
    assert.ok(values(model).every(Number.isFinite));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fit resumed from an older checkpoint: metrics.jsonl keeps one row per step (later rows and a torn line dropped)', async () => {
  const dir = tmp();
  const data = syntheticDataset({ n: 96, classes: 3, size: 6, seed: 3 });
  const run = async (maxSteps: number, resume: boolean) => {
    const model = new Probe(7);
    const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
    const train = new DataLoader(data, { batchSize: 4, shuffle: true, seed: 1 });
    await fit(model, train, { epochs: 1, maxSteps, optimizer, loss: ce, out: dir, resume, metricsEvery: 1, log: false });
  };
  try {
    await run(5, false);
    copyFileSync(join(dir, 'checkpoint.safetensors'), join(dir, 'step5.safetensors'));
    await run(8, true);
    appendFileSync(join(dir, 'metrics.jsonl'), '{"step": 9, "lo');
    // as after a kill between the metrics row of step 8 and a later checkpoint: the checkpoint says step 5
    copyFileSync(join(dir, 'step5.safetensors'), join(dir, 'checkpoint.safetensors'));
    await run(10, true);
    const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number });
    assert.deepEqual(rows.map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

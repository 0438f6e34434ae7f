// fit / evaluate / checkpoints on a tiny MLP and the synthetic dataset: it learns; resuming (after maxSteps
// or Ctrl-C) gives exactly the parameters of an uninterrupted run; memory stays flat; a teacher feeds the loss.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { F, Generator, defaultGenerator, memory, type Tensor } from '../../engine/index.js';
import { Module } from '../../model/module.js';
import { Linear } from '../../model/layers/linear.js';
import { Dropout } from '../../model/layers/dropout.js';
import { DistillationLoss } from '../../model/losses.js';
import { DataLoader } from '../../model/data/loader.js';
import { SubsetDataset } from '../../model/data/dataset.js';
import { syntheticDataset } from '../../model/data/synthetic.js';
import { AdamW, WarmupCosineSchedule, paramGroupsForWeightDecay } from '../../model/optim/index.js';
import { evaluate, fit, loadCheckpoint, saveCheckpoint, type FitOptions, type LossFn } from '../../model/train/index.js';

class TinyMlp extends Module {
  readonly generator: Generator;
  readonly fc1: Linear;
  readonly drop: Dropout;
  readonly fc2: Linear;

  constructor(inFeatures: number, hidden: number, classes: number, seed: number) {
    super();
    this.generator = new Generator(seed);
    const init = { generator: this.generator, std: 0.2 };
    this.fc1 = this.registerModule('fc1', new Linear(inFeatures, hidden, init));
    this.drop = this.registerModule('drop', new Dropout(0.2, this.generator));
    this.fc2 = this.registerModule('fc2', new Linear(hidden, classes, init));
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.drop.forward(this.fc1.forward(x.flatten(1)).relu()));
  }
}

const SIZE = 8, CLASSES = 4;
const data = syntheticDataset({ n: 160, classes: CLASSES, size: SIZE, seed: 11 });
const trainSet = SubsetDataset.range(data, 0, 120), evalSet = SubsetDataset.range(data, 120);
const normalize = { mean: 0.2, std: 0.3 };
const ce: LossFn = (logits, labels) => ({ loss: F.crossEntropy(logits, labels) });

function setup(modelSeed: number) {
  const model = new TinyMlp(SIZE * SIZE, 24, CLASSES, modelSeed);
  const optimizer = new AdamW(paramGroupsForWeightDecay(model.namedParameters(), 0.05), { lr: 1e-2 });
  const schedule = new WarmupCosineSchedule(optimizer, { warmupSteps: 4, totalSteps: 45, minLr: 1e-4 });
  const train = new DataLoader(trainSet, { batchSize: 8, shuffle: true, seed: 5, normalize, augment: { randomCropPadding: 1 } });
  return { model, optimizer, schedule, train };
}

const evalLoader = new DataLoader(evalSet, { batchSize: 16, normalize });
const tmp = () => mkdtempSync(join(tmpdir(), 'tleg-fit-'));
const paramsOf = (m: Module) => m.namedParameters().map(([n, p]) => [n, [...p.toTypedArray()]] as const);

function options(s: ReturnType<typeof setup>, extra: Partial<FitOptions>): FitOptions {
  return { epochs: 3, optimizer: s.optimizer, schedule: s.schedule, loss: ce, log: false, clipGradNorm: 5, ...extra };
}

test('fit: a tiny MLP learns the synthetic set; metrics.jsonl and the final checkpoint are written', async () => {
  const dir = tmp();
  try {
    const s = setup(1);
    const summary = await fit(s.model, s.train, options(s, { evalData: evalLoader, out: dir, metricsEvery: 5 }));
    assert.equal(summary.steps, 45);
    assert.equal(summary.images, 360);
    assert.equal(summary.interrupted, false);
    assert.ok(summary.finalEval!.accuracy >= 0.9, `eval accuracy ${summary.finalEval!.accuracy}`);
    assert.equal(summary.finalEval!.count, 40);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.filter((l) => 'loss' in l).map((l) => l.step), [5, 10, 15, 20, 25, 30, 35, 40, 45]);
    const evals = lines.filter((l) => 'evalAccuracy' in l);
    assert.deepEqual(evals.map((l) => [l.step, l.epoch]), [[15, 0], [30, 1], [45, 2]]);
    assert.ok(lines[0].lr > 0 && lines[0].imagesPerSecond > 0);
    assert.ok(existsSync(join(dir, 'checkpoint.safetensors')));
    const again = await evaluate(s.model, evalLoader);
    assert.deepEqual(again, summary.finalEval);
    assert.equal(s.model.training, true, 'evaluate restores training mode');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fit: stop at maxSteps mid-epoch, resume in new objects → exactly the parameters of an uninterrupted run', async () => {
  const straightDir = tmp(), splitDir = tmp();
  try {
    const a = setup(1);
    await fit(a.model, a.train, options(a, { out: straightDir }));
    const first = setup(1);
    const part = await fit(first.model, first.train, options(first, { out: splitDir, maxSteps: 19 }));
    assert.equal(part.steps, 19);
    const second = setup(99); // different initial weights: everything must come from the checkpoint
    const rest = await fit(second.model, second.train, options(second, { out: splitDir, resume: true }));
    assert.equal(rest.steps, 45 - 19);
    assert.deepEqual(paramsOf(second.model), paramsOf(a.model));
    assert.deepEqual(second.schedule.getLr(), a.schedule.getLr());
    assert.deepEqual(second.model.generator.getState(), a.model.generator.getState());
  } finally {
    rmSync(straightDir, { recursive: true, force: true });
    rmSync(splitDir, { recursive: true, force: true });
  }
});

test('fit: Ctrl-C saves a checkpoint and returns; the handler is removed; resuming matches the straight run', async () => {
  const dir = tmp();
  try {
    const straight = setup(2);
    await fit(straight.model, straight.train, options(straight, {}));
    const listeners = process.listenerCount('SIGINT');
    const first = setup(2);
    const part = await fit(first.model, first.train, options(first, {
      out: dir, onStep: (info) => { if (info.step === 7) process.emit('SIGINT'); },
    }));
    assert.equal(part.interrupted, true);
    assert.equal(part.steps, 7);
    assert.equal(process.listenerCount('SIGINT'), listeners);
    const probe = setup(3);
    const pos = loadCheckpoint(join(dir, 'checkpoint.safetensors'), { model: probe.model, optimizer: probe.optimizer, schedule: probe.schedule, generators: [probe.model.generator, defaultGenerator] });
    assert.deepEqual({ epoch: pos.epoch, batch: pos.batch, step: pos.step, images: pos.images }, { epoch: 0, batch: 7, step: 7, images: 56 });
    const second = setup(3);
    await fit(second.model, second.train, options(second, { out: dir, resume: true }));
    assert.deepEqual(paramsOf(second.model), paramsOf(straight.model));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fit: each step runs in a scope, so live tensors stay flat from step to step', async () => {
  const s = setup(4);
  const live: number[] = [];
  await fit(s.model, s.train, options(s, { epochs: 2, onStep: () => { live.push(memory().cpu!.tensors); } }));
  assert.ok(live[25] <= live[5], `live tensors grew from ${live[5]} (step 6) to ${live[25]} (step 26)`);
});

test('fit: a teacher runs without gradients and its logits reach the loss; parts are reported', async () => {
  const s = setup(5);
  const teacher = new TinyMlp(SIZE * SIZE, 24, CLASSES, 6);
  const before = paramsOf(teacher);
  const distill = new DistillationLoss({ type: 'soft', alpha: 0.5, tau: 2 });
  const seen: string[][] = [];
  await fit(s.model, s.train, options(s, {
    epochs: 1, teacher,
    loss: (logits, labels, _images, teacherLogits) => distill.forward(logits, teacherLogits ?? null, labels),
    onStep: (info) => { seen.push(Object.keys(info.parts).sort()); },
  }));
  assert.deepEqual(seen[0], ['base', 'distill']);
  assert.equal(teacher.training, false);
  assert.deepEqual(paramsOf(teacher), before);
  assert.ok(teacher.parameters().every((p) => p.grad === null));
});

test('checkpoint: loading checks the format and the optimiser kind; fit validates its options', async () => {
  const dir = tmp();
  try {
    const s = setup(7);
    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, { model: s.model, optimizer: s.optimizer, generators: [] }, { epoch: 0, batch: 0, step: 0, images: 0 });
    const other = setup(8);
    assert.throws(() => loadCheckpoint(path, { model: other.model, optimizer: other.optimizer, generators: [other.model.generator] }), /0 generator states saved, 1 generators to restore/);
    assert.throws(() => loadCheckpoint(join(dir, 'none.safetensors'), { model: other.model, optimizer: other.optimizer, generators: [] }), /no checkpoint at/);
    await assert.rejects(fit(s.model, s.train, options(s, { resume: true })), /need an `out` directory/);
    await assert.rejects(fit(s.model, s.train, options(s, { epochs: -1 })), /epochs must be an integer >= 0, got -1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

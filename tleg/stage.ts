// One resumable training stage of the pipeline, in its own directory:
//   checkpoint.safetensors, metrics.jsonl   the trainer's (resume continues an interrupted stage)
//   curve.jsonl                             evaluation accuracy during training, with cumulative seconds
//   model.safetensors or learngene.*        the stage's artefact
//   result.json                             written last: its presence marks the stage done
import { existsSync, mkdirSync, readFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getDevice, noGrad, scope, sync, type Tensor } from '../engine/index.js';
import type { DataLoader } from '../model/data/loader.js';
import type { Module } from '../model/module.js';
import { AdamW } from '../model/optim/adam.js';
import { paramGroupsForWeightDecay } from '../model/optim/param-groups.js';
import { WarmupCosineSchedule } from '../model/optim/schedules.js';
import { countCorrect } from '../model/train/metrics.js';
import { evaluate, fit, type LossFn } from '../model/train/trainer.js';
import { writeFileAtomic, writeSafetensors, type RawTensor } from '../model/io/index.js';
import type { StageResult } from './report.js';
import { fail } from './commands/cli-error.js';

/** A stage stopped by Ctrl-C after saving its checkpoint; the CLI's top level exits with 130. */
export class InterruptedError extends Error {}

export interface StageSpec {
  name: string;
  method: StageResult['method'];
  depth: number;
  steps: number;
  lr: number;
  weightDecay: number;
  warmupFraction: number;
  evalPoints: number;
  build: () => Module;
  loss: LossFn;
  teacher?: Module;
  /** Writes the stage's artefact into its directory (after training, before result.json). */
  save: (model: Module, dir: string) => void | Promise<void>;
  parameters: (model: Module) => number;
  /** The data of this stage when it is not the run's (a downstream set). */
  data?: { train: DataLoader; test: DataLoader };
  /**
   * Early stopping: evaluate on this validation split (carved from the training set) every evaluation,
   * keep the best model, stop after `patience` evaluations without improvement; `steps` is then the cap.
   */
  validation?: { loader: DataLoader; patience: number };
}

export interface StageContext {
  runDir: string;
  train: DataLoader;
  test: DataLoader;
  log: boolean;
  print: (line: string) => void;
}

export function stageDir(ctx: StageContext, name: string): string {
  return join(ctx.runDir, 'stages', name);
}

export function readResult(ctx: StageContext, name: string): StageResult | undefined {
  const path = join(stageDir(ctx, name), 'result.json');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StageResult;
  } catch (e) {
    return fail(`${path} is not valid JSON (${(e as Error).message}); delete it to redo the stage ${name}`);
  }
}

export function writeResult(ctx: StageContext, result: StageResult): void {
  const dir = stageDir(ctx, result.stage);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'result.json'), new TextEncoder().encode(`${JSON.stringify(result, null, 2)}\n`));
}

/** Top-1 accuracy over a loader, synchronously (cpu); used between steps, where the trainer cannot await. */
export function accuracyNow(model: Module, loader: DataLoader): number {
  const wasTraining = model.training;
  model.eval();
  let correct = 0, count = 0;
  try {
    for (const batch of loader.batches(0)) {
      correct += noGrad(() => scope(() => countCorrect(model.forward(batch.images) as Tensor, batch.labels)));
      count += batch.labels.size;
      batch.images.dispose(); batch.labels.dispose();
    }
  } finally {
    model.train(wasTraining);
  }
  return count === 0 ? NaN : correct / count;
}

export function saveModel(model: Module, path: string, metadata: Record<string, string> = {}): void {
  const tensors: Record<string, RawTensor> = {};
  for (const [name, t] of model.stateDict()) {
    tensors[name] = { dtype: t.dtype, shape: t.shape, data: t.contiguous().toTypedArray().slice() as RawTensor['data'] };
  }
  writeSafetensors(path, tensors, metadata);
}

type CurvePoint = { step: number; accuracy: number; seconds: number; val?: number };

function parseCurvePoint(line: string): CurvePoint | undefined {
  try {
    const p = JSON.parse(line) as CurvePoint;
    return typeof p?.step === 'number' && typeof p.accuracy === 'number' && typeof p.seconds === 'number' ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The evaluation curve so far. A kill while appending can tear the last line: it is dropped (the step is
 * evaluated again) with a note; a bad line before the last means the file was damaged otherwise: refused.
 */
function readCurve(path: string, note: (line: string) => void): CurvePoint[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const points: CurvePoint[] = [];
  for (const [i, line] of lines.entries()) {
    const point = parseCurvePoint(line);
    if (point) { points.push(point); continue; }
    if (i < lines.length - 1) {
      fail(`${path}: line ${i + 1} of ${lines.length} is not a curve point {step, accuracy, seconds}: ${JSON.stringify(line.slice(0, 80))}; the stage's files are damaged: delete ${dirname(path)} to redo the stage`);
    }
    note(`${path}: dropped a torn last line ${JSON.stringify(line.slice(0, 80))} (an interrupted write); that evaluation runs again`);
    writeFileAtomic(path, new TextEncoder().encode(points.map((p) => `${JSON.stringify(p)}\n`).join('')));
  }
  return points;
}

/** The trainer, with a damaged checkpoint (refused by loadCheckpoint) reported as the user's to remove. */
async function fitStage<T>(dir: string, train: () => Promise<T>): Promise<T> {
  try {
    return await train();
  } catch (e) {
    if ((e as Error).message?.startsWith('loadCheckpoint ')) fail(`${(e as Error).message}\n  delete ${dir} to redo this stage from the start`);
    throw e;
  }
}

/** The best validation point of a curve (the first of equals) and how many evaluations came after it. */
export function bestByValidation(curve: ReadonlyArray<{ step: number; val?: number }>): { index: number; since: number } {
  let index = -1;
  curve.forEach((p, i) => { if (p.val !== undefined && (index < 0 || p.val > curve[index].val!)) index = i; });
  return { index, since: index < 0 ? 0 : curve.length - 1 - index };
}

/** Runs (or resumes, or skips when done) one stage; returns its result. */
export async function runStage(ctx: StageContext, spec: StageSpec): Promise<StageResult> {
  const done = readResult(ctx, spec.name);
  if (done) {
    ctx.print(`[${spec.name}] done earlier: accuracy ${(100 * done.accuracy).toFixed(2)}% (skipped)`);
    return done;
  }
  const train = spec.data?.train ?? ctx.train, test = spec.data?.test ?? ctx.test;
  const validation = spec.validation;
  const dir = stageDir(ctx, spec.name);
  mkdirSync(dir, { recursive: true });
  const curvePath = join(dir, 'curve.jsonl');
  const modelPath = join(dir, 'model.safetensors');
  const curve = readCurve(curvePath, (line) => ctx.print(`[${spec.name}] ${line}`));
  const priorSeconds = curve.length > 0 ? curve[curve.length - 1].seconds : 0;
  ctx.print(`[${spec.name}] ${curve.length > 0 ? 'resuming' : 'training'}: depth ${spec.depth}, ${validation ? 'at most ' : ''}${spec.steps} steps, lr ${spec.lr}`);

  const model = spec.build();
  const optimizer = new AdamW(paramGroupsForWeightDecay(model.namedParameters(), spec.weightDecay), { lr: spec.lr });
  const schedule = new WarmupCosineSchedule(optimizer, {
    warmupSteps: Math.round(spec.steps * spec.warmupFraction), totalSteps: spec.steps, minLr: spec.lr * 0.01,
  });
  const evalEvery = Math.max(1, Math.ceil(spec.steps / spec.evalPoints));
  const syncDevice = !getDevice(model.parameters()[0]?.device ?? 'cpu').async;
  const started = performance.now();
  const seconds = (): number => priorSeconds + (performance.now() - started) / 1000;
  const record = (step: number, accuracy: number, val?: number): void => {
    const entry: CurvePoint = { step, accuracy, seconds: seconds(), ...(val === undefined ? {} : { val }) };
    curve.push(entry);
    appendFileSync(curvePath, `${JSON.stringify(entry)}\n`);
  };
  /** Evaluates now; with a validation split, keeps the model when it is the best so far. */
  const evaluateNow = (step: number): void => {
    const accuracy = accuracyNow(model, test);
    const val = validation ? accuracyNow(model, validation.loader) : undefined;
    record(step, accuracy, val);
    if (validation && bestByValidation(curve).since === 0) saveModel(model, modelPath, { step: String(step) });
    ctx.print(`[${spec.name}] step ${step}/${spec.steps}: eval accuracy ${(100 * accuracy).toFixed(2)}%${val === undefined ? '' : `, validation ${(100 * val).toFixed(2)}%`} (${seconds().toFixed(1)} s)`);
  };
  // Accuracy at step 0: what the initialisation alone gives.
  if (curve.length === 0) {
    if (validation || syncDevice) evaluateNow(0);
    else record(0, (await evaluate(model, test)).accuracy);
  }
  const patienceLeft = (): boolean => !validation || bestByValidation(curve).since < validation.patience;
  if (patienceLeft()) { // also when the curve is complete: fit then only restores the checkpoint for spec.save
    const summary = await fitStage(dir, () => fit(model, train, {
      epochs: Math.ceil(spec.steps / train.length), maxSteps: spec.steps, optimizer, schedule, loss: spec.loss, teacher: spec.teacher,
      out: dir, resume: true, checkpointEvery: evalEvery, metricsEvery: Math.min(10, evalEvery), log: ctx.log,
      onStep: (info) => {
        if ((syncDevice || validation) && (info.step % evalEvery === 0 || info.step === spec.steps) && !curve.some((c) => c.step === info.step)) evaluateNow(info.step);
      },
      stop: () => !patienceLeft(),
    }));
    if (summary.interrupted) {
      throw new InterruptedError(`[${spec.name}] interrupted; rerun the same command to continue from the checkpoint`);
    }
  }
  let last = curve[curve.length - 1];
  if (!validation && last.step !== spec.steps) {
    record(spec.steps, (await evaluate(model, test)).accuracy);
    last = curve[curve.length - 1];
  }
  await sync(); // an asynchronous device (gpujs webgpu) must finish before values are read
  // With early stopping the stage's model is the best one on validation (saved when it was reached).
  const best = validation ? curve[bestByValidation(curve).index] : last;
  if (!validation) await spec.save(model, dir);
  const batch = train.batchSize;
  const result: StageResult = {
    stage: spec.name, method: spec.method, depth: spec.depth, steps: best.step, images: last.step * batch, seconds: last.seconds,
    accuracy: best.accuracy, parameters: spec.parameters(model), lr: spec.lr, stepsTrained: last.step,
    curve: curve.map(({ step, accuracy, val }) => ({ step, accuracy, ...(val === undefined ? {} : { val }) })),
    ...(best.val === undefined ? {} : { valAccuracy: best.val }),
  };
  writeResult(ctx, result);
  ctx.print(`[${spec.name}] done: accuracy ${(100 * result.accuracy).toFixed(2)}%${validation ? ` at step ${best.step} (best on validation, ${last.step} trained)` : ''} in ${result.seconds.toFixed(1)} s`);
  return result;
}

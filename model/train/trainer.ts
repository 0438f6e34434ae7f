// The training loop: fit() runs epochs of forward, loss, backward, clip, optimiser and schedule steps, each
// inside an engine scope so memory stays flat; it logs, evaluates, checkpoints and resumes. A resumed run
// continues bit for bit: the checkpoint restores parameters, optimiser and schedule state, the generators'
// streams and the data position, and the loader derives every batch from (seed, epoch, batch).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { F, Generator, Tensor, defaultGenerator, getDevice, noGrad, scope, sync } from '../../engine/index.js';
import type { DataLoader } from '../data/loader.js';
import type { Module } from '../module.js';
import { clipGradNorm } from '../optim/clip.js';
import type { BaseHyper, Optimizer } from '../optim/optimizer.js';
import type { LrSchedule } from '../optim/schedules.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointParts, type TrainingPosition } from './checkpoint.js';
import { countCorrect, MetricsLog, RunningMean, Throughput } from './metrics.js';
import { createReporter, type ProgressReporter } from './progress.js';
import { checkOptions as checkOptionKeys } from '../../engine/index.js';

/** The loss of one batch: `loss` is minimised; its other Tensor fields (e.g. base, distill) are logged. */
export type LossFn = (logits: Tensor, labels: Tensor, images: Tensor, teacherLogits?: Tensor) => { loss: Tensor };

export interface StepInfo {
  step: number;
  epoch: number;
  batch: number;
  loss: number;
  parts: Record<string, number>;
  accuracy: number;
  lr: number;
  gradNorm?: number;
  imagesPerSecond: number;
}

export interface FitOptions {
  epochs: number;
  optimizer: Optimizer<BaseHyper>;
  schedule?: LrSchedule;
  loss: LossFn;
  /** Run in eval mode without gradients; its logits reach `loss` as the fourth argument. */
  teacher?: Module;
  evalData?: DataLoader;
  /** Save a checkpoint every this many steps (needs `out`); one is always saved at the end. */
  checkpointEvery?: number;
  /** Directory for checkpoint.safetensors and metrics.jsonl. */
  out?: string;
  /** Continue from out/checkpoint.safetensors when it exists. */
  resume?: boolean;
  clipGradNorm?: number;
  /** Progress bar on a terminal, a line per epoch otherwise; false for silence. Default true. */
  log?: boolean;
  /** Where progress goes instead (e.g. createReporter(true, writer) for another writer); `log` is then unused. */
  reporter?: ProgressReporter;
  /** Stop once the global step count reaches this (counted across resumes). */
  maxSteps?: number;
  /** Write a metrics line every this many steps (default 10; epoch ends and evaluations always). */
  metricsEvery?: number;
  onStep?: (info: StepInfo) => void;
  /** Asked after each step (after onStep): true ends training there, as maxSteps would (early stopping). */
  stop?: () => boolean;
  /** Generators to save and restore; default the model's `generator` (if any) and the engine's default. */
  generators?: Generator[];
}

export interface EvalResult {
  /** Top-1 accuracy in [0, 1]. */
  accuracy: number;
  /** Mean loss per example. */
  loss: number;
  count: number;
}

export interface FitSummary {
  steps: number;
  /** Images trained on in this call. */
  images: number;
  seconds: number;
  finalEval?: EvalResult;
  interrupted: boolean;
  checkpoint?: string;
}

/** Top-1 accuracy and mean loss (default cross-entropy) over a loader, in eval mode and without gradients. */
export async function evaluate(model: Module, loader: DataLoader, options: { loss?: (logits: Tensor, labels: Tensor) => Tensor } = {}): Promise<EvalResult> {
  const wasTraining = model.training;
  model.eval();
  let correct = 0, lossSum = 0, count = 0;
  try {
    for (const batch of loader.batches(0)) {
      const out = noGrad(() => scope(() => {
        const logits: Tensor = model.forward(batch.images);
        const loss = options.loss ? options.loss(logits, batch.labels).mul(batch.labels.size) : F.crossEntropy(logits, batch.labels, { reduction: 'sum' });
        return { logits, loss };
      }));
      // an async device keeps values on the device: read back only what is counted here (not every parameter)
      if (getDevice(out.logits.device).async) await Promise.all([out.logits.data(), out.loss.data()]);
      correct += countCorrect(out.logits, batch.labels);
      lossSum += out.loss.item();
      count += batch.labels.size;
      for (const t of [out.logits, out.loss, batch.images, batch.labels]) t.dispose();
    }
  } finally {
    model.train(wasTraining);
  }
  return { accuracy: count === 0 ? NaN : correct / count, loss: count === 0 ? NaN : lossSum / count, count };
}

function defaultGenerators(model: Module): Generator[] {
  const own = (model as unknown as { generator?: unknown }).generator;
  return own instanceof Generator && own !== defaultGenerator ? [own, defaultGenerator] : [defaultGenerator];
}

const FIT_KEYS = [
  'epochs', 'optimizer', 'schedule', 'loss', 'teacher', 'evalData', 'checkpointEvery', 'out', 'resume', 'clipGradNorm', 'log', 'reporter',
  'maxSteps', 'metricsEvery', 'onStep', 'stop', 'generators',
];

function checkOptions(o: FitOptions): void {
  checkOptionKeys('fit', o, FIT_KEYS);
  if (!Number.isSafeInteger(o.epochs) || o.epochs < 0) throw new Error(`fit: epochs must be an integer >= 0, got ${o.epochs}`);
  for (const k of ['checkpointEvery', 'maxSteps', 'metricsEvery'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < (k === 'maxSteps' ? 0 : 1))) throw new Error(`fit: ${k} must be a positive integer, got ${v}`);
  }
  if (o.clipGradNorm !== undefined && !(o.clipGradNorm > 0)) throw new Error(`fit: clipGradNorm must be > 0, got ${o.clipGradNorm}`);
  if ((o.checkpointEvery !== undefined || o.resume) && o.out === undefined) throw new Error('fit: checkpointEvery and resume need an `out` directory');
  if (typeof o.loss !== 'function') throw new Error('fit: `loss` must be a function (logits, labels, images, teacherLogits?) => { loss, ...parts }');
}

/**
 * Trains `model` on `trainData`; see FitOptions. Resolves when done, at maxSteps, or after Ctrl-C: the SIGINT
 * handler (installed only while fit runs) finishes the current step, saves a checkpoint when `out` is set and
 * resolves with `interrupted: true`; callers should then stop (library code never ends the process).
 */
export async function fit(model: Module, trainData: DataLoader, options: FitOptions): Promise<FitSummary> {
  checkOptions(options);
  const { epochs, optimizer, schedule, teacher, evalData, out } = options;
  const maxSteps = options.maxSteps ?? Infinity;
  const metricsEvery = options.metricsEvery ?? 10;
  const checkpointPath = out === undefined ? undefined : join(out, 'checkpoint.safetensors');
  const parts: CheckpointParts = { model, optimizer, schedule, generators: options.generators ?? defaultGenerators(model) };
  const reporter = options.reporter ?? createReporter(options.log ?? true);
  const metrics = out === undefined ? null : new MetricsLog(join(out, 'metrics.jsonl'));
  const params = model.parameters();

  let pos: TrainingPosition = { epoch: 0, batch: 0, step: 0, images: 0 };
  if (options.resume && checkpointPath !== undefined && existsSync(checkpointPath)) {
    const { extra: _extra, ...restored } = loadCheckpoint(checkpointPath, parts);
    pos = restored;
    metrics?.truncateAfter(pos.step); // rows written after the checkpoint would be written twice
    reporter.message(`resumed from ${checkpointPath} at epoch ${pos.epoch + 1}, step ${pos.step}`);
  }
  // sync first: on an async device the parameters and optimiser state live on the device until read back
  const save = async () => { if (checkpointPath !== undefined) { await sync(); saveCheckpoint(checkpointPath, parts, pos, { epochs }); } };

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    // a second Ctrl-C meets Node's default handler and ends the process at once, without the save
    process.off('SIGINT', onSigint);
    reporter.message('interrupted: saving a checkpoint after this step (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);

  const started = performance.now();
  const startStep = pos.step, startImages = pos.images;
  const throughput = new Throughput();
  let lastEval: (EvalResult & { step: number }) | undefined;
  teacher?.eval();
  try {
    let stopped = false;
    for (let epoch = pos.epoch; epoch < epochs && pos.step < maxSteps && !interrupted && !stopped; epoch++) {
      model.train();
      const epochLoss = new RunningMean(), epochAcc = new RunningMean();
      const windowLoss = new RunningMean(), windowAcc = new RunningMean();
      const epochStart = performance.now();
      // the bar counts the steps this epoch will run: maxSteps may end it before the loader does
      reporter.startEpoch(epoch, epochs, Math.min(trainData.length, pos.batch + (maxSteps - pos.step)), pos.batch);
      throughput.restart();
      let epochDone = pos.batch >= trainData.length;
      for (const batch of trainData.batches(epoch, pos.batch)) {
        const { images, labels } = batch;
        const lr = optimizer.paramGroups[0]?.lr ?? NaN;
        const result = scope(() => {
          optimizer.zeroGrad();
          const logits: Tensor = model.forward(images);
          const teacherLogits = teacher ? noGrad(() => teacher.forward(images) as Tensor) : undefined;
          const { loss, ...rest } = options.loss(logits, labels, images, teacherLogits) as { loss: Tensor } & Record<string, unknown>;
          loss.backward();
          const gradNorm = options.clipGradNorm !== undefined ? clipGradNorm(params, options.clipGradNorm) : undefined;
          optimizer.step();
          schedule?.step();
          const partTensors: Record<string, Tensor> = {};
          for (const [k, v] of Object.entries(rest)) if (v instanceof Tensor) partTensors[k] = v.detach();
          return { loss: loss.detach(), logits: logits.detach(), parts: partTensors, gradNorm };
        });
        // read back only the values reported, so a step moves nothing else off an async device
        if (getDevice(images.device).async) await Promise.all([result.loss, result.logits, ...Object.values(result.parts)].map((t) => t.data()));
        const n = labels.size;
        const info: StepInfo = {
          step: pos.step + 1, epoch, batch: batch.index, lr,
          loss: result.loss.item(),
          accuracy: countCorrect(result.logits, labels) / n,
          parts: Object.fromEntries(Object.entries(result.parts).map(([k, t]) => [k, t.item()])),
          gradNorm: result.gradNorm,
          imagesPerSecond: throughput.tick(n),
        };
        for (const t of [result.loss, result.logits, ...Object.values(result.parts), images, labels]) t.dispose();
        pos = { epoch, batch: batch.index + 1, step: pos.step + 1, images: pos.images + n };
        epochDone = pos.batch >= trainData.length;
        if (epochDone) pos = { ...pos, epoch: epoch + 1, batch: 0 };
        epochLoss.add(info.loss, n); epochAcc.add(info.accuracy, n);
        windowLoss.add(info.loss, n); windowAcc.add(info.accuracy, n);
        reporter.update(batch.index + 1, { loss: epochLoss.mean, accuracy: epochAcc.mean, imagesPerSecond: info.imagesPerSecond, lr });
        if (metrics && (pos.step % metricsEvery === 0 || epochDone)) {
          metrics.append({ step: pos.step, epoch, loss: windowLoss.mean, accuracy: windowAcc.mean, lr, imagesPerSecond: info.imagesPerSecond, ...info.parts });
          windowLoss.reset(); windowAcc.reset();
        }
        options.onStep?.(info);
        if (options.checkpointEvery !== undefined && pos.step % options.checkpointEvery === 0) { await save(); throughput.restart(); }
        // Yield to the event loop once a step, so a Ctrl-C is seen between steps.
        await new Promise<void>((resolve) => setImmediate(resolve));
        stopped = options.stop?.() === true;
        if (interrupted || pos.step >= maxSteps || stopped) break;
      }
      if (!epochDone) break;
      const evalResult = evalData ? await evaluate(model, evalData) : undefined;
      if (evalResult) lastEval = { ...evalResult, step: pos.step };
      reporter.endEpoch({
        epoch, epochs, step: pos.step, loss: epochLoss.mean, accuracy: epochAcc.mean, imagesPerSecond: throughput.imagesPerSecond,
        lr: optimizer.paramGroups[0]?.lr ?? NaN, seconds: (performance.now() - epochStart) / 1000,
        evalAccuracy: evalResult?.accuracy, evalLoss: evalResult?.loss,
      });
      metrics?.append({ step: pos.step, epoch, epochLoss: epochLoss.mean, epochAccuracy: epochAcc.mean, evalAccuracy: evalResult?.accuracy, evalLoss: evalResult?.loss });
    }
    if (checkpointPath !== undefined) await save();
  } finally {
    process.off('SIGINT', onSigint);
    reporter.stop();
  }
  let finalEval: EvalResult | undefined;
  if (evalData && !interrupted) {
    finalEval = lastEval?.step === pos.step ? lastEval : await evaluate(model, evalData);
  }
  return {
    steps: pos.step - startStep,
    images: pos.images - startImages,
    seconds: (performance.now() - started) / 1000,
    finalEval: finalEval === undefined ? undefined : { accuracy: finalEval.accuracy, loss: finalEval.loss, count: finalEval.count },
    interrupted,
    checkpoint: checkpointPath,
  };
}

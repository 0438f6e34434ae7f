// The TLEG experiment, stage by stage, in one run directory:
//   1. teacher      a ViT trained from scratch (or read from --teacher)
//   2. ancestry     the Aux-Net trained by soft distillation (α = 1, τ = 1) → learngene.safetensors
//   3. descendants  for each depth: a ViT initialised by expanding the learngene, fine-tuned
//   4. baselines    for each depth: timm-initialised ViT trained from scratch on the same budget, and on k×;
//                   scratch to convergence (early stopping on a validation split, LR sweep); pretrain-and-fine-tune;
//                   initialisations from the teacher (Heur-LG, evenly spaced blocks, a fitted line) and from an
//                   Aux-Net trained by cross-entropy alone (tleg/baselines/)
//   5. report       report.md, report.svg, results.json
// With a downstream data set, everything per depth is fine-tuned there (fresh head); upstream stages stay upstream.
// Every stage is skipped when its result.json exists and resumed from its checkpoint when interrupted.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, manualSeed, sync, tensor, type Tensor } from '../engine/index.js';
import { countViTParameters, validateViTConfig, type ViTConfig } from '../model/configs.js';
import { DataLoader } from '../model/data/loader.js';
import { DistillationLoss, crossEntropyLoss } from '../model/losses.js';
import type { LossFn } from '../model/train/trainer.js';
import { readSafetensors, readStateDict, writeFileAtomic } from '../model/io/index.js';
import { logLine } from '../model/train/progress.js';
import { VisionTransformer } from '../model/vit.js';
import { AuxNet } from './aux-net.js';
import { expandLearngene, initDescendant } from './expand.js';
import { fitLearngene } from './analysis.js';
import { splitValidation, pickByValidation } from './baselines/validation.js';
import { teacherInitState, vitFromState, type TeacherInit } from './baselines/inits.js';
import { learngeneSize } from './learngene.js';
import { loadLearngene, saveLearngene } from './learngene-file.js';
import { loadData, type DataSource, type LoadedData } from './data.js';
import { CliError, fail } from './commands/cli-error.js';
import { describeVit, layoutProblems, readVitFile } from './commands/vit-file.js';
import { prepareRunDir, removeStaleTemporaries } from './run-dir.js';
import { MODELS, NORMALIZE, modelConfig, type Preset } from './presets.js';
import { reportMarkdown, reportSvg, resultsTable, type LinearityResult, type ReportInput, type StageResult } from './report.js';
import { readResult, runStage, saveModel, stageDir, writeResult, accuracyNow, type StageContext } from './stage.js';

export interface PipelineOptions {
  preset: Preset;
  data: DataSource;
  seed: number;
  out: string;
  /** A timm-named ViT safetensors file to use as the teacher instead of training one. */
  teacherFile?: string;
  log?: boolean;
  print?: (line: string) => void;
  /** Fine-tune every descendant and baseline on this data set instead (a fresh head); `size`: its training examples. */
  downstream?: { data: DataSource; size?: number };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The settings a run directory belongs to; a rerun with other settings must use another directory. */
function manifestSettings(o: PipelineOptions): Record<string, unknown> {
  return { preset: o.preset, data: o.data, seed: o.seed, teacherFile: o.teacherFile ?? null, ...(o.downstream ? { downstream: o.downstream } : {}) };
}

function checkManifest(o: PipelineOptions): void {
  const path = join(o.out, 'manifest.json');
  const settings = manifestSettings(o);
  if (existsSync(path)) {
    let previous: { settings?: unknown };
    try {
      previous = JSON.parse(readFileSync(path, 'utf8')) as { settings?: unknown };
    } catch (e) {
      return fail(`${path} is not valid JSON (${(e as Error).message}); use --out for a new directory, or delete the file if the run is yours`);
    }
    if (JSON.stringify(previous?.settings) !== JSON.stringify(settings)) {
      fail(`${o.out} holds a run with other settings (see its manifest.json); use --out for a new directory\n  there: ${JSON.stringify(previous?.settings)}\n  now:   ${JSON.stringify(settings)}`);
    }
    return;
  }
  writeFileAtomic(path, text(`${JSON.stringify({ settings, created: new Date().toISOString() }, null, 2)}\n`));
}

/** An input file that is not what the run needs is the user's to fix: a usage error naming the flag. */
function asUsageError<T>(flag: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof CliError) throw e;
    const message = (e as Error).message;
    return fail(message.startsWith(flag) ? message : `${flag}: ${message}`);
  }
}

/**
 * A --teacher file, checked against the data before any model is built: a readable safetensors file, a
 * valid config (stored, or read from the shapes), the data's image size, channels and classes, and every
 * tensor name and shape the config implies. Only then is the model allocated.
 */
function loadTeacherFile(path: string, data: { classes: number; height: number; channels: number }, fallbackHeads: number): VisionTransformer {
  const where = `--teacher ${path}`;
  const file = asUsageError('--teacher', () => {
    try {
      return readSafetensors(path);
    } catch (e) {
      return fail(`${where}: not a readable safetensors file: ${(e as Error).message}`);
    }
  });
  const stored = file.metadata['config'] !== undefined;
  const { config: partial, state } = readVitFile('--teacher', path, file, stored ? undefined : fallbackHeads);
  const config = validateViTConfig(partial, where);
  if (config.numClasses !== data.classes) fail(`${where}: the teacher has ${config.numClasses} classes, the data set ${data.classes}`);
  if (config.imgSize !== data.height || config.inChans !== data.channels) {
    fail(`${where}: the teacher takes ${config.imgSize}×${config.imgSize} images with ${config.inChans} channel(s), the data has ${data.height}×${data.height} with ${data.channels}`);
  }
  const layout = new Map(state);
  const problems: string[] = [];
  if (config.fcNorm) {
    for (const k of ['fc_norm.weight', 'fc_norm.bias']) {
      const t = layout.get(k);
      if (!t || t.shape.join() !== String(config.embedDim)) problems.push(`"${k}" must have shape [${config.embedDim}], got ${t ? `[${t.shape.join(', ')}]` : 'none'}`);
      layout.delete(k);
    }
  }
  problems.push(...layoutProblems(config, layout));
  if (problems.length > 0) fail(`${where}: not a timm-named ViT for its config (${describeVit(config)}):\n  ${problems.join('\n  ')}`);
  const model = new VisionTransformer(config);
  model.loadStateDict(new Map([...state].map(([k, t]) => [k, t.float()])), { strict: true });
  return model;
}

/** Data, teacher file and run directory, all checked before manifest.json is written; usage errors otherwise. */
function prepareRun(o: PipelineOptions): { data: LoadedData; target: LoadedData; teacher?: VisionTransformer } {
  const p = o.preset;
  const data = asUsageError('--dataset', () => loadData(o.data, p.trainLimit, p.testLimit, o.seed));
  if (data.train.length < p.batchSize) {
    fail(`--dataset ${data.name}: ${data.train.length} training examples, fewer than one batch of ${p.batchSize} (preset ${p.name}); a data set needs at least ${p.batchSize} training examples plus its evaluation split`);
  }
  if (data.test.length < 1) fail(`--dataset ${data.name}: no examples left for the evaluation split`);
  const { height, width, channels } = data.train;
  const patch = MODELS[p.model].patchSize;
  if (height !== width || height % patch !== 0) {
    fail(`--dataset ${data.name}: model ${p.model} needs square images with a side divisible by its patch size ${patch}, the data has ${height}×${width}`);
  }
  let target = data;
  if (o.downstream) {
    const size = o.downstream.size ?? p.trainLimit;
    target = asUsageError('--downstream', () => loadData(o.downstream!.data, size, p.testLimit, o.seed + 100));
    if (target.train.height !== height || target.train.channels !== channels) {
      fail(`--downstream ${target.name}: ${target.train.height}×${target.train.width} images with ${target.train.channels} channel(s), the upstream data ${height}×${width} with ${channels}; the learngene's patch embedding needs the same`);
    }
  }
  const needed = Math.ceil(p.batchSize / (1 - p.valFraction)) + 1;
  if (target.train.length < needed) {
    fail(`${o.downstream ? '--downstream-size' : `--dataset ${data.name}`}: ${target.train.length} training examples; converged scratch carves ${100 * p.valFraction}% off as a validation split and needs a batch of ${p.batchSize} left, so at least ${needed}`);
  }
  const teacher = o.teacherFile === undefined ? undefined : loadTeacherFile(o.teacherFile, { classes: data.classes, height, channels }, MODELS[p.model].numHeads);
  prepareRunDir(o.out);
  checkManifest(o);
  return { data, target, teacher };
}

export async function runPipeline(o: PipelineOptions): Promise<ReportInput> {
  const print = o.print ?? logLine;
  const p = o.preset;
  manualSeed(o.seed);
  const { data, target, teacher: teacherFromFile } = prepareRun(o);
  for (const path of removeStaleTemporaries(o.out)) print(`removed ${path}, a temporary file an interrupted run left behind`);
  const norm = Object.hasOwn(NORMALIZE, data.name) ? NORMALIZE[data.name]! : { mean: 0.5, std: 0.5 };
  const ctx: StageContext = {
    runDir: o.out, log: o.log ?? true, print,
    train: new DataLoader(data.train, { batchSize: p.batchSize, shuffle: true, seed: o.seed, dropLast: true, normalize: norm }),
    test: new DataLoader(data.test, { batchSize: 250, normalize: norm }),
  };
  print(`TLEG pipeline: preset ${p.name}, data ${data.name} (${data.train.length} train / ${data.test.length} eval)${o.downstream ? `, downstream ${target.name} (${target.train.length} train / ${target.test.length} eval)` : ''}, seed ${o.seed}, run dir ${o.out}`);
  const classes = data.classes;
  const { height, channels } = data.train;
  const config = (depth: number): ViTConfig => ({ ...modelConfig(p.model, depth, classes), imgSize: height, inChans: channels });
  const gen = (stage: string): Generator => new Generator(o.seed * 1000 + [...stage].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7));
  const ce = crossEntropyLoss({ labelSmoothing: 0.1 });
  const ceLoss: LossFn = (logits, labels) => ({ loss: ce(logits, labels) });
  const common = { weightDecay: p.weightDecay, warmupFraction: p.warmupFraction, evalPoints: p.evalPoints };
  const vitParams = (m: { numParameters(): number }): number => m.numParameters();

  // 1. teacher
  let teacher: VisionTransformer;
  let teacherResult: StageResult;
  if (o.teacherFile && teacherFromFile) {
    teacher = teacherFromFile;
    teacherResult = readResult(ctx, 'teacher') ?? (() => {
      const r: StageResult = { stage: 'teacher', method: 'teacher', depth: teacher.config.depth, steps: 0, images: 0, seconds: 0, accuracy: accuracyNow(teacher, ctx.test), parameters: teacher.numParameters(), curve: [] };
      writeResult(ctx, r);
      return r;
    })();
    print(`[teacher] from ${o.teacherFile}: accuracy ${(100 * teacherResult.accuracy).toFixed(2)}%`);
  } else {
    const teacherConfig = config(p.teacher.depth);
    teacherResult = await runStage(ctx, {
      name: 'teacher', method: 'teacher', ...p.teacher, ...common, evalPoints: 2, loss: ceLoss, parameters: vitParams,
      build: () => new VisionTransformer(teacherConfig, { generator: gen('teacher') }),
      save: (m, dir) => saveModel(m, join(dir, 'model.safetensors'), { config: JSON.stringify(teacherConfig) }),
    });
    teacher = new VisionTransformer(teacherConfig);
    const file = readSafetensors(join(stageDir(ctx, 'teacher'), 'model.safetensors'));
    teacher.loadStateDict(new Map([...file.tensors].map(([k, raw]) => [k, tensor(raw.data, { shape: raw.shape, dtype: raw.dtype })])));
  }
  teacher.eval();

  // 2. ancestry: the Aux-Net by soft distillation from the teacher (α = 1, τ = 1, as TLEG)
  const distill = new DistillationLoss({ type: 'soft', alpha: 1, tau: 1, baseCriterion: ce });
  const genePath = join(stageDir(ctx, 'ancestry'), 'learngene.safetensors');
  const ancestry = await runStage(ctx, {
    name: 'ancestry', method: 'ancestry', ...p.ancestry, ...common, evalPoints: 2, teacher,
    loss: (logits, labels, _images, teacherLogits) => {
      const { loss, base, distill: d } = distill.forward(logits, teacherLogits ?? null, labels);
      return { loss, base, distill: d };
    },
    build: () => new AuxNet(config(p.ancestry.depth), { generator: gen('ancestry') }),
    save: async (m, dir) => {
      const gene = (m as AuxNet).toLearngene();
      await sync();
      saveLearngene(join(dir, 'learngene.safetensors'), gene);
    },
    parameters: vitParams,
  });
  const gene = loadLearngene(genePath);

  // 3. descendants and 4. baselines, depth by depth (on the downstream data when there is one)
  const downstream = o.downstream !== undefined;
  const targetNorm = Object.hasOwn(NORMALIZE, target.name) ? NORMALIZE[target.name]! : norm;
  const targetLoaders = downstream ? {
    train: new DataLoader(target.train, { batchSize: p.batchSize, shuffle: true, seed: o.seed, dropLast: true, normalize: targetNorm }),
    test: new DataLoader(target.test, { batchSize: 250, normalize: targetNorm }),
  } : undefined;
  const testT = targetLoaders?.test ?? ctx.test;
  const configT = (depth: number): ViTConfig => ({ ...config(depth), numClasses: target.classes });
  const fromState = (depth: number, state: Map<string, Tensor>, stage: string): VisionTransformer =>
    vitFromState(configT(depth), state, { generator: gen(stage), freshHead: downstream });
  const fineTune = (depth: number) => ({
    depth, steps: p.fineTuneSteps, lr: p.fineTuneLr, ...common, loss: ceLoss, parameters: vitParams, data: targetLoaders,
    save: (m: unknown, dir: string): void => saveModel(m as VisionTransformer, join(dir, 'model.safetensors'), { config: JSON.stringify(configT(depth)) }),
  });
  const descendants: StageResult[] = [], scratch: StageResult[] = [], scratchLong: StageResult[] = [];
  for (const depth of p.depths) {
    descendants.push(await runStage(ctx, {
      ...fineTune(depth), name: `tleg-d${depth}`, method: 'learngene',
      build: () => downstream
        ? fromState(depth, new Map(Object.entries(expandLearngene(gene, depth))), `tleg-d${depth}`)
        : initDescendant(gene, depth, { numClasses: classes }, { generator: gen(`tleg-d${depth}`) }),
    }));
    scratch.push(await runStage(ctx, {
      ...fineTune(depth), name: `scratch-d${depth}`, method: 'scratch',
      build: () => new VisionTransformer(configT(depth), { generator: gen(`scratch-d${depth}`) }),
    }));
    scratchLong.push(await runStage(ctx, {
      ...fineTune(depth), steps: p.fineTuneSteps * p.scratchMultiplier, name: `scratch${p.scratchMultiplier}x-d${depth}`, method: 'scratch-long',
      build: () => new VisionTransformer(configT(depth), { generator: gen(`scratch-d${depth}`) }),
    }));
  }

  // 4a. scratch to convergence on a validation split carved from the (target) training set, with an LR sweep
  const split = splitValidation(target.train, p.valFraction, o.seed);
  const convergedData = {
    train: new DataLoader(split.train, { batchSize: p.batchSize, shuffle: true, seed: o.seed, dropLast: true, normalize: targetNorm }),
    test: testT,
  };
  const validation = { loader: new DataLoader(split.validation, { batchSize: 250, normalize: targetNorm }), patience: p.patience };
  const sweepAt = [...new Set(p.sweepDepths.map((s) => p.depths.reduce((a, d) => (Math.abs(d - s) < Math.abs(a - s) ? d : a))))];
  const sweep: StageResult[] = [];
  const convergedRun = (depth: number, lr: number): Promise<StageResult> => runStage(ctx, {
    ...fineTune(depth), steps: p.convergedMaxSteps, lr, evalPoints: Math.ceil(p.convergedMaxSteps / p.convergedEvalEvery),
    name: `scratch-conv-lr${lr}-d${depth}`, method: 'scratch-converged', data: convergedData, validation,
    build: () => new VisionTransformer(configT(depth), { generator: gen(`scratch-d${depth}`) }),
  });
  const chosenLr = new Map<number, number>();
  for (const depth of sweepAt) {
    const runs: StageResult[] = [];
    for (const lr of p.lrSweep) runs.push(await convergedRun(depth, lr));
    sweep.push(...runs);
    chosenLr.set(depth, pickByValidation(runs).lr!);
    print(`[sweep d${depth}] learning rate ${chosenLr.get(depth)} chosen on validation (${runs.map((r) => `${r.lr}: ${(100 * r.valAccuracy!).toFixed(2)}%`).join(', ')})`);
  }
  const converged: StageResult[] = [];
  for (const depth of p.depths) {
    const swept = sweep.filter((r) => r.depth === depth);
    if (swept.length > 0) { converged.push(pickByValidation(swept)); continue; }
    const nearest = sweepAt.reduce((a, d) => (Math.abs(d - depth) < Math.abs(a - depth) ? d : a));
    const run = await convergedRun(depth, chosenLr.get(nearest)!);
    sweep.push(run);
    converged.push(run);
  }

  // 4b. pretrain-and-fine-tune: a model per depth pre-trained upstream (its cost counted), then fine-tuned
  const pretrain: StageResult[] = [], pretrainFinetune: StageResult[] = [];
  for (const depth of p.depths) {
    const upConfig = config(depth);
    pretrain.push(await runStage(ctx, {
      name: `pretrain-d${depth}`, method: 'pretrain', depth, steps: p.pretrainSteps, lr: p.teacher.lr, ...common, loss: ceLoss, parameters: vitParams,
      build: () => new VisionTransformer(upConfig, { generator: gen(`pretrain-d${depth}`) }),
      save: (m, dir) => saveModel(m as VisionTransformer, join(dir, 'model.safetensors'), { config: JSON.stringify(upConfig) }),
    }));
    pretrainFinetune.push(await runStage(ctx, {
      ...fineTune(depth), name: `pft-d${depth}`, method: 'pretrain-finetune',
      build: () => fromState(depth, readStateDict(join(stageDir(ctx, `pretrain-d${depth}`), 'model.safetensors')), `pft-d${depth}`),
    }));
  }

  // 4c. other initialisations from the same upstream training
  const teacherState = new Map([...teacher.stateDict()]);
  const fromTeacher = async (kind: TeacherInit, method: StageResult['method']): Promise<StageResult[]> => {
    const out: StageResult[] = [];
    for (const depth of p.depths) {
      out.push(await runStage(ctx, {
        ...fineTune(depth), name: `${kind}-d${depth}`, method,
        build: () => fromState(depth, teacherInitState(kind, teacherState, depth, p.heurLgBlocks), `${kind}-d${depth}`),
      }));
    }
    return out;
  };
  const heurLg = await fromTeacher('heur-lg', 'heur-lg');
  const evenTeacher = await fromTeacher('even-teacher', 'even-teacher');
  const fitTeacher = teacher.config.depth >= 2 ? await fromTeacher('fit-teacher', 'fit-teacher') : undefined;
  if (!fitTeacher) print('[fit-teacher] skipped: a line needs a teacher of at least 2 blocks');
  const ancestryCe = await runStage(ctx, {
    name: 'ancestry-ce', method: 'ancestry-ce', ...p.ancestry, ...common, evalPoints: 2, loss: ceLoss, parameters: vitParams,
    build: () => new AuxNet(config(p.ancestry.depth), { generator: gen('ancestry') }),
    save: async (m, dir) => {
      const g = (m as AuxNet).toLearngene();
      await sync();
      saveLearngene(join(dir, 'learngene.safetensors'), g);
    },
  });
  const geneCe = loadLearngene(join(stageDir(ctx, 'ancestry-ce'), 'learngene.safetensors'));
  const auxCe: StageResult[] = [];
  for (const depth of p.depths) {
    auxCe.push(await runStage(ctx, {
      ...fineTune(depth), name: `aux-ce-d${depth}`, method: 'aux-ce',
      build: () => fromState(depth, new Map(Object.entries(expandLearngene(geneCe, depth))), `aux-ce-d${depth}`),
    }));
  }

  // The paper's linearity analysis on the converged scratch models (R² = 1 is trivial below 3 blocks).
  const linearity: LinearityResult[] = converged.filter((r) => r.depth >= 3).map((r) => {
    const { fits, overall } = fitLearngene(readStateDict(join(stageDir(ctx, r.stage), 'model.safetensors')));
    return { depth: r.depth, method: r.method, r2: Object.fromEntries(Object.entries(fits).map(([k, f]) => [k, f.r2])), overall: overall.r2 };
  });

  // 5. report
  const report: ReportInput = {
    title: `TLEG on ${data.name}${downstream ? ` → ${target.name}` : ''}: learngene vs other initialisations (preset ${p.name}, seed ${o.seed})`,
    settings: {
      preset: p.name, dataset: data.name, 'train examples': data.train.length, 'eval examples': data.test.length, model: p.model,
      ...(downstream ? { downstream: target.name, 'downstream train examples': target.train.length, 'downstream eval examples': target.test.length } : {}),
      'teacher depth': teacherResult.depth, 'Aux-Net depth': p.ancestry.depth, depths: p.depths.join(', '), 'batch size': p.batchSize,
      'fine-tune steps': p.fineTuneSteps, 'validation examples (converged scratch)': split.validation.length,
      'converged scratch': `at most ${p.convergedMaxSteps} steps, patience ${p.patience} evaluations of ${p.convergedEvalEvery} steps, LR sweep ${p.lrSweep.join(', ')} at depth ${sweepAt.join(', ')}`,
      'pretrain steps per depth': p.pretrainSteps, 'Heur-LG blocks': p.heurLgBlocks,
      seed: o.seed, 'ViT params at depth 1 (formula)': countViTParameters(config(1)),
    },
    teacher: teacherResult, ancestry, learngeneSize: learngeneSize(gene), descendants, scratch, scratchLong, scratchMultiplier: p.scratchMultiplier,
    converged, sweep, pretrain, pretrainFinetune, heurLg, evenTeacher, ...(fitTeacher ? { fitTeacher } : {}), ancestryCe, auxCe, linearity,
    ...(downstream ? { downstream: { dataset: target.name, trainExamples: target.train.length } } : {}),
  };
  writeFileAtomic(join(o.out, 'report.md'), text(reportMarkdown(report)));
  writeFileAtomic(join(o.out, 'report.svg'), text(reportSvg(report)));
  writeFileAtomic(join(o.out, 'results.json'), text(`${JSON.stringify(report, null, 2)}\n`));
  print('');
  print(resultsTable(report));
  print('');
  print(`report: ${join(o.out, 'report.md')} (chart: report.svg)`);
  return report;
}

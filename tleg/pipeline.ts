// The TLEG experiment, stage by stage, in one run directory:
//   1. teacher      a ViT trained from scratch (or read from --teacher)
//   2. ancestry     the Aux-Net trained by soft distillation (α = 1, τ = 1) → learngene.safetensors
//   3. descendants  for each depth: a ViT initialised by expanding the learngene, fine-tuned
//   4. baselines    for each depth: timm-initialised ViT trained from scratch on the same budget, and on k×
//   5. report       report.md, report.svg, results.json
// Every stage is skipped when its result.json exists and resumed from its checkpoint when interrupted.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, manualSeed, sync, tensor } from '../engine/index.js';
import { countViTParameters, validateViTConfig, type ViTConfig } from '../model/configs.js';
import { DataLoader } from '../model/data/loader.js';
import { DistillationLoss, crossEntropyLoss } from '../model/losses.js';
import type { LossFn } from '../model/train/trainer.js';
import { readSafetensors, writeFileAtomic } from '../model/io/index.js';
import { logLine } from '../model/train/progress.js';
import { VisionTransformer } from '../model/vit.js';
import { AuxNet } from './aux-net.js';
import { initDescendant } from './expand.js';
import { learngeneSize } from './learngene.js';
import { loadLearngene, saveLearngene } from './learngene-file.js';
import { loadData, type DataSource, type LoadedData } from './data.js';
import { CliError, fail } from './commands/cli-error.js';
import { describeVit, layoutProblems, readVitFile } from './commands/vit-file.js';
import { prepareRunDir, removeStaleTemporaries } from './run-dir.js';
import { MODELS, NORMALIZE, modelConfig, type Preset } from './presets.js';
import { reportMarkdown, reportSvg, resultsTable, type ReportInput, type StageResult } from './report.js';
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
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The settings a run directory belongs to; a rerun with other settings must use another directory. */
function manifestSettings(o: PipelineOptions): Record<string, unknown> {
  return { preset: o.preset, data: o.data, seed: o.seed, teacherFile: o.teacherFile ?? null };
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
function prepareRun(o: PipelineOptions): { data: LoadedData; teacher?: VisionTransformer } {
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
  const teacher = o.teacherFile === undefined ? undefined : loadTeacherFile(o.teacherFile, { classes: data.classes, height, channels }, MODELS[p.model].numHeads);
  prepareRunDir(o.out);
  checkManifest(o);
  return { data, teacher };
}

export async function runPipeline(o: PipelineOptions): Promise<ReportInput> {
  const print = o.print ?? logLine;
  const p = o.preset;
  manualSeed(o.seed);
  const { data, teacher: teacherFromFile } = prepareRun(o);
  for (const path of removeStaleTemporaries(o.out)) print(`removed ${path}, a temporary file an interrupted run left behind`);
  const norm = Object.hasOwn(NORMALIZE, data.name) ? NORMALIZE[data.name]! : { mean: 0.5, std: 0.5 };
  const ctx: StageContext = {
    runDir: o.out, log: o.log ?? true, print,
    train: new DataLoader(data.train, { batchSize: p.batchSize, shuffle: true, seed: o.seed, dropLast: true, normalize: norm }),
    test: new DataLoader(data.test, { batchSize: 250, normalize: norm }),
  };
  print(`TLEG pipeline: preset ${p.name}, data ${data.name} (${data.train.length} train / ${data.test.length} eval), seed ${o.seed}, run dir ${o.out}`);
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

  // 3. descendants and 4. baselines, depth by depth
  const descendants: StageResult[] = [], scratch: StageResult[] = [], scratchLong: StageResult[] = [];
  for (const depth of p.depths) {
    const fine = { depth, steps: p.fineTuneSteps, lr: p.fineTuneLr, ...common, loss: ceLoss, parameters: vitParams };
    const saveVit = (m: unknown, dir: string): void => saveModel(m as VisionTransformer, join(dir, 'model.safetensors'), { config: JSON.stringify(config(depth)) });
    descendants.push(await runStage(ctx, {
      ...fine, name: `tleg-d${depth}`, method: 'learngene', save: saveVit,
      build: () => initDescendant(gene, depth, { numClasses: classes }, { generator: gen(`tleg-d${depth}`) }),
    }));
    scratch.push(await runStage(ctx, {
      ...fine, name: `scratch-d${depth}`, method: 'scratch', save: saveVit,
      build: () => new VisionTransformer(config(depth), { generator: gen(`scratch-d${depth}`) }),
    }));
    scratchLong.push(await runStage(ctx, {
      ...fine, steps: p.fineTuneSteps * p.scratchMultiplier, name: `scratch${p.scratchMultiplier}x-d${depth}`, method: 'scratch-long', save: saveVit,
      build: () => new VisionTransformer(config(depth), { generator: gen(`scratch-d${depth}`) }),
    }));
  }

  // 5. report
  const report: ReportInput = {
    title: `TLEG on ${data.name}: learngene vs training from scratch (preset ${p.name}, seed ${o.seed})`,
    settings: {
      preset: p.name, dataset: data.name, 'train examples': data.train.length, 'eval examples': data.test.length, model: p.model,
      'teacher depth': teacherResult.depth, 'Aux-Net depth': p.ancestry.depth, depths: p.depths.join(', '), 'batch size': p.batchSize,
      'fine-tune steps': p.fineTuneSteps, seed: o.seed, 'ViT params at depth 1 (formula)': countViTParameters(config(1)),
    },
    teacher: teacherResult, ancestry, learngeneSize: learngeneSize(gene), descendants, scratch, scratchLong, scratchMultiplier: p.scratchMultiplier,
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

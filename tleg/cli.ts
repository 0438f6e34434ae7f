#!/usr/bin/env node
// `tleg` / `npm start`: the whole TLEG experiment (teacher → Aux-Net → descendants → baselines → report).
import { createHash } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setBackend, setNumThreads, type GpuMode } from '../engine/index.js';
import { runPipeline } from './pipeline.js';
import { MODELS, PRESETS, type DatasetName, type ModelName, type Preset, type PresetName } from './presets.js';
import type { DataSource } from './data.js';
import { CliError, fail } from './commands/cli-error.js';
import { integerFlag, joinNegativeValues } from './commands/args.js';
import { InterruptedError } from './stage.js';

export { CliError };

/** `tleg <command> ...`: each command in its own module, loaded only when named. */
const COMMANDS: Record<string, () => Promise<(argv: string[], print: (line: string) => void) => number>> = {
  expand: async () => (await import('./commands/expand.js')).runExpand,
  fit: async () => (await import('./commands/fit.js')).runFit,
  inspect: async () => (await import('./commands/inspect.js')).runInspect,
  report: async () => (await import('./commands/report.js')).runReport,
};

/** The deepest descendant, teacher or Aux-Net the experiment trains: deeper runs take days on this engine. */
export const MAX_DEPTH = 100;
/** Fine-tuning steps per descendant at most (the full preset uses 200). */
export const MAX_BUDGET = 1_000_000;
/** Seeds are 31-bit: every stage's generator is seeded with seed·1000 + a hash of its name. */
export const MAX_SEED = 2 ** 31 - 1;
/** More threads than this only adds contention on any machine this runs on. */
export const MAX_THREADS = 256;

export const HELP = `tleg: run the TLEG experiment (Transformer as Linear Expansion of learnGene, AAAI 2024)

  1. teacher      train a ViT teacher from scratch (or --teacher FILE)
  2. ancestry     train the auxiliary net (block i = θ_B + (i/L)·θ_A) by soft distillation; save the learngene
  3. descendants  for each depth, initialise a ViT from the learngene and fine-tune it briefly
  4. baselines    the same depths from timm's random init, on the same budget and on k× the budget; scratch
                  to convergence (early stopping on a validation split carved from the training set, with a
                  small LR sweep); pretrain-and-fine-tune per depth; initialisations from the teacher (Heur-LG,
                  evenly spaced blocks, a fitted line) and from an Aux-Net trained by cross-entropy alone
  5. report       report.md, report.svg and results.json in the run directory; the table is printed

Rerunning the same command skips finished stages and resumes an interrupted one from its checkpoint.

Usage: tleg [options]            (npm start -- [options])
       tleg expand | fit | inspect ...   learngenes and timm checkpoints (tleg <command> --help)
       tleg report RUN_DIR... [--out DIR] merge the runs of several seeds (mean ± std)

  --preset NAME      tiny | quick | full (default quick: about 5 min on 2 cores; full: about 20 min a seed on 2 cores; tiny: seconds, for CI)
  --dataset NAME     mnist | fashion-mnist | synthetic | PATH to an IDX image file (default: the preset's)
  --labels PATH      the IDX label file for --dataset PATH (its last examples become the eval split)
  --model NAME       architecture: ${Object.keys(MODELS).join(' | ')} (default: the preset's)
  --depths LIST      descendant depths, comma-separated integers from 1 to ${MAX_DEPTH}, e.g. 2,4,6 (default: the preset's)
  --budget N         fine-tuning steps per descendant (at most ${MAX_BUDGET}); or Nep for N epochs of the training subset (e.g. 1ep)
  --seed N           integer seed of data order and every initialisation, 0 to ${MAX_SEED} (default 0)
  --backend NAME     cpu | gpujs (default cpu)
  --threads N        cpu backend threads, 1 to ${MAX_THREADS} (default: every core; 1 per run when several runs share a machine)
  --out DIR          run directory (default runs/<preset>-<dataset>-seed<seed>; for an IDX file
                     <dataset> is idx-<file name>-<hash of the paths>)
  --downstream NAME  mnist | fashion-mnist | synthetic: fine-tune descendants and baselines there (fresh head);
                     the teacher, the learngenes and the pre-training stay on --dataset
  --downstream-size N  training examples of the downstream set (default: the preset's), e.g. 1000
  --teacher FILE     a timm-named ViT safetensors file to distil from instead of training a teacher
  --quiet            no progress bars (stage lines and the final table only)
  --help             this text
`;

export interface CliOptions {
  preset: Preset;
  data: DataSource;
  seed: number;
  out: string;
  backend: 'cpu' | 'gpujs';
  /** cpu backend threads (torch.set_num_threads); undefined: every core. */
  threads?: number;
  teacherFile?: string;
  quiet: boolean;
  downstream?: { data: DataSource; size?: number };
}

const STRING_FLAGS = ['preset', 'dataset', 'labels', 'model', 'depths', 'budget', 'seed', 'backend', 'threads', 'out', 'teacher', 'downstream', 'downstream-size'];
/** At most the bundled sets' 60,000 training images. */
export const MAX_DOWNSTREAM_SIZE = 60_000;

/** An existing regular file for `flag`. */
function inputFile(flag: string, path: string, what: string): void {
  if (path === '' || !existsSync(path)) fail(`${flag}: expected ${what}, got ${JSON.stringify(path)} (no such file)`);
  if (!statSync(path).isFile()) fail(`${flag}: expected ${what}, ${JSON.stringify(path)} is a directory or not a regular file`);
}

/** The default run directory of an IDX data set: its base name and a hash of both paths, so two sets never share one. */
function idxRunName(images: string, labels: string): string {
  const base = basename(images).replace(/\.gz$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40);
  const hash = createHash('sha256').update(`${resolve(images)}\0${resolve(labels)}`).digest('hex').slice(0, 8);
  return `idx-${base}-${hash}`;
}

/** Parses and validates every flag before anything is trained; returns null for --help. */
export function parseCli(argv: string[]): CliOptions | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: joinNegativeValues(argv, STRING_FLAGS), strict: true, allowPositionals: false,
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((k) => [k, { type: 'string' as const }])),
        quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail(`${(e as Error).message} (see --help)`);
  }
  if (values.help) return null;
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const presetName = str('preset') ?? 'quick';
  if (!Object.hasOwn(PRESETS, presetName)) fail(`--preset: expected one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(presetName)}`);
  const base = PRESETS[presetName as PresetName];
  const preset: Preset = { ...base, depths: [...base.depths], teacher: { ...base.teacher }, ancestry: { ...base.ancestry } };

  let data: DataSource;
  const dataset = str('dataset') ?? base.dataset;
  if (dataset === 'mnist' || dataset === 'fashion-mnist' || dataset === 'synthetic') {
    if (str('labels') !== undefined) fail(`--labels is only for an IDX --dataset path, not ${dataset}`);
    data = { kind: dataset as DatasetName };
  } else {
    inputFile('--dataset', dataset, 'mnist, fashion-mnist, synthetic or an existing IDX file');
    const labels = str('labels');
    if (labels === undefined) fail(`--dataset ${dataset}: an IDX image file needs --labels PATH`);
    inputFile('--labels', labels, 'an IDX label file');
    data = { kind: 'idx', images: dataset, labels };
  }
  const model = str('model');
  if (model !== undefined) {
    if (!Object.hasOwn(MODELS, model)) fail(`--model: expected one of ${Object.keys(MODELS).join(', ')}, got ${JSON.stringify(model)}`);
    preset.model = model as ModelName;
  }
  const depths = str('depths');
  if (depths !== undefined) {
    const list = depths.split(',').map((d) => integerFlag('--depths', d.trim(), 1, MAX_DEPTH));
    if (new Set(list).size !== list.length) fail(`--depths: expected distinct integers from 1 to ${MAX_DEPTH}, got ${JSON.stringify(depths)}`);
    preset.depths = list.sort((a, b) => a - b);
  }
  const budget = str('budget');
  if (budget !== undefined) {
    const epochs = /^(\d+)ep$/.exec(budget);
    const perEpoch = Math.floor(preset.trainLimit / preset.batchSize);
    preset.fineTuneSteps = epochs
      ? integerFlag('--budget', epochs[1]!, 1, Math.floor(MAX_BUDGET / perEpoch)) * perEpoch
      : integerFlag('--budget', budget, 1, MAX_BUDGET);
  }
  const seed = integerFlag('--seed', str('seed') ?? '0', 0, MAX_SEED);
  const backend = str('backend') ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'gpujs') fail(`--backend: expected cpu or gpujs, got ${JSON.stringify(backend)}`);
  const threadsFlag = str('threads');
  const threads = threadsFlag === undefined ? undefined : integerFlag('--threads', threadsFlag, 1, MAX_THREADS);
  if (threads !== undefined && backend !== 'cpu') fail(`--threads sets the cpu backend's threads; --backend ${backend} does not use them`);
  const teacherFile = str('teacher');
  if (teacherFile !== undefined) inputFile('--teacher', teacherFile, 'a timm-named ViT safetensors file');
  let downstream: CliOptions['downstream'];
  const down = str('downstream'), downSize = str('downstream-size');
  if (down !== undefined) {
    if (down !== 'mnist' && down !== 'fashion-mnist' && down !== 'synthetic') fail(`--downstream: expected mnist, fashion-mnist or synthetic, got ${JSON.stringify(down)}`);
    downstream = { data: { kind: down }, ...(downSize === undefined ? {} : { size: integerFlag('--downstream-size', downSize, 2, MAX_DOWNSTREAM_SIZE) }) };
  } else if (downSize !== undefined) {
    fail('--downstream-size needs --downstream NAME (the data set it sizes)');
  }
  const downName = downstream ? `-to-${downstream.data.kind}${downstream.size === undefined ? '' : `-${downstream.size}`}` : '';
  const out = str('out') ?? `runs/${preset.name}-${data.kind === 'idx' ? idxRunName(data.images, data.labels) : data.kind}${downName}-seed${seed}`;
  if (out.trim() === '') fail(`--out: expected a directory for the run, got ${JSON.stringify(out)}`);
  return { preset, data, seed, out, backend, ...(threads === undefined ? {} : { threads }), teacherFile, quiet: values.quiet === true, ...(downstream ? { downstream } : {}) };
}

/** gpujs picks webgpu when an adapter answers, else webasm; GPUJS_MODE=webasm|webgpu|cpu forces one. */
async function selectBackend(name: 'cpu' | 'gpujs'): Promise<void> {
  if (name === 'cpu') return;
  const mode = process.env.GPUJS_MODE as GpuMode | undefined;
  await setBackend(name, mode ? { mode } : {});
}

export async function main(argv: string[]): Promise<number> {
  try {
    const command = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? COMMANDS[argv[0]] : undefined;
    if (command) return (await command())(argv.slice(1), (line) => { process.stdout.write(`${line}\n`); });
    if (argv[0] !== undefined && !argv[0].startsWith('-')) {
      fail(`unknown command ${JSON.stringify(argv[0])}; expected ${Object.keys(COMMANDS).join(', ')}, or flags for the experiment (see --help)`);
    }
    const options = parseCli(argv);
    if (options === null) {
      process.stdout.write(HELP);
      return 0;
    }
    await selectBackend(options.backend);
    if (options.threads !== undefined) setNumThreads(options.threads);
    await runPipeline({ preset: options.preset, data: options.data, seed: options.seed, out: options.out, teacherFile: options.teacherFile, log: !options.quiet, downstream: options.downstream });
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`tleg: ${e.message}\n`);
      return 2;
    }
    if (e instanceof InterruptedError) {
      process.stderr.write(`tleg: ${e.message}\n`);
      return 130;
    }
    throw e;
  }
}

/** True when Node was started on this file: `node dist/tleg/cli.js`, or `tleg` through node_modules/.bin's symlink. */
function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// Run when executed directly, not when imported by a test.
if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    process.stderr.write(`tleg: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}

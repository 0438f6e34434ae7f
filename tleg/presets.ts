// Experiment presets (sizes and budgets of every stage) and the model architectures the CLI names.
//
// Budgets, measured (2-core AMD EPYC VM, Node 20, cpu backend, 2026-11-30): 'quick' (10,600 steps: teacher
// 1,000, Aux-Nets 2 × 600, per depth 2/4/6 six 100-step fine-tunes, 300-step scratch, 200 + 100
// pretrain-and-fine-tune, converged scratch ≤ 1,200 with a 2-rate sweep at depth 4) 5 min 47 s with the build
// on the idle machine; 'full' (depths 2/4/6/8; depth 10 left out so three seeds fit a session) 38.6–41.9 min a
// seed on one thread with another run on the other core; a 'quick' downstream run 6.4–9.7 min the same way.
// 'tiny' runs in seconds (CI).
import type { ViTConfig } from '../model/configs.js';

/** Architectures without depth (each stage sets its own) for 28×28 grey images, 10 classes. */
export const MODELS = {
  /** D 16, 2 heads, 7×7 patches (16 tokens): for tests. */
  'tleg-tiny': { imgSize: 28, inChans: 1, patchSize: 7, embedDim: 16, numHeads: 2, mlpRatio: 2, qkvBias: true, numClasses: 10, pool: 'avg', dropPathRate: 0, lnEps: 1e-6 },
  /** D 64, 4 heads, 7×7 patches (16 tokens). */
  'tleg-small': { imgSize: 28, inChans: 1, patchSize: 7, embedDim: 64, numHeads: 4, mlpRatio: 2, qkvBias: true, numClasses: 10, pool: 'avg', dropPathRate: 0, lnEps: 1e-6 },
  /** D 96, 4 heads, 4×4 patches (49 tokens). */
  'tleg-base': { imgSize: 28, inChans: 1, patchSize: 4, embedDim: 96, numHeads: 4, mlpRatio: 2, qkvBias: true, numClasses: 10, pool: 'avg', dropPathRate: 0.05, lnEps: 1e-6 },
} as const satisfies Record<string, Omit<ViTConfig, 'depth'>>;
export type ModelName = keyof typeof MODELS;

export type DatasetName = 'mnist' | 'fashion-mnist' | 'synthetic';

export interface StageBudget {
  depth: number;
  steps: number;
  lr: number;
}

export interface Preset {
  name: PresetName;
  dataset: DatasetName;
  model: ModelName;
  /** Training examples used (the first n of the split; class-balanced for the bundled sets). */
  trainLimit: number;
  /** Evaluation examples (the test split's first n; for an IDX file, its last n). */
  testLimit: number;
  batchSize: number;
  teacher: StageBudget;
  ancestry: StageBudget;
  /** Descendant depths, and the fine-tuning steps and lr of each descendant (and of the same-budget scratch baseline). */
  depths: readonly number[];
  fineTuneSteps: number;
  fineTuneLr: number;
  /** The long scratch baseline trains this many times the fine-tuning steps. */
  scratchMultiplier: number;
  /** Evaluations during each fine-tune (accuracy-vs-steps curve). */
  evalPoints: number;
  weightDecay: number;
  warmupFraction: number;
  // The paper's baselines (experiment v2).
  /** Share of the training set carved off as the validation split of converged scratch. */
  valFraction: number;
  /** Converged scratch: at most this many steps, evaluated every `convergedEvalEvery`, stopped after `patience` evaluations without a better validation accuracy. */
  convergedMaxSteps: number;
  convergedEvalEvery: number;
  patience: number;
  /** The learning rates of converged scratch's sweep, run at `sweepDepths`; the other depths use the nearest swept depth's choice. */
  lrSweep: readonly number[];
  sweepDepths: readonly number[];
  /** Pre-training steps per depth of pretrain-and-fine-tune (upstream data, its lr the teacher's). */
  pretrainSteps: number;
  /** Heur-LG: the teacher's last K blocks. */
  heurLgBlocks: number;
}

export const PRESETS = {
  tiny: {
    name: 'tiny', dataset: 'synthetic', model: 'tleg-tiny', trainLimit: 256, testLimit: 64, batchSize: 32,
    teacher: { depth: 2, steps: 8, lr: 2e-3 }, ancestry: { depth: 2, steps: 8, lr: 2e-3 },
    depths: [1, 2, 3], fineTuneSteps: 4, fineTuneLr: 1e-3, scratchMultiplier: 2, evalPoints: 2, weightDecay: 0.05, warmupFraction: 0.1,
    valFraction: 0.125, convergedMaxSteps: 12, convergedEvalEvery: 4, patience: 2, lrSweep: [1e-3, 3e-3], sweepDepths: [1, 3],
    pretrainSteps: 4, heurLgBlocks: 1,
  },
  quick: {
    name: 'quick', dataset: 'fashion-mnist', model: 'tleg-small', trainLimit: 24000, testLimit: 2000, batchSize: 64,
    teacher: { depth: 4, steps: 1000, lr: 2e-3 }, ancestry: { depth: 4, steps: 600, lr: 2e-3 },
    depths: [2, 4, 6], fineTuneSteps: 100, fineTuneLr: 1e-3, scratchMultiplier: 3, evalPoints: 4, weightDecay: 0.05, warmupFraction: 0.1,
    valFraction: 0.1, convergedMaxSteps: 1200, convergedEvalEvery: 100, patience: 3, lrSweep: [1e-3, 2e-3], sweepDepths: [4],
    pretrainSteps: 200, heurLgBlocks: 2,
  },
  full: {
    name: 'full', dataset: 'fashion-mnist', model: 'tleg-small', trainLimit: 60000, testLimit: 5000, batchSize: 64,
    teacher: { depth: 6, steps: 3000, lr: 1e-3 }, ancestry: { depth: 6, steps: 2000, lr: 1e-3 },
    depths: [2, 4, 6, 8], fineTuneSteps: 200, fineTuneLr: 5e-4, scratchMultiplier: 3, evalPoints: 4, weightDecay: 0.05, warmupFraction: 0.05,
    valFraction: 0.1, convergedMaxSteps: 3000, convergedEvalEvery: 200, patience: 3, lrSweep: [5e-4, 1e-3], sweepDepths: [6],
    pretrainSteps: 1000, heurLgBlocks: 2,
  },
} as const satisfies Record<string, Omit<Preset, 'name'> & { name: string }>;
export type PresetName = keyof typeof PRESETS;

export function modelConfig(name: ModelName, depth: number, numClasses: number): ViTConfig {
  return { ...MODELS[name], depth, numClasses };
}

/** Per-dataset normalisation (mean and std of the [0, 1] pixels). */
export const NORMALIZE: Record<string, { mean: number; std: number }> = {
  mnist: { mean: 0.1307, std: 0.3081 },
  'fashion-mnist': { mean: 0.286, std: 0.353 },
};

// Expansion: from a learngene to the block weights of a net of any depth.
//
//   TLEG (K = 1):      W_i = θ_B + c_i · θ_A,                  c_i = i / L   (layer 0 is θ_B)
//   K segments (exp.): W_i = θ_B[k] + (c_i − k/K) · θ_A[k],   k = clamp(floor(c_i · K), 0, K − 1)
//
// With K = 1 the two agree. With K = the ancestry depth every ancestry layer sits on its own segment start,
// so the Aux-Net trains K free blocks and a deeper descendant repeats each (stage-wise sharing).
// Coefficients outside [0, 1) extrapolate the line: beyond the paper, experimental.
import { checkOptions } from '../engine/index.js';
import { noGrad, type Tensor } from '../engine/index.js';
import type { ViTConfig } from '../model/configs.js';
import { VisionTransformer, type ViTOptions } from '../model/vit.js';
import { checkLearngene, type Learngene } from './learngene.js';

/** c_i = i / depth, i = 0..depth−1 (divided by depth, not depth − 1, as in the official code). */
export function defaultCoefficients(depth: number): number[] {
  if (!Number.isSafeInteger(depth) || depth < 1) throw new Error(`expandLearngene: depth must be an integer ≥ 1, got ${depth}`);
  return Array.from({ length: depth }, (_, i) => i / depth);
}

/** Which segment a coefficient falls in, and its offset from that segment's start. */
export function segmentOf(coefficient: number, segments: number): { k: number; offset: number } {
  const k = Math.min(segments - 1, Math.max(0, Math.floor(coefficient * segments)));
  return { k, offset: segments === 1 ? coefficient : coefficient - k / segments };
}

/**
 * The block tensors at one coefficient, differentiable in base and slope (the Aux-Net calls this on every forward).
 * Keys are the block tensor names without the `blocks.<i>.` prefix.
 */
export function blockAt(base: Record<string, Tensor>, slope: Record<string, Tensor>, coefficient: number, segments = 1): Record<string, Tensor> {
  const { k, offset } = segmentOf(coefficient, segments);
  const out: Record<string, Tensor> = {};
  for (const name of Object.keys(base)) {
    const b = segments > 1 ? base[name].select(0, k) : base[name];
    const a = segments > 1 ? slope[name].select(0, k) : slope[name];
    out[name] = b.add(a.mul(offset));
  }
  return out;
}

export interface ExpandOptions {
  /** One coefficient per block; defaults to i / depth. Values outside [0, 1) extrapolate (experimental). */
  coefficients?: number[];
  /** The descendant's number of classes; the head is left out of the state dict when it differs from the gene's. */
  numClasses?: number;
}

/**
 * A timm-named state dict for a descendant of `depth` blocks: the shared tensors copied and the blocks expanded.
 * Every tensor is a fresh copy, detached from the gene.
 */
export function expandLearngene(gene: Learngene, depth: number, options: ExpandOptions = {}): Record<string, Tensor> {
  checkOptions('expandLearngene', options, ['coefficients', 'numClasses']);
  checkLearngene(gene, 'expandLearngene');
  const coefficients = options.coefficients ?? defaultCoefficients(depth);
  if (coefficients.length !== depth) {
    throw new Error(`expandLearngene: ${depth} blocks need ${depth} coefficients, got ${coefficients.length}`);
  }
  coefficients.forEach((c, i) => {
    if (!Number.isFinite(c)) throw new Error(`expandLearngene: coefficient ${i} must be finite, got ${c}`);
  });
  const keepHead = options.numClasses === undefined || options.numClasses === gene.config.numClasses;
  return noGrad(() => {
    const state: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(gene.shared)) {
      if (!keepHead && name.startsWith('head.')) continue;
      state[name] = t.detach().clone();
    }
    coefficients.forEach((c, i) => {
      // add() makes a fresh tensor even at c = 0, so a descendant never aliases the gene.
      for (const [name, t] of Object.entries(blockAt(gene.base, gene.slope, c, gene.segments))) state[`blocks.${i}.${name}`] = t;
    });
    return state;
  });
}

/** The descendant config: the gene's architecture at a new depth, with optional changes (classes, drop path). */
export function descendantConfig(gene: Learngene, depth: number, overrides: Partial<ViTConfig> = {}): ViTConfig {
  const config: ViTConfig = { ...gene.config, ...overrides, depth };
  const fixed = ['embedDim', 'patchSize', 'imgSize', 'inChans', 'mlpRatio', 'qkvBias', 'pool'] as const;
  for (const k of fixed) {
    if (config[k] !== gene.config[k]) {
      throw new Error(`initDescendant: config.${k} must match the learngene's (${JSON.stringify(gene.config[k])}), got ${JSON.stringify(config[k])}`);
    }
  }
  return config;
}

export interface DescendantOptions extends ViTOptions {
  /** One coefficient per block (experimental beyond [0, 1)); defaults to i / depth. */
  coefficients?: number[];
}

/**
 * A descendant (Des-Net): an ordinary VisionTransformer of `depth` blocks whose weights come from the gene.
 * With a different numClasses in `config` the head keeps its fresh (timm) initialisation.
 */
export function initDescendant(gene: Learngene, depth: number, config: Partial<ViTConfig> = {}, options: DescendantOptions = {}): VisionTransformer {
  checkOptions('initDescendant', options, ['coefficients', 'dtype', 'generator', 'mlpFactory', 'blockFactory']);
  const cfg = descendantConfig(gene, depth, config);
  const dtype = options.dtype ?? Object.values(gene.base)[0]?.dtype ?? 'float32';
  const model = new VisionTransformer(cfg, { ...options, dtype });
  const state = expandLearngene(gene, depth, { coefficients: options.coefficients, numClasses: cfg.numClasses });
  const { missingKeys, unexpectedKeys } = model.loadStateDict(state, { strict: false });
  const unexplained = missingKeys.filter((k) => !k.startsWith('head.'));
  if (unexplained.length > 0 || unexpectedKeys.length > 0) {
    throw new Error(`initDescendant: the expanded state does not fit the descendant: missing ${JSON.stringify(unexplained)}, unexpected ${JSON.stringify(unexpectedKeys)}`);
  }
  return model;
}

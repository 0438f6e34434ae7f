// Initialisers shared by the layers, as timm's ViT: trunc-normal(std .02) weights, zero biases,
// LayerNorm gain 1 and shift 0. Every draw goes through an explicit Generator, so a seed fixes a model.
import { checkOptions, defaultGenerator, full, truncNormal, type DType, type Generator, type Tensor } from '../../engine/index.js';

/** What every layer constructor accepts: the dtype of its parameters and the generator they are drawn from. */
export interface InitOptions {
  dtype?: DType;
  generator?: Generator;
}

/** Rejects option keys a layer does not know (a misspelt key would otherwise be ignored silently). */
export function checkLayerOptions(layer: string, options: object | undefined, keys: readonly string[]): void {
  checkOptions(layer, options, ['dtype', 'generator', ...keys]);
}

/** Only the init options, for a child layer that takes no others. */
export function initOf(options: InitOptions): InitOptions {
  return { dtype: options.dtype, generator: options.generator };
}

/** timm's trunc_normal_(std=.02): normal(0, std) redrawn outside the absolute bounds [−2, 2]. */
export function truncNormalInit(shape: readonly number[], options: InitOptions & { std?: number } = {}): Tensor {
  return truncNormal(shape, {
    std: options.std ?? 0.02, a: -2, b: 2, dtype: options.dtype ?? 'float32', generator: options.generator ?? defaultGenerator,
  });
}

export function constantInit(shape: readonly number[], value: number, options: InitOptions = {}): Tensor {
  return full(shape, value, { dtype: options.dtype ?? 'float32' });
}

export function checkPositiveInt(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${where}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

export function checkProbability(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new Error(`${where}: ${name} must be a number in [0, 1), got ${String(v)}`);
  return v;
}

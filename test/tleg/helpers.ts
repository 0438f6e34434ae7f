// Small configs and random genes for the TLEG tests.
import { Generator, randn, type DType, type Tensor } from '../../engine/index.js';
import type { ViTConfig } from '../../model/configs.js';
import { blockShapes, sharedShapes, type Learngene } from '../../tleg/index.js';

/** img 8, patch 4 (4 tokens), D 16, 2 heads, mlp 4, 5 classes: small enough for float64 finite differences. */
export function tinyConfig(overrides: Partial<ViTConfig> = {}): ViTConfig {
  return {
    imgSize: 8, inChans: 1, patchSize: 4, embedDim: 16, depth: 3, numHeads: 2, mlpRatio: 4, qkvBias: true,
    numClasses: 5, pool: 'avg', dropPathRate: 0, lnEps: 1e-6, ...overrides,
  };
}

/** Every tensor random (std 0.2, LayerNorm gains around 1), so no term of the expansion vanishes. */
export function randomGene(config: ViTConfig, options: { dtype?: DType; segments?: number; seed?: number } = {}): Learngene {
  const dtype = options.dtype ?? 'float32', segments = options.segments ?? 1;
  const generator = new Generator(options.seed ?? 0);
  const draw = (name: string, shape: number[], isSlope = false): Tensor => {
    const gain = !isSlope && /(^|\.)norm\d?\.weight$/.test(name);
    return randn(shape, { std: 0.2, mean: gain ? 1 : 0, dtype, generator });
  };
  const gene: Learngene = { config, base: {}, slope: {}, shared: {}, segments };
  for (const [name, shape0] of Object.entries(blockShapes(config))) {
    const shape = segments > 1 ? [segments, ...shape0] : shape0;
    gene.base[name] = draw(name, shape);
    gene.slope[name] = draw(name, shape, true);
  }
  for (const [name, shape] of Object.entries(sharedShapes(config))) gene.shared[name] = draw(name, shape);
  return gene;
}

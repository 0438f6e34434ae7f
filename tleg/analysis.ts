// The paper's linearity analysis: how well a straight line through a trained net's blocks explains each
// block tensor. Per tensor, per element, least squares over the blocks with x_i = i / L:
//   θ_A = Σ (x_i − x̄)(W_i − W̄) / Σ (x_i − x̄)²,   θ_B = W̄ − θ_A x̄
// and per tensor R² = 1 − SS_res / SS_tot (sums over elements and blocks; 1 when SS_tot = 0, a constant
// being a line) and the relative residual ‖W − (θ_B + x θ_A)‖ / ‖W‖.
// Piecewise (K segments, experimental): the same fit on each segment's blocks with x_i = c_i − k/K (the
// expansion's convention, expand.ts); a segment holding one block gets slope 0 and that block as base.
// SS_tot stays around the mean over all blocks, so R² compares with the one-line fit's.
import { sameShape, tensor, type Tensor } from '../engine/index.js';
import type { ViTConfig } from '../model/configs.js';
import { segmentOf } from './expand.js';
import { blockTensorNames, checkLearngene, sharedShapes, type Learngene } from './learngene.js';

export interface LineFit {
  r2: number;
  relativeResidual: number;
}

export interface LearngeneFit {
  gene: Learngene;
  /** Per block tensor name (e.g. 'attn.qkv.weight'). */
  fits: Record<string, LineFit>;
  /** Over all expanded tensors together. */
  overall: LineFit;
}

type StateLike = Map<string, Tensor> | Record<string, Tensor>;

/** Number of blocks in a timm-named state dict: the `blocks.<i>.` prefixes, which must run 0..L−1. */
export function countBlocks(state: Map<string, Tensor>): number {
  const seen = new Set<number>();
  for (const key of state.keys()) {
    const m = /^blocks\.(\d+)\./.exec(key);
    if (m) seen.add(Number(m[1]));
  }
  const depth = seen.size;
  for (let i = 0; i < depth; i++) {
    if (!seen.has(i)) throw new Error(`fitLearngene: block indices must run 0..${depth - 1}, got ${JSON.stringify([...seen].sort((a, b) => a - b))}`);
  }
  return depth;
}

/** The architecture implied by a timm-named ViT state dict; numHeads cannot be read from shapes (default embedDim / 64, at least 1). */
export function inferConfig(state: Map<string, Tensor>, overrides: Partial<ViTConfig> = {}): ViTConfig {
  const need = (k: string): Tensor => {
    const t = state.get(k);
    if (!t) throw new Error(`fitLearngene: the state dict has no "${k}"; expected a timm-named ViT (DeiT) state dict`);
    return t;
  };
  const patch = need('patch_embed.proj.weight').shape; // [D, C, p, p]
  const pos = need('pos_embed').shape; // [1, tokens, D]
  const embedDim = patch[0], cls = state.has('cls_token');
  const gridTokens = pos[1] - (cls ? 1 : 0);
  const fc1 = need('blocks.0.mlp.fc1.weight').shape;
  const head = state.get('head.weight');
  const config: ViTConfig = {
    imgSize: Math.round(Math.sqrt(gridTokens)) * patch[2], inChans: patch[1], patchSize: patch[2], embedDim,
    depth: countBlocks(state), numHeads: Math.max(1, Math.floor(embedDim / 64)), mlpRatio: fc1[0] / embedDim,
    qkvBias: state.has('blocks.0.attn.qkv.bias'), numClasses: head ? head.shape[0] : 0, pool: cls ? 'cls' : 'avg', ...(state.has('fc_norm.weight') ? { fcNorm: true } : {}),
    dropPathRate: 0, lnEps: 1e-6,
  };
  return { ...config, ...overrides };
}

/** Moved to model/io (the tensor-returning safetensors loader beside readSafetensors); kept here for existing imports. */
export { readStateDict } from '../model/io/index.js';

function values(t: Tensor): Float64Array {
  return Float64Array.from(t.contiguous().toTypedArray());
}

/**
 * Fits TLEG's line through the blocks of a trained ViT state dict (any depth ≥ 2, e.g. one read from a
 * PyTorch safetensors file). The gene's dtype follows the state dict's; its shared tensors are copies.
 * With `segments` K > 1 (at most the depth) each segment gets its own line: a piecewise-linear gene.
 */
export function fitLearngene(stateDict: StateLike, options: { config?: Partial<ViTConfig>; segments?: number } = {}): LearngeneFit {
  const state = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
  const depth = countBlocks(state);
  if (depth < 2) {
    throw new Error(`fitLearngene: a line needs at least 2 blocks, the state dict has ${depth} (${depth === 1 ? 'blocks.0.* only' : 'no blocks.<i>.* keys'})`);
  }
  const segments = options.segments ?? 1;
  if (!Number.isSafeInteger(segments) || segments < 1 || segments > depth) {
    throw new Error(`fitLearngene: segments must be an integer from 1 to the depth ${depth} (each segment needs a block), got ${segments}`);
  }
  const config = inferConfig(state, options.config);
  // Per segment: its blocks and their offsets x_i from the segment's start.
  const groups = Array.from({ length: segments }, () => ({ blocks: [] as number[], xs: [] as number[] }));
  for (let i = 0; i < depth; i++) {
    const { k, offset } = segmentOf(i / depth, segments);
    groups[k].blocks.push(i);
    groups[k].xs.push(offset);
  }
  const empty = groups.findIndex((g) => g.blocks.length === 0);
  if (empty >= 0) throw new Error(`fitLearngene: segment ${empty} of ${segments} holds no block of ${depth}`);
  const gene: Learngene = { config, base: {}, slope: {}, shared: {}, segments };
  const fits: Record<string, LineFit> = {};
  let allRes = 0, allTot = 0, allSq = 0;
  for (const name of blockTensorNames(config)) {
    const layers: Float64Array[] = [];
    let dtype: Tensor['dtype'] = 'float32', shape: number[] = [];
    for (let i = 0; i < depth; i++) {
      const t = state.get(`blocks.${i}.${name}`);
      if (!t) throw new Error(`fitLearngene: missing "blocks.${i}.${name}"`);
      if (i > 0 && !sameShape(t.shape, shape)) {
        throw new Error(`fitLearngene: "blocks.${i}.${name}" has shape [${t.shape.join(', ')}], block 0 has [${shape.join(', ')}]`);
      }
      dtype = t.dtype; shape = t.shape;
      layers.push(values(t));
    }
    const n = layers[0].length;
    const base = new Float64Array(segments * n), slope = new Float64Array(segments * n);
    let ssRes = 0, ssTot = 0, sq = 0;
    for (let e = 0; e < n; e++) {
      let yMean = 0;
      for (let i = 0; i < depth; i++) yMean += layers[i][e];
      yMean /= depth;
      for (let i = 0; i < depth; i++) {
        ssTot += (layers[i][e] - yMean) ** 2;
        sq += layers[i][e] ** 2;
      }
      groups.forEach(({ blocks, xs }, k) => {
        const m = blocks.length;
        const xMean = xs.reduce((s, x) => s + x, 0) / m;
        let segMean = 0;
        for (const i of blocks) segMean += layers[i][e];
        segMean /= m;
        let sxy = 0, sxx = 0;
        xs.forEach((x, j) => {
          sxy += (x - xMean) * (layers[blocks[j]][e] - segMean);
          sxx += (x - xMean) ** 2;
        });
        const a = m === 1 ? 0 : sxy / sxx, b = segMean - a * xMean;
        slope[k * n + e] = a; base[k * n + e] = b;
        xs.forEach((x, j) => { ssRes += (layers[blocks[j]][e] - (b + x * a)) ** 2; });
      });
    }
    fits[name] = lineFit(ssRes, ssTot, sq);
    allRes += ssRes; allTot += ssTot; allSq += sq;
    const geneShape = segments > 1 ? [segments, ...shape] : shape;
    const cast = (a: Float64Array): Tensor => tensor(dtype === 'float64' ? a : Float32Array.from(a), { shape: geneShape, dtype });
    gene.base[name] = cast(base);
    gene.slope[name] = cast(slope);
  }
  // Only the tensors a TLEG ViT shares (timm extras such as fc_norm or head_dist are not part of a gene).
  for (const key of Object.keys(sharedShapes(config))) {
    const t = state.get(key);
    if (t) gene.shared[key] = t.detach().clone();
  }
  checkLearngene(gene, 'fitLearngene');
  return { gene, fits, overall: lineFit(allRes, allTot, allSq) };
}

function lineFit(ssRes: number, ssTot: number, sq: number): LineFit {
  return { r2: ssTot === 0 ? 1 : 1 - ssRes / ssTot, relativeResidual: sq === 0 ? 0 : Math.sqrt(ssRes / sq) };
}

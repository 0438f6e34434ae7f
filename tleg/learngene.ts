// The learngene: per expanded block tensor a pair (θ_B base, θ_A slope), plus the tensors shared by every
// depth (patch embedding, position embedding, cls token, final norm, head), and its one-file format.
//
// Block i of a net with L blocks uses θ_B + (i / L) · θ_A (TLEG, Xia et al., AAAI 2024).
// Piecewise-linear genes (experimental, beyond the paper) carry K segments: base and slope get a leading
// axis of size K and segment k covers x ∈ [k/K, (k+1)/K) (see expand.ts).
import { sameShape, tensor, zeros, ones, type Generator, type Tensor, type DType } from '../engine/index.js';
import { truncNormalInit } from '../model/layers/init.js';
import { parseSafetensors, serializeSafetensors } from '../model/io/safetensors.js';
import type { RawTensor } from '../model/io/raw-tensor.js';
import { validateViTConfig, type ViTConfig } from '../model/configs.js';

/** The block tensors TLEG expands, by their timm names inside `blocks.<i>.`. */
export const BLOCK_TENSORS = [
  'norm1.weight', 'norm1.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight', 'attn.proj.bias',
  'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias',
] as const;
export type BlockTensorName = (typeof BLOCK_TENSORS)[number];

export interface Learngene {
  /** The architecture of the auxiliary net the gene was trained in; `depth` is the ancestry depth. */
  config: ViTConfig;
  base: Record<string, Tensor>;
  slope: Record<string, Tensor>;
  /** Non-expanded tensors under their timm names (patch_embed.*, pos_embed, cls_token, norm.*, head.*). */
  shared: Record<string, Tensor>;
  /** Number of linear segments; 1 is TLEG. */
  segments: number;
}

/** The expanded tensors of a config (attn.qkv.bias only when qkvBias). */
export function blockTensorNames(config: ViTConfig): BlockTensorName[] {
  return BLOCK_TENSORS.filter((n) => n !== 'attn.qkv.bias' || config.qkvBias);
}

export function blockShapes(config: ViTConfig): Record<string, number[]> {
  const d = config.embedDim, hidden = Math.floor(config.embedDim * config.mlpRatio);
  const all: Record<BlockTensorName, number[]> = {
    'norm1.weight': [d], 'norm1.bias': [d], 'attn.qkv.weight': [3 * d, d], 'attn.qkv.bias': [3 * d],
    'attn.proj.weight': [d, d], 'attn.proj.bias': [d], 'norm2.weight': [d], 'norm2.bias': [d],
    'mlp.fc1.weight': [hidden, d], 'mlp.fc1.bias': [hidden], 'mlp.fc2.weight': [d, hidden], 'mlp.fc2.bias': [d],
  };
  return Object.fromEntries(blockTensorNames(config).map((n) => [n, all[n]]));
}

export function sharedShapes(config: ViTConfig): Record<string, number[]> {
  const d = config.embedDim, p = config.patchSize;
  const tokens = (config.imgSize / p) ** 2 + (config.pool === 'cls' ? 1 : 0);
  const shapes: Record<string, number[]> = {};
  if (config.pool === 'cls') shapes['cls_token'] = [1, 1, d];
  shapes['pos_embed'] = [1, tokens, d];
  shapes['patch_embed.proj.weight'] = [d, config.inChans, p, p];
  shapes['patch_embed.proj.bias'] = [d];
  shapes['norm.weight'] = [d];
  shapes['norm.bias'] = [d];
  if (config.numClasses > 0) {
    shapes['head.weight'] = [config.numClasses, d];
    shapes['head.bias'] = [config.numClasses];
  }
  return shapes;
}

/**
 * TLEG's initialisation of the expanded pairs: Linear weights (base and slope) truncated normal, std 0.02;
 * LayerNorm base weight 1 and slope 0; every bias 0. Shapes get a leading [segments] axis when segments > 1.
 */
export function initGenePairs(config: ViTConfig, options: { generator?: Generator; dtype?: DType; segments?: number } = {}):
  { base: Record<string, Tensor>; slope: Record<string, Tensor> } {
  const segments = options.segments ?? 1, dtype = options.dtype ?? 'float32', generator = options.generator;
  const base: Record<string, Tensor> = {}, slope: Record<string, Tensor> = {};
  for (const [name, shape0] of Object.entries(blockShapes(config))) {
    const shape = segments > 1 ? [segments, ...shape0] : shape0;
    const isNorm = name.startsWith('norm');
    if (name.endsWith('.bias')) {
      base[name] = zeros(shape, { dtype });
      slope[name] = zeros(shape, { dtype });
    } else if (isNorm) {
      base[name] = ones(shape, { dtype });
      slope[name] = zeros(shape, { dtype });
    } else {
      base[name] = truncNormalInit(shape, { std: 0.02, generator, dtype });
      slope[name] = truncNormalInit(shape, { std: 0.02, generator, dtype });
    }
  }
  return { base, slope };
}

// ---- file format --------------------------------------------------------------------------------

const FORMAT = 'tleg-learngene';
const VERSION = '1';

function toRaw(t: Tensor): RawTensor {
  const dtype = t.dtype;
  const data = t.contiguous().toTypedArray();
  return { dtype, shape: t.shape, data: data.slice() as RawTensor['data'] };
}

/** One safetensors file: `<tensor>.base`, `<tensor>.slope`, the shared tensors by timm name, config in __metadata__. */
/** The learngene as the bytes of its safetensors file (write them to disk, or hand them to a page). */
export function serializeLearngene(gene: Learngene, where = 'serializeLearngene'): Uint8Array {
  checkLearngene(gene, where);
  const tensors: Record<string, RawTensor> = {};
  for (const name of Object.keys(gene.base)) {
    tensors[`${name}.base`] = toRaw(gene.base[name]);
    tensors[`${name}.slope`] = toRaw(gene.slope[name]);
  }
  for (const [name, t] of Object.entries(gene.shared)) tensors[name] = toRaw(t);
  return serializeSafetensors(tensors, { format: FORMAT, version: VERSION, config: JSON.stringify(gene.config), segments: String(gene.segments) });
}

/** A learngene from the bytes of its file (read from disk, or fetched over HTTP); `where` names it in errors. */
export function parseLearngene(bytes: Uint8Array | ArrayBuffer, where = 'parseLearngene'): Learngene {
  const file = parseSafetensors(bytes, where);
  const meta = file.metadata;
  if (meta['format'] !== FORMAT) {
    throw new Error(`${where}: expected __metadata__.format "${FORMAT}", got ${JSON.stringify(meta['format'])} (not a learngene file?)`);
  }
  if (meta['version'] !== VERSION) throw new Error(`${where}: expected format version ${VERSION}, got ${JSON.stringify(meta['version'])}`);
  let config: ViTConfig;
  try {
    config = JSON.parse(meta['config'] ?? '') as ViTConfig;
  } catch {
    throw new Error(`${where}: __metadata__.config is not valid JSON: ${JSON.stringify(meta['config'])}`);
  }
  const segments = Number(meta['segments'] ?? '1');
  const gene: Learngene = { config, base: {}, slope: {}, shared: {}, segments };
  const used = new Set<string>();
  const take = (key: string): Tensor => {
    const raw = file.tensors.get(key);
    if (raw === undefined) throw new Error(`${where}: missing tensor "${key}" (the config ${describeConfig(config)} needs it)`);
    used.add(key);
    return tensor(raw.data, { shape: raw.shape, dtype: raw.dtype });
  };
  checkConfigShape(config, segments, where);
  for (const name of blockTensorNames(config)) {
    gene.base[name] = take(`${name}.base`);
    gene.slope[name] = take(`${name}.slope`);
  }
  for (const name of Object.keys(sharedShapes(config))) gene.shared[name] = take(name);
  const extra = [...file.tensors.keys()].filter((k) => !used.has(k));
  if (extra.length > 0) throw new Error(`${where}: unexpected tensors ${JSON.stringify(extra)} for config ${describeConfig(config)}`);
  checkLearngene(gene, where);
  return gene;
}

function describeConfig(c: ViTConfig): string {
  return `{embedDim ${c.embedDim}, depth ${c.depth}, mlpRatio ${c.mlpRatio}, patchSize ${c.patchSize}, imgSize ${c.imgSize}, pool ${c.pool}, numClasses ${c.numClasses}}`;
}

function checkConfigShape(c: ViTConfig, segments: number, where: string): void {
  if (c === null || typeof c !== 'object') throw new Error(`${where}: config must be an object, got ${JSON.stringify(c)}`);
  validateViTConfig(c, where);
  if (!Number.isSafeInteger(segments) || segments < 1) throw new Error(`${where}: segments must be a positive integer, got ${segments}`);
}

/** Shapes and names of a gene against its config; the error names the tensor, the expected and the received shape. */
export function checkLearngene(gene: Learngene, where: string): void {
  checkConfigShape(gene.config, gene.segments, where);
  const seg = gene.segments > 1 ? [gene.segments] : [];
  const expect = (kind: string, got: Record<string, Tensor>, shapes: Record<string, number[]>, prefix: number[]): void => {
    for (const [name, shape0] of Object.entries(shapes)) {
      const t = got[name];
      const shape = [...prefix, ...shape0];
      if (t === undefined) throw new Error(`${where}: ${kind} tensor "${name}" is missing (config ${describeConfig(gene.config)})`);
      if (!sameShape(t.shape, shape)) {
        throw new Error(`${where}: ${kind} tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] for config ${describeConfig(gene.config)}`);
      }
    }
    const extra = Object.keys(got).filter((n) => !(n in shapes));
    if (extra.length > 0) throw new Error(`${where}: unexpected ${kind} tensors ${JSON.stringify(extra)}`);
  };
  expect('base', gene.base, blockShapes(gene.config), seg);
  expect('slope', gene.slope, blockShapes(gene.config), seg);
  expect('shared', gene.shared, sharedShapes(gene.config), []);
}

/** Number of stored values: what keeping this gene costs, against a whole model per depth. */
export function learngeneSize(gene: Learngene): number {
  let n = 0;
  for (const part of [gene.base, gene.slope, gene.shared]) for (const t of Object.values(part)) n += t.size;
  return n;
}

// ViT configurations: the fields, their validation, the named presets (timm's DeiT sizes and small
// models for 28×28 grey images) and a parameter count by formula (no allocation).

export type Pool = 'cls' | 'avg';

export interface ViTConfig {
  imgSize: number;
  inChans: number;
  patchSize: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  /** Hidden width of the MLP is floor(embedDim · mlpRatio), as timm. */
  mlpRatio: number;
  qkvBias: boolean;
  /** 0 gives no head: forward returns the pooled features. */
  numClasses: number;
  /** 'cls': a class token is prepended and read out; 'avg': no class token, tokens are averaged. */
  pool: Pool;
  /**
   * timm's fc_norm, with 'avg' pooling only: true puts the final LayerNorm after the token mean, under the name
   * `fc_norm` (timm's global_pool='avg', class_token=False); false (the default) applies `norm` to every token
   * before the mean.
   */
  fcNorm?: boolean;
  /** Stochastic depth at the last block; block i uses dropPathRate · i / (depth − 1). */
  dropPathRate: number;
  /** Dropout after the position embedding, attention proj and in the MLP (0 by default). */
  dropRate?: number;
  /** LayerNorm eps (timm's ViT: 1e-6). */
  lnEps: number;
}

const DEFAULTS: Omit<ViTConfig, 'imgSize' | 'inChans' | 'patchSize' | 'embedDim' | 'depth' | 'numHeads' | 'numClasses'> = {
  mlpRatio: 4, qkvBias: true, pool: 'cls', fcNorm: false, dropPathRate: 0, dropRate: 0, lnEps: 1e-6,
};

/** timm's VisionTransformer() defaults (ViT-B/16 at 224 px, 1000 classes): a missing config key takes these. */
export const TIMM_VIT_DEFAULTS: Readonly<ViTConfig> = {
  ...DEFAULTS, imgSize: 224, inChans: 3, patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, numClasses: 1000,
};

const deit = (embedDim: number, numHeads: number): ViTConfig => ({
  ...DEFAULTS, imgSize: 224, inChans: 3, patchSize: 16, embedDim, depth: 12, numHeads, numClasses: 1000, dropPathRate: 0.1,
});
const mnist = (embedDim: number, depth: number, numHeads: number): ViTConfig => ({
  ...DEFAULTS, imgSize: 28, inChans: 1, patchSize: 4, embedDim, depth, numHeads, numClasses: 10,
});

/** Named presets. deit_*: timm's deit_{tiny,small,base}_patch16_224; mnist_*: 28×28×1, 7×7 patches of 4 px. */
export const VIT_CONFIGS = {
  deit_tiny: deit(192, 3),
  deit_small: deit(384, 6),
  deit_base: deit(768, 12),
  mnist_tiny: mnist(64, 6, 4),
  mnist_small: mnist(128, 12, 4),
} as const satisfies Record<string, ViTConfig>;

export type ViTConfigName = keyof typeof VIT_CONFIGS;

const FIELDS: (keyof ViTConfig)[] = [
  'imgSize', 'inChans', 'patchSize', 'embedDim', 'depth', 'numHeads', 'mlpRatio', 'qkvBias', 'numClasses', 'pool', 'fcNorm', 'dropPathRate', 'dropRate', 'lnEps',
];

/** The config with every missing (or undefined) key set to timm's default. */
export function withTimmDefaults(config: Partial<ViTConfig>): ViTConfig {
  const out: Record<string, unknown> = { ...TIMM_VIT_DEFAULTS };
  for (const [k, v] of Object.entries(config)) if (v !== undefined) out[k] = v;
  return out as unknown as ViTConfig;
}

/**
 * Fills missing keys with timm's defaults (TIMM_VIT_DEFAULTS) and returns the full config; throws one error
 * naming every invalid field, with what was expected and what came.
 */
export function validateViTConfig(partial: Partial<ViTConfig>, where = 'ViTConfig'): ViTConfig {
  if (partial === null || typeof partial !== 'object') throw new Error(`${where}: expected a config object, got ${String(partial)}`);
  const config = withTimmDefaults(partial);
  const c = config as unknown as Record<string, unknown>;
  const errors: string[] = [];
  const posInt = (k: string) => {
    if (typeof c[k] !== 'number' || !Number.isInteger(c[k]) || (c[k] as number) <= 0) errors.push(`${k} must be a positive integer, got ${String(c[k])}`);
  };
  for (const k of ['imgSize', 'inChans', 'patchSize', 'embedDim', 'depth', 'numHeads']) posInt(k);
  if (typeof c.numClasses !== 'number' || !Number.isInteger(c.numClasses) || c.numClasses < 0) errors.push(`numClasses must be a non-negative integer, got ${String(c.numClasses)}`);
  if (typeof c.mlpRatio !== 'number' || !(c.mlpRatio > 0) || !Number.isFinite(c.mlpRatio)) errors.push(`mlpRatio must be a positive number, got ${String(c.mlpRatio)}`);
  else if (Math.floor(config.embedDim * config.mlpRatio) < 1) errors.push(`embedDim · mlpRatio must be at least 1, got ${config.embedDim} · ${config.mlpRatio}`);
  if (typeof c.qkvBias !== 'boolean') errors.push(`qkvBias must be a boolean, got ${String(c.qkvBias)}`);
  if (c.pool !== 'cls' && c.pool !== 'avg') errors.push(`pool must be 'cls' or 'avg', got ${JSON.stringify(c.pool)}`);
  if (typeof c.fcNorm !== 'boolean') errors.push(`fcNorm must be a boolean, got ${String(c.fcNorm)}`);
  else if (c.fcNorm && c.pool !== 'avg') errors.push(`fcNorm (timm's fc_norm) needs pool 'avg', got pool ${JSON.stringify(c.pool)}`);
  for (const k of ['dropPathRate', 'dropRate']) {
    if (c[k] !== undefined && (typeof c[k] !== 'number' || !((c[k] as number) >= 0 && (c[k] as number) < 1))) errors.push(`${k} must be in [0, 1), got ${String(c[k])}`);
  }
  if (typeof c.lnEps !== 'number' || !(c.lnEps >= 0)) errors.push(`lnEps must be a non-negative number, got ${String(c.lnEps)}`);
  if (Number.isInteger(config.embedDim) && Number.isInteger(config.numHeads) && config.numHeads > 0 && config.embedDim % config.numHeads !== 0) {
    errors.push(`embedDim ${config.embedDim} must be divisible by numHeads ${config.numHeads}`);
  }
  if (Number.isInteger(config.imgSize) && Number.isInteger(config.patchSize) && config.patchSize > 0 && config.imgSize % config.patchSize !== 0) {
    errors.push(`imgSize ${config.imgSize} must be divisible by patchSize ${config.patchSize}`);
  }
  const unknown = Object.keys(partial).filter((k) => !FIELDS.includes(k as keyof ViTConfig));
  if (unknown.length) errors.push(`unknown field(s) ${unknown.join(', ')} (known: ${FIELDS.join(', ')})`);
  if (errors.length) throw new Error(`${where}: invalid config:\n  ${errors.join('\n  ')}`);
  return config;
}

/** A named preset with fields overridden, validated: vitConfig('mnist_tiny', { numClasses: 10, depth: 4 }). */
export function vitConfig(name: ViTConfigName, overrides: Partial<ViTConfig> = {}): ViTConfig {
  const base = (VIT_CONFIGS as Record<string, ViTConfig>)[name];
  if (!base) throw new Error(`vitConfig: unknown config ${JSON.stringify(name)}; known: ${Object.keys(VIT_CONFIGS).join(', ')}`);
  return validateViTConfig({ ...base, ...overrides }, `vitConfig('${name}')`);
}

/** Number of tokens the blocks see: patches, plus one class token with cls pooling. */
export function numTokens(config: ViTConfig): number {
  return (config.imgSize / config.patchSize) ** 2 + (config.pool === 'cls' ? 1 : 0);
}

/** The parameter count of a VisionTransformer with this config (standard MLP), computed without allocating. */
export function countViTParameters(partial: Partial<ViTConfig>): number {
  const config = validateViTConfig(partial);
  const { embedDim: d, inChans: c, patchSize: p, depth, numClasses } = config;
  const hidden = Math.floor(d * config.mlpRatio);
  const patchEmbed = d * c * p * p + d;
  const tokens = (config.pool === 'cls' ? d : 0) + numTokens(config) * d;
  const block = 2 * d + (3 * d * d + (config.qkvBias ? 3 * d : 0)) + (d * d + d) + 2 * d + (hidden * d + hidden) + (d * hidden + d);
  const head = 2 * d + (numClasses > 0 ? numClasses * d + numClasses : 0);
  return patchEmbed + tokens + depth * block + head;
}

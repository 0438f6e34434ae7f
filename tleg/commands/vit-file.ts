// A timm-named ViT checkpoint read for the commands: its config (from __metadata__.config as this library
// writes it, else inferred from the shapes) and a check that every tensor is where that config puts it.
import { tensor, type Tensor } from '../../engine/index.js';
import { validateViTConfig, type ViTConfig } from '../../model/configs.js';
import type { Safetensors } from '../../model/io/index.js';
import { inferConfig } from '../analysis.js';
import { blockShapes, sharedShapes } from '../learngene.js';
import { fail } from './cli-error.js';

export interface VitFile {
  config: ViTConfig;
  /** Where the config came from; numHeads cannot be read from shapes. */
  configSource: 'metadata' | 'shapes';
  state: Map<string, Tensor>;
}

export function vitState(file: Safetensors): Map<string, Tensor> {
  return new Map([...file.tensors].map(([k, raw]) => [k, tensor(raw.data, { shape: raw.shape, dtype: raw.dtype })]));
}

/** The config of a ViT file; usage errors name the file. `numHeads` overrides the stored or default value. */
export function readVitFile(command: string, path: string, file: Safetensors, numHeads?: number): VitFile {
  const state = vitState(file);
  const where = `${command}: ${path}`;
  let config: ViTConfig;
  let configSource: VitFile['configSource'] = 'shapes';
  const stored = file.metadata['config'];
  try {
    if (stored !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(stored);
      } catch {
        return fail(`${where}: __metadata__.config is not valid JSON: ${JSON.stringify(stored.slice(0, 80))}`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) fail(`${where}: __metadata__.config must be a JSON object, got ${stored.slice(0, 80)}`);
      config = parsed as ViTConfig;
      configSource = 'metadata';
    } else {
      config = inferConfig(state);
    }
    if (numHeads !== undefined) config = { ...config, numHeads };
    validateViTConfig(config, where);
  } catch (e) {
    return fail((e as Error).message.startsWith(command) ? (e as Error).message : `${where}: ${(e as Error).message}`);
  }
  return { config, configSource, state };
}

/** Every difference between the file's tensors and the layout its config implies (empty when it fits). */
export function layoutProblems(config: ViTConfig, state: Map<string, Tensor>): string[] {
  const expected = new Map<string, number[]>(Object.entries(sharedShapes(config)));
  for (let i = 0; i < config.depth; i++) {
    for (const [name, shape] of Object.entries(blockShapes(config))) expected.set(`blocks.${i}.${name}`, shape);
  }
  const problems: string[] = [];
  const missing = [...expected.keys()].filter((k) => !state.has(k));
  const unexpected = [...state.keys()].filter((k) => !expected.has(k));
  const list = (keys: string[]): string => `${keys.slice(0, 6).map((k) => JSON.stringify(k)).join(', ')}${keys.length > 6 ? `, … (${keys.length})` : ''}`;
  if (missing.length > 0) problems.push(`missing ${list(missing)}`);
  if (unexpected.length > 0) {
    const timmExtras = unexpected.filter((k) => /^(fc_norm|head_dist|dist_token|reg_token|norm_pre|attn_pool)\b/.test(k) || /\.(ls[12]|q_norm|k_norm)\./.test(k));
    problems.push(`unexpected ${list(unexpected)}${timmExtras.length > 0 ? ' (timm options the learngene tools do not handle: fc_norm, distillation token, register tokens, layer scale, qk-norm)' : ''}`);
  }
  for (const [k, shape] of expected) {
    const t = state.get(k);
    if (t && t.shape.join() !== shape.join()) problems.push(`"${k}" has shape [${t.shape.join(', ')}], the config needs [${shape.join(', ')}]`);
  }
  return problems;
}

/** One line: the architecture in timm's words. */
export function describeVit(c: ViTConfig): string {
  return `depth ${c.depth}, embed_dim ${c.embedDim}, num_heads ${c.numHeads}, mlp_ratio ${c.mlpRatio}, patch ${c.patchSize}, img ${c.imgSize}, in_chans ${c.inChans}, ` +
    `${c.numClasses} classes, ${c.pool === 'cls' ? 'class-token' : 'average'} pooling${c.qkvBias ? '' : ', no qkv bias'}`;
}

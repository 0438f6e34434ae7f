// `tleg expand GENE --depth L --out FILE`: a timm-named ViT checkpoint of depth L grown from a learngene.
import { basename } from 'node:path';
import { Generator, zeros, type Tensor } from '../../engine/index.js';
import { countViTParameters, type ViTConfig } from '../../model/configs.js';
import { writeSafetensors, type RawTensor } from '../../model/io/index.js';
import { truncNormalInit } from '../../model/layers/init.js';
import { VisionTransformer } from '../../model/vit.js';
import { descendantConfig, expandLearngene } from '../expand.js';
import type { Learngene } from '../learngene.js';
import { loadLearngene } from '../learngene-file.js';
import { checkInputFile, checkOutputPath, integerFlag, onePositional, parseCommand, requiredString } from './args.js';
import { fail } from './cli-error.js';
import { fileKind, KIND_HINTS, KIND_NAMES, readInput } from './file-kind.js';
import { describeVit } from './vit-file.js';

/** "Absurdly large" starts here: a thousand blocks is far past any ViT trained so far. */
export const MAX_DEPTH = 1000;
/** Node holds the file in one buffer; past this the write cannot succeed. */
const MAX_FILE_BYTES = 2 ** 31;

export const EXPAND_HELP = `tleg expand: grow a ViT of any depth from a learngene and write it as a timm-named checkpoint

Usage: tleg expand GENE.safetensors --depth L --out vit-L.safetensors [options]

Block i of L gets θ_B + (i/L)·θ_A (piecewise genes: the segment's line); patch embedding, position
embedding, class token, final norm and (same classes) head are the gene's. The file loads into PyTorch
with a plain load_state_dict or timm.create_model(..., pretrained_cfg_overlay=dict(file=...)); its
__metadata__ holds "config" (this library's) and "timm_kwargs" (timm's VisionTransformer arguments).

  --depth L          number of blocks, an integer from 1 to ${MAX_DEPTH}
  --out FILE         the checkpoint to write (atomically; an existing file is replaced)
  --num-classes N    classes of the new head (default: the gene's); 0 writes no head (features only,
                     as timm's num_classes=0); another count gets a fresh head (timm's init)
  --reset-head       a fresh head even with the gene's class count
  --seed N           seed of a fresh head's initialisation (default 0)
  --drop-path R      stochastic depth rate recorded in the config for fine-tuning, in [0, 1) (default: the gene's)
  --help             this text
`;

/** timm's VisionTransformer keyword arguments for a config (this library's avg pooling is timm's with fc_norm=False). */
export function timmKwargs(c: ViTConfig): Record<string, unknown> {
  const pooling = c.pool === 'cls' ? { class_token: true, global_pool: 'token' } : { class_token: false, global_pool: 'avg', fc_norm: false };
  return {
    img_size: c.imgSize, patch_size: c.patchSize, in_chans: c.inChans, num_classes: c.numClasses, embed_dim: c.embedDim, depth: c.depth,
    num_heads: c.numHeads, mlp_ratio: c.mlpRatio, qkv_bias: c.qkvBias, ...pooling, drop_path_rate: c.dropPathRate,
  };
}

interface ExpandArgs {
  gene: string;
  out: string;
  depth: number;
  numClasses?: number;
  resetHead: boolean;
  seed: number;
  dropPath?: number;
}

function parseExpand(argv: string[]): ExpandArgs | null {
  const { values, positionals } = parseCommand('expand', argv, {
    depth: { type: 'string' }, out: { type: 'string' }, 'num-classes': { type: 'string' }, 'reset-head': { type: 'boolean' },
    seed: { type: 'string' }, 'drop-path': { type: 'string' },
  });
  if (values.help) return null;
  const gene = onePositional('expand', 'learngene', positionals);
  const depth = integerFlag('--depth', requiredString('expand', values, 'depth'), 1, MAX_DEPTH);
  const out = requiredString('expand', values, 'out');
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const numClasses = str('num-classes') === undefined ? undefined : integerFlag('--num-classes', str('num-classes')!, 0, 1_000_000);
  const seed = integerFlag('--seed', str('seed') ?? '0', 0, 2 ** 32 - 1);
  let dropPath: number | undefined;
  const dp = str('drop-path');
  if (dp !== undefined) {
    dropPath = /^\d*\.?\d+$/.test(dp) ? Number(dp) : NaN;
    if (!(dropPath >= 0 && dropPath < 1)) fail(`--drop-path: expected a number in [0, 1), got ${JSON.stringify(dp)}`);
  }
  if (values['reset-head'] && numClasses === 0) fail('--reset-head: --num-classes 0 writes no head, there is nothing to reset');
  return { gene, out, depth, numClasses, resetHead: values['reset-head'] === true, seed, dropPath };
}

/** The learngene in a file, or a usage error saying what the file is instead. */
export function readLearngene(command: string, path: string): Learngene {
  checkInputFile(command, path);
  const file = readInput(command, path);
  const kind = fileKind(file);
  if (kind !== 'learngene') fail(`${command}: expected a learngene, ${JSON.stringify(path)} is ${KIND_NAMES[kind]} (${KIND_HINTS[kind]})`);
  try {
    return loadLearngene(path);
  } catch (e) {
    return fail(`${command}: ${(e as Error).message}`);
  }
}

/**
 * The descendant's state dict in timm's order (named_parameters of timm's VisionTransformer). A fresh head
 * is drawn from its own generator, timm's init (weight trunc-normal std 0.02, bias 0), so a seed gives the
 * same head at every depth.
 */
function descendantState(gene: Learngene, config: ViTConfig, a: ExpandArgs): { state: Map<string, Tensor>; headFrom: string } {
  const dtype = Object.values(gene.base)[0].dtype;
  const keepHead = !a.resetHead && config.numClasses === gene.config.numClasses;
  const model = new VisionTransformer(config, { dtype, generator: new Generator(a.seed) });
  const expanded = expandLearngene(gene, a.depth);
  delete expanded['head.weight'];
  delete expanded['head.bias'];
  if (config.numClasses > 0) {
    expanded['head.weight'] = keepHead ? gene.shared['head.weight'] : truncNormalInit([config.numClasses, config.embedDim], { std: 0.02, generator: new Generator(a.seed), dtype });
    expanded['head.bias'] = keepHead ? gene.shared['head.bias'] : zeros([config.numClasses], { dtype });
  }
  model.loadStateDict(expanded, { strict: true });
  const headFrom = config.numClasses === 0 ? 'none' : keepHead ? 'learngene' : `fresh (timm init, seed ${a.seed})`;
  return { state: model.stateDict(), headFrom };
}

export function runExpand(argv: string[], print: (line: string) => void): number {
  const a = parseExpand(argv);
  if (a === null) {
    print(EXPAND_HELP.trimEnd());
    return 0;
  }
  checkInputFile('expand', a.gene);
  checkOutputPath('expand', a.out, a.gene);
  const gene = readLearngene('expand', a.gene);
  const overrides: Partial<ViTConfig> = {};
  if (a.numClasses !== undefined) overrides.numClasses = a.numClasses;
  if (a.dropPath !== undefined) overrides.dropPathRate = a.dropPath;
  const config = descendantConfig(gene, a.depth, overrides);
  const itemsize = Object.values(gene.base)[0].dtype === 'float64' ? 8 : 4;
  const bytes = countViTParameters(config) * itemsize;
  if (bytes > MAX_FILE_BYTES) fail(`expand: --depth ${a.depth} gives a ${(bytes / 2 ** 30).toFixed(1)} GiB checkpoint; at most ${MAX_FILE_BYTES / 2 ** 30} GiB can be written`);

  const { state, headFrom } = descendantState(gene, config, a);
  const tensors: Record<string, RawTensor> = {};
  let parameters = 0;
  for (const [name, t] of state) {
    tensors[name] = { dtype: t.dtype, shape: t.shape, data: t.contiguous().toTypedArray().slice() as RawTensor['data'] };
    parameters += t.size;
  }
  writeSafetensors(a.out, tensors, {
    format: 'pt',
    config: JSON.stringify(config),
    timm_kwargs: JSON.stringify(timmKwargs(config)),
    learngene: JSON.stringify({ file: basename(a.gene), ancestryDepth: gene.config.depth, segments: gene.segments, head: headFrom }),
  });
  print(`wrote ${a.out}: ViT ${describeVit(config)}`);
  print(`  ${Object.keys(tensors).length} tensors, ${parameters.toLocaleString('en-US')} parameters (${tensors['pos_embed'].dtype}); blocks grown from ${a.gene} (ancestry depth ${gene.config.depth}${gene.segments > 1 ? `, ${gene.segments} segments` : ''}); head: ${headFrom}`);
  return 0;
}

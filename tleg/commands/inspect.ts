// `tleg inspect FILE`: what a safetensors file is and what it holds, without changing anything.
import { countViTParameters } from '../../model/configs.js';
import type { Safetensors } from '../../model/io/index.js';
import { inferConfig } from '../analysis.js';
import { descendantConfig } from '../expand.js';
import { learngeneSize } from '../learngene.js';
import { loadLearngene } from '../learngene-file.js';
import { checkInputFile, integerFlag, onePositional, parseCommand } from './args.js';
import { fail } from './cli-error.js';
import { fileKind, readInput, sampleNames } from './file-kind.js';
import { describeVit, layoutProblems, readVitFile, vitState } from './vit-file.js';

export const INSPECT_HELP = `tleg inspect: say what a safetensors file is (learngene, ViT checkpoint, training checkpoint) and what it holds

Usage: tleg inspect FILE.safetensors [--depths LIST]

Prints the kind, the config, the number of tensors and of parameters; for a learngene also the depths
it can grow and what it saves against storing one model per depth.

  --depths LIST      depths to compare a learngene's storage with, e.g. 1-12 or 4,6,8 (default 1-12)
  --help             this text
`;

const n = (v: number): string => v.toLocaleString('en-US');

function parseDepths(text: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(text);
  const depths = range
    ? Array.from({ length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) }, (_, i) => Number(range[1]) + i)
    : text.split(',').map((d) => integerFlag('--depths', d.trim(), 1, 1000));
  if (depths.length === 0 || depths.length > 1000 || depths.some((d) => !(d >= 1 && d <= 1000)) || new Set(depths).size !== depths.length) {
    fail(`--depths: expected distinct depths from 1 to 1000 as a list (4,6,8) or a range (1-12), got ${JSON.stringify(text)}`);
  }
  return depths.sort((a, b) => a - b);
}

function totals(file: Safetensors): { tensors: number; values: number; dtypes: string } {
  let values = 0;
  const dtypes = new Set<string>();
  for (const t of file.tensors.values()) {
    values += t.data.length;
    dtypes.add(t.dtype);
  }
  return { tensors: file.tensors.size, values, dtypes: [...dtypes].join(', ') || 'none' };
}

function inspectLearngene(path: string, file: Safetensors, depths: number[], print: (l: string) => void): void {
  let gene;
  try {
    gene = loadLearngene(path);
  } catch (e) {
    return fail(`inspect: ${JSON.stringify(path)} says it is a learngene but does not load: ${(e as Error).message}`);
  }
  const t = totals(file);
  const c = gene.config;
  print(`${path}: learngene (format version ${file.metadata['version']}, ${gene.segments === 1 ? 'linear: TLEG' : `piecewise linear, ${gene.segments} segments`})`);
  print(`  ancestry: ViT ${describeVit(c)}`);
  print(`  tensors: ${t.tensors} (${t.dtypes}); parameters: ${n(learngeneSize(gene))} (base, slope and shared values)`);
  const grows = gene.segments === 1
    ? 'any depth L ≥ 1: block i = θ_B + (i/L)·θ_A'
    : `any depth L ≥ 1: block i on segment k = floor(i·K/L) gets θ_B[k] + (i/L − k/K)·θ_A[k] (L ≥ ${gene.segments} uses every segment)`;
  print(`  grows: ${grows}; the head fits ${c.numClasses} classes (tleg expand --num-classes for others)`);
  const perDepth = depths.map((d) => countViTParameters(descendantConfig(gene, d)));
  const total = perDepth.reduce((a, b) => a + b, 0);
  const span = depths.length > 2 && depths[depths.length - 1] - depths[0] === depths.length - 1 ? `${depths[0]}-${depths[depths.length - 1]}` : depths.join(',');
  print(`  storage: one model per depth ${span} holds ${n(total)} parameters; the learngene ${n(learngeneSize(gene))}: ${(total / learngeneSize(gene)).toFixed(1)}× less`);
  print(`  per depth: ${depths.map((d, i) => `${d}: ${n(perDepth[i])}`).join(', ')}`);
}

function inspectVit(path: string, file: Safetensors, print: (l: string) => void): void {
  const { config, configSource, state } = readVitFile('inspect', path, file);
  const t = totals(file);
  print(`${path}: ViT checkpoint (timm names)`);
  print(`  config: ${describeVit(config)}${configSource === 'shapes' ? ' (read from the shapes; num_heads not stored, embed_dim / 64 assumed)' : ' (from __metadata__.config)'}`);
  print(`  tensors: ${t.tensors} (${t.dtypes}); parameters: ${n(t.values)}`);
  const problems = layoutProblems(config, state);
  if (problems.length === 0) print(`  layout: as this library and timm's VisionTransformer build it; tleg fit can fit a learngene to it`);
  else print(`  layout differs from the config:\n    ${problems.join('\n    ')}`);
  if (file.metadata['learngene']) print(`  grown from a learngene: ${file.metadata['learngene']}`);
}

function inspectCheckpoint(path: string, file: Safetensors, print: (l: string) => void): void {
  const t = totals(file);
  const model = [...file.tensors].filter(([k]) => k.startsWith('model.'));
  const optim = [...file.tensors].filter(([k]) => k.startsWith('optim.'));
  const params = model.reduce((a, [, r]) => a + r.data.length, 0);
  const isAux = model.some(([k]) => k.startsWith('model.learngene.'));
  const json = (key: string): Record<string, unknown> | undefined => {
    try { return JSON.parse(file.metadata[key] ?? 'null') ?? undefined; } catch { return undefined; }
  };
  const position = json('position');
  const optimizer = json('optimizer');
  print(`${path}: training checkpoint (${file.metadata['format']})`);
  print(`  model: ${isAux ? 'TLEG auxiliary net (learngene.*.base / .slope and shared tensors)' : 'ViT'}; ${model.length} tensors, ${n(params)} parameters`);
  if (!isAux) {
    try {
      const state = vitState({ tensors: new Map(model.map(([k, r]) => [k.slice('model.'.length), r])), metadata: {} });
      print(`  config: ${describeVit(inferConfig(state))} (read from the shapes; num_heads not stored, embed_dim / 64 assumed)`);
    } catch (e) {
      print(`  config: not readable from the model tensors (${(e as Error).message})`);
    }
  } else {
    print(`  config: not stored in a training checkpoint (the run's manifest.json and the stage's learngene.safetensors hold it)`);
  }
  print(`  optimiser: ${String(optimizer?.['name'] ?? 'unknown')}, ${optim.length} state tensors`);
  if (position) print(`  position: epoch ${String(position['epoch'])}, next batch ${String(position['batch'])}, step ${String(position['step'])}, ${String(position['images'])} images seen`);
  print(`  tensors in all: ${t.tensors} (${t.dtypes}), ${n(t.values)} values; a resumed run continues from it (the stage's model.safetensors is the model alone)`);
}

export function runInspect(argv: string[], print: (line: string) => void): number {
  const { values, positionals } = parseCommand('inspect', argv, { depths: { type: 'string' } });
  if (values.help) {
    print(INSPECT_HELP.trimEnd());
    return 0;
  }
  const path = onePositional('inspect', 'safetensors', positionals);
  const depths = parseDepths((values.depths as string | undefined) ?? '1-12');
  checkInputFile('inspect', path);
  const file = readInput('inspect', path);
  const kind = fileKind(file);
  if (kind === 'learngene') inspectLearngene(path, file, depths, print);
  else if (kind === 'vit') inspectVit(path, file, print);
  else if (kind === 'training-checkpoint') inspectCheckpoint(path, file, print);
  else fail(`inspect: ${JSON.stringify(path)} is a safetensors file but neither a learngene, a ViT checkpoint nor a training checkpoint (${sampleNames(file)}; __metadata__.format ${JSON.stringify(file.metadata['format'] ?? null)})`);
  return 0;
}


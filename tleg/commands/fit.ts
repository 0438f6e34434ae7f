// `tleg fit MODEL --out GENE`: the paper's linearity observation as a tool. Least squares fits a line
// (or K lines) through a trained timm ViT's blocks; the result is a learngene, and R² per tensor kind
// says how much of each block tensor the line explains.
import { countViTParameters } from '../../model/configs.js';
import { fitLearngene, type LineFit } from '../analysis.js';
import { learngeneSize } from '../learngene.js';
import { saveLearngene } from '../learngene-file.js';
import { checkInputFile, checkOutputPath, integerFlag, onePositional, parseCommand, requiredString } from './args.js';
import { fail } from './cli-error.js';
import { fileKind, KIND_HINTS, KIND_NAMES, readInput } from './file-kind.js';
import { describeVit, layoutProblems, readVitFile } from './vit-file.js';

export const FIT_HELP = `tleg fit: fit a learngene to a trained ViT's blocks (least squares, block i at x = i/L)

Usage: tleg fit MODEL.safetensors --out GENE.safetensors [options]

MODEL is a timm-named ViT state dict saved with safetensors (e.g. safetensors.torch.save_file(
model.state_dict(), ...) for a timm VisionTransformer with class-token or average pooling without
fc_norm), or a model.safetensors written by this library. Prints R² and the relative residual per
tensor kind; R² near 1 means the blocks lie on a line, as TLEG's expansion assumes.

  --out FILE         the learngene to write (atomically; an existing file is replaced)
  --segments K       piecewise fit: K lines, segment k covering x in [k/K, (k+1)/K) (experimental;
                     1 to the model's depth; default 1, the paper's TLEG)
  --num-heads N      attention heads (not stored in a timm state dict; default: the file's config,
                     else embed_dim / 64 as timm's ViT sizes)
  --help             this text
`;

function parseFit(argv: string[]): { model: string; out: string; segments: number; numHeads?: number } | null {
  const { values, positionals } = parseCommand('fit', argv, { out: { type: 'string' }, segments: { type: 'string' }, 'num-heads': { type: 'string' } });
  if (values.help) return null;
  const model = onePositional('fit', 'model', positionals);
  const out = requiredString('fit', values, 'out');
  const segments = integerFlag('--segments', (values.segments as string | undefined) ?? '1', 1, 1000);
  const heads = values['num-heads'] as string | undefined;
  const numHeads = heads === undefined ? undefined : integerFlag('--num-heads', heads, 1, 4096);
  return { model, out, segments, numHeads };
}

const fmt = (f: LineFit): string => `${f.r2.toFixed(6).padStart(10)}  ${f.relativeResidual.toFixed(6).padStart(10)}`;

export function runFit(argv: string[], print: (line: string) => void): number {
  const a = parseFit(argv);
  if (a === null) {
    print(FIT_HELP.trimEnd());
    return 0;
  }
  checkInputFile('fit', a.model);
  checkOutputPath('fit', a.out, a.model);
  const file = readInput('fit', a.model);
  const kind = fileKind(file);
  if (kind !== 'vit') fail(`fit: expected a ViT checkpoint, ${JSON.stringify(a.model)} is ${KIND_NAMES[kind]} (${KIND_HINTS[kind]})`);
  const { config, configSource, state } = readVitFile('fit', a.model, file, a.numHeads);
  const problems = layoutProblems(config, state);
  if (problems.length > 0) fail(`fit: ${JSON.stringify(a.model)} is not a ViT this library can fit (config ${describeVit(config)}):\n  ${problems.join('\n  ')}`);
  if (config.depth < 2) fail(`fit: a line needs at least 2 blocks, ${JSON.stringify(a.model)} has ${config.depth}`);
  if (a.segments > config.depth) fail(`--segments: expected at most the model's depth ${config.depth} (each segment needs a block), got ${a.segments}`);

  const { gene, fits, overall } = fitLearngene(state, { config, segments: a.segments });
  saveLearngene(a.out, gene);

  const heads = configSource === 'metadata' || a.numHeads !== undefined ? '' : ` (num_heads not stored: embed_dim / 64 assumed; pass --num-heads if it differs)`;
  print(`fitted ${a.model}: ViT ${describeVit(config)}${heads}`);
  print(`${a.segments === 1 ? 'one line' : `${a.segments} segments`} through ${config.depth} blocks at x = i/${config.depth}`);
  print('');
  print(`${'tensor'.padEnd(18)}${'R²'.padStart(10)}  ${'rel. resid.'.padStart(10)}`);
  for (const [name, f] of Object.entries(fits)) print(`${name.padEnd(18)}${fmt(f)}`);
  print(`${'all'.padEnd(18)}${fmt(overall)}`);
  // ⌈L/K⌉ ≤ 2 blocks per segment: a line passes through each segment's blocks exactly
  if (config.depth <= 2 * a.segments) print(`(at most two blocks per ${a.segments === 1 ? 'line' : 'segment'}, which a line always fits: R² = 1 says nothing here; a deeper model tests the linearity)`);
  print('');
  const geneSize = learngeneSize(gene), modelSize = countViTParameters(config);
  print(`wrote ${a.out}: learngene of ${geneSize.toLocaleString('en-US')} values (the model: ${modelSize.toLocaleString('en-US')} parameters); grow a ViT with tleg expand ${a.out} --depth L --out FILE`);
  return 0;
}

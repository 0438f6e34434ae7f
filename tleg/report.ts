// The experiment's report: a markdown table per depth, the storage and training-cost comparison, and an
// SVG with accuracy vs depth and accuracy vs training steps.
import { chartsSvg, DASHES, MARKERS, PALETTE, type LegendEntry, type Marker, type Series } from './chart.js';
import { mergeSummaries, summarizeRun } from './summary.js';
import { summaryMarkdown, summarySvg } from './summary-report.js';

/** What one training stage leaves behind (stage-dir/result.json). */
export interface StageResult {
  stage: string;
  method: 'teacher' | 'ancestry' | 'ancestry-ce' | 'learngene' | 'scratch' | 'scratch-long' | 'scratch-converged' | 'pretrain'
    | 'pretrain-finetune' | 'heur-lg' | 'even-teacher' | 'fit-teacher' | 'aux-ce';
  depth: number;
  steps: number;
  /** Training images processed (steps × batch). */
  images: number;
  /** Wall-clock training seconds (evaluation included). */
  seconds: number;
  /** Top-1 on the evaluation split after the stage's last step. */
  accuracy: number;
  /** Parameters of the trained net (the Aux-Net's count for the ancestry: θ_A, θ_B and shared). */
  parameters: number;
  /** Evaluation accuracy during training (from step 0, the initialisation alone); `val` on the validation split. */
  curve: Array<{ step: number; accuracy: number; val?: number }>;
  /** The learning rate (peak of warmup + cosine). */
  lr?: number;
  /** Steps actually trained (early stopping: `steps` is then the step of the best validation accuracy). */
  stepsTrained?: number;
  /** Validation accuracy of the kept model (early-stopping stages only). */
  valAccuracy?: number;
}

/** R² of the least-squares line through a trained model's blocks, per block tensor (the paper's linearity analysis). */
export interface LinearityResult {
  depth: number;
  method: StageResult['method'];
  r2: Record<string, number>;
  overall: number;
}

export interface ReportInput {
  title: string;
  /** Command line and settings, printed as given. */
  settings: Record<string, string | number>;
  teacher: StageResult;
  ancestry: StageResult;
  /** Stored values of the learngene file (θ_A, θ_B and shared). */
  learngeneSize: number;
  descendants: StageResult[];
  scratch: StageResult[];
  scratchLong: StageResult[];
  scratchMultiplier: number;
  // Experiment v2 (absent from older results.json files): the paper's baselines, per depth.
  /** Scratch trained to convergence (early stopping on a validation split), the sweep's choice per depth. */
  converged?: StageResult[];
  /** Every run of the learning-rate sweep (their cost is the converged baseline's cost). */
  sweep?: StageResult[];
  /** Pre-training per depth (upstream data), the cost of pretrain-and-fine-tune, and the fine-tunes. */
  pretrain?: StageResult[];
  pretrainFinetune?: StageResult[];
  heurLg?: StageResult[];
  evenTeacher?: StageResult[];
  fitTeacher?: StageResult[];
  /** The Aux-Net trained by cross-entropy alone (no teacher), and descendants of its gene. */
  ancestryCe?: StageResult;
  auxCe?: StageResult[];
  linearity?: LinearityResult[];
  /** Set when descendants are fine-tuned on another data set than the upstream one. */
  downstream?: { dataset: string; trainExamples: number };
}

const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(2)}%`);
const secs = (x: number): string => `${x.toFixed(1)} s`;
const byDepth = (list: StageResult[], d: number): StageResult | undefined => list.find((r) => r.depth === d);

export function depthsOf(input: ReportInput): number[] {
  return [...new Set(input.descendants.map((r) => r.depth))].sort((a, b) => a - b);
}

/** The table the console prints at the end and report.md opens with. */
export function resultsTable(input: ReportInput): string {
  const k = input.scratchMultiplier;
  const rows = [
    `| depth | params | TLEG (learngene init) | scratch, same budget | scratch, ${k}× budget | fine-tune steps (TLEG / scratch ${k}×) |`,
    '|---:|---:|---:|---:|---:|---:|',
  ];
  for (const d of depthsOf(input)) {
    const t = byDepth(input.descendants, d), s = byDepth(input.scratch, d), l = byDepth(input.scratchLong, d);
    rows.push(`| ${d} | ${(t?.parameters ?? s?.parameters ?? 0).toLocaleString('en-US')} | ${pct(t?.accuracy)} | ${pct(s?.accuracy)} | ${pct(l?.accuracy)} | ${t?.steps ?? '–'} / ${l?.steps ?? '–'} |`);
  }
  return rows.join('\n');
}

/** True for a v2 run (the paper's baselines): the report then carries the merged-style sections too. */
export function hasBaselines(input: ReportInput): boolean {
  return input.converged !== undefined || input.heurLg !== undefined || input.pretrainFinetune !== undefined;
}

export function reportMarkdown(input: ReportInput): string {
  const depths = depthsOf(input);
  const perDepthModels = [...input.descendants].reduce((a, r) => a + r.parameters, 0);
  const sum = (list: StageResult[], f: (r: StageResult) => number): number => list.reduce((a, r) => a + f(r), 0);
  const shared = { images: input.teacher.images + input.ancestry.images, seconds: input.teacher.seconds + input.ancestry.seconds };
  const lines = [
    `# ${input.title}`,
    '',
    'TLEG (Xia et al., AAAI 2024): an auxiliary net whose block i is θ_B + (i/L)·θ_A is trained by soft distillation from a teacher;',
    'the learngene (θ_A, θ_B and the shared tensors) then initialises descendants of any depth, which are fine-tuned without constraint.',
    '',
    '## Accuracy by depth',
    '',
    resultsTable(input),
    '',
    `Teacher (depth ${input.teacher.depth}): ${pct(input.teacher.accuracy)}. Aux-Net (ancestry, depth ${input.ancestry.depth}): ${pct(input.ancestry.accuracy)}.`,
    '',
    '![accuracy vs depth and vs steps](report.svg)',
    '',
    '## Parameters stored',
    '',
    '| what | values stored |',
    '|---|---:|',
    `| one learngene (serves every depth: ${depths.join(', ')}) | ${input.learngeneSize.toLocaleString('en-US')} |`,
    `| one pretrained model per depth (${depths.length} models) | ${perDepthModels.toLocaleString('en-US')} |`,
    '',
    '## Training cost per path',
    '',
    'Images processed and seconds of training (evaluation included). The teacher and the ancestry are paid once for all depths.',
    '',
    '| path | images | seconds |',
    '|---|---:|---:|',
    `| teacher (shared) | ${input.teacher.images.toLocaleString('en-US')} | ${secs(input.teacher.seconds)} |`,
    `| ancestry: Aux-Net distillation (shared) | ${input.ancestry.images.toLocaleString('en-US')} | ${secs(input.ancestry.seconds)} |`,
    ...depths.map((d) => {
      const t = byDepth(input.descendants, d), s = byDepth(input.scratch, d), l = byDepth(input.scratchLong, d);
      return [
        `| depth ${d}: TLEG fine-tune | ${(t?.images ?? 0).toLocaleString('en-US')} | ${secs(t?.seconds ?? 0)} |`,
        `| depth ${d}: scratch, same budget | ${(s?.images ?? 0).toLocaleString('en-US')} | ${secs(s?.seconds ?? 0)} |`,
        `| depth ${d}: scratch, ${input.scratchMultiplier}× budget | ${(l?.images ?? 0).toLocaleString('en-US')} | ${secs(l?.seconds ?? 0)} |`,
      ].join('\n');
    }),
    `| all depths: TLEG (teacher + ancestry + fine-tunes) | ${(shared.images + sum(input.descendants, (r) => r.images)).toLocaleString('en-US')} | ${secs(shared.seconds + sum(input.descendants, (r) => r.seconds))} |`,
    `| all depths: scratch, ${input.scratchMultiplier}× budget | ${sum(input.scratchLong, (r) => r.images).toLocaleString('en-US')} | ${secs(sum(input.scratchLong, (r) => r.seconds))} |`,
    '',
    ...(hasBaselines(input) ? [summaryMarkdown(mergeSummaries([summarizeRun(input)], input.scratchMultiplier)), ''] : []),
    '## Settings',
    '',
    ...Object.entries(input.settings).map(([key, v]) => `- ${key}: ${v}`),
    '',
  ];
  return lines.join('\n');
}

/** The figure's title: the data set, the preset and the seed(s) the numbers come from. */
export function chartTitle(input: ReportInput): string {
  const st = input.settings;
  const seeds = st['seeds'] ?? st['seed'];
  const parts = [
    st['dataset'] !== undefined ? `${st['dataset']}` : undefined,
    st['preset'] !== undefined ? `preset ${st['preset']}` : undefined,
    seeds !== undefined ? `${String(seeds).includes(',') ? 'seeds' : 'seed'} ${seeds}` : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length > 0 ? `TLEG vs training from scratch: ${parts.join(', ')}` : input.title;
}

/**
 * Accuracy vs depth, and accuracy vs training steps for every run. One colour per method in both panels
 * (TLEG, scratch on the same budget, scratch on k× the budget); in the steps panel the depth is the marker
 * and the line style, so curves of one method at several depths stay apart where they overlap.
 */
export function reportSvg(input: ReportInput): string {
  if (hasBaselines(input)) return summarySvg(mergeSummaries([summarizeRun(input)], input.scratchMultiplier), chartTitle(input));
  const depths = depthsOf(input);
  const k = input.scratchMultiplier;
  const methods = [
    { label: 'TLEG (learngene init)', short: 'TLEG', color: PALETTE[0], runs: input.descendants },
    { label: 'scratch, same budget', short: 'scratch', color: PALETTE[1], runs: input.scratch },
    { label: `scratch, ${k}× budget`, short: `scratch ${k}×`, color: PALETTE[2], runs: input.scratchLong },
  ];
  const byDepthSeries: Series[] = methods.map((m) => ({
    name: m.label, color: m.color, marker: 'circle',
    points: depths.flatMap((d) => {
      const r = byDepth(m.runs, d);
      return r ? [[d, 100 * r.accuracy] as [number, number]] : [];
    }),
  }));
  const style = (i: number): { marker: Marker; dash: string | undefined } => ({ marker: MARKERS[i % MARKERS.length], dash: DASHES[i % DASHES.length] });
  const curves: Series[] = methods.flatMap((m) => depths.flatMap((d, i) => {
    const r = byDepth(m.runs, d);
    return r ? [{ name: `${m.short} d${d}`, color: m.color, ...style(i), points: r.curve.map((p) => [p.step, 100 * p.accuracy] as [number, number]) }] : [];
  }));
  const stepsLegend: LegendEntry[] = [
    ...methods.map((m) => ({ label: m.label, color: m.color })),
    ...depths.map((d, i) => ({ label: `depth ${d}`, color: '#555', ...style(i) })),
  ];
  return chartsSvg([
    { title: 'Accuracy vs depth', xLabel: 'depth (blocks)', xIntegers: true, yLabel: 'top-1 accuracy (%)', series: byDepthSeries, height: 380, legendColumns: 2 },
    {
      title: 'Accuracy vs training steps', xLabel: 'fine-tune / training steps', xIntegers: true, yLabel: 'top-1 accuracy (%)',
      series: curves, legend: stepsLegend, legendColumns: 3, width: 600, height: 380,
    },
  ], chartTitle(input));
}

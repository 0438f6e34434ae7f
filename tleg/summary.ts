// The experiment's numbers, per run and merged over seeds: per method and depth the final accuracy, the
// accuracy at step 0, the steps to come within 1 point of converged scratch and the cost (images, seconds,
// per-depth and shared stages included); per run the shared stages, storage, break-even and linearity.
// A merge gives each number as mean ± sample std (n − 1) over the runs that have it.
import type { ReportInput, StageResult } from './report.js';

export interface MethodSpec {
  key: string;
  label: string;
  runs: (r: ReportInput) => StageResult[] | undefined;
  /** Stages paid once per depth besides the final one (the sweep, the pre-training). */
  perDepthExtra?: (r: ReportInput, depth: number) => StageResult[];
  /** Stages paid once for all depths (teacher, ancestry). */
  shared: (r: ReportInput) => StageResult[];
}

const at = (list: StageResult[] | undefined, d: number): StageResult | undefined => list?.find((x) => x.depth === d);

export function methods(k: number): MethodSpec[] {
  return [
    { key: 'tleg', label: 'TLEG (learngene)', runs: (r) => r.descendants, shared: (r) => [r.teacher, r.ancestry] },
    { key: 'scratch', label: 'scratch, same budget', runs: (r) => r.scratch, shared: () => [] },
    { key: 'scratch-long', label: `scratch, ${k}× budget`, runs: (r) => r.scratchLong, shared: () => [] },
    {
      key: 'scratch-converged', label: 'scratch, converged (LR sweep)', runs: (r) => r.converged, shared: () => [],
      perDepthExtra: (r, d) => (r.sweep ?? []).filter((x) => x.depth === d && x.stage !== at(r.converged, d)?.stage),
    },
    {
      key: 'pretrain-finetune', label: 'pretrain + fine-tune per depth', runs: (r) => r.pretrainFinetune, shared: () => [],
      perDepthExtra: (r, d) => (r.pretrain ?? []).filter((x) => x.depth === d),
    },
    { key: 'heur-lg', label: 'Heur-LG (teacher\'s last blocks)', runs: (r) => r.heurLg, shared: (r) => [r.teacher] },
    { key: 'even-teacher', label: 'teacher blocks, evenly spaced', runs: (r) => r.evenTeacher, shared: (r) => [r.teacher] },
    { key: 'fit-teacher', label: 'line fitted to the teacher', runs: (r) => r.fitTeacher, shared: (r) => [r.teacher] },
    { key: 'aux-ce', label: 'Aux-Net by CE only', runs: (r) => r.auxCe, shared: (r) => (r.ancestryCe ? [r.ancestryCe] : []) },
  ];
}

export interface MethodRow {
  method: string;
  depth: number;
  accuracy: number;
  step0?: number;
  /** First evaluated step within 1 point of converged scratch at this depth; undefined: never (or no converged run). */
  stepsWithin1?: number;
  /** The path's training at this depth (final stage + per-depth extras). */
  images: number;
  seconds: number;
  parameters: number;
  /** The stage's steps (early stopping: the step of the best validation accuracy), steps trained, its lr. */
  steps: number;
  stepsTrained: number;
  lr?: number;
}

export interface RunSummary {
  seed: string;
  /** The downstream data set the per-depth rows were fine-tuned and tested on, if any. */
  downstream?: string;
  depths: number[];
  rows: MethodRow[];
  /** Per method: everything its path trains for all depths, shared stages included. */
  totals: Record<string, { images: number; seconds: number }>;
  /** Per method: the smallest number of depths at which TLEG's path costs no more images; Infinity never. */
  breakEven: Record<string, number>;
  teacher: number;
  ancestry: number;
  ancestryCe?: number;
  learngeneSize: number;
  perDepthParameters: number;
  storedRatio: number;
  /** `${depth}:${tensor}` → R². */
  linearity: Record<string, number>;
  curves: Record<string, Array<{ step: number; accuracy: number }>>;
}

const sumOf = (list: StageResult[], f: (r: StageResult) => number): number => list.reduce((a, r) => a + f(r), 0);

/** Smallest n ≥ 1 with shared_T + n·t ≤ shared_M + n·m; Infinity when TLEG never catches up. */
export function breakEvenDepths(sharedTleg: number, perDepthTleg: number, sharedOther: number, perDepthOther: number): number {
  if (sharedTleg + perDepthTleg <= sharedOther + perDepthOther) return 1;
  const gain = perDepthOther - perDepthTleg;
  if (gain <= 0) return Infinity;
  return Math.ceil((sharedTleg - sharedOther) / gain);
}

export function summarizeRun(r: ReportInput): RunSummary {
  const ms = methods(r.scratchMultiplier);
  const depths = [...new Set(r.descendants.map((x) => x.depth))].sort((a, b) => a - b);
  const rows: MethodRow[] = [];
  const totals: RunSummary['totals'] = {};
  const curves: RunSummary['curves'] = {};
  const perDepthImages: Record<string, number> = {};
  for (const m of ms) {
    const runs = m.runs(r);
    if (!runs || runs.length === 0) continue;
    let images = sumOf(m.shared(r), (x) => x.images), seconds = sumOf(m.shared(r), (x) => x.seconds), depthImages = 0;
    for (const d of depths) {
      const run = at(runs, d);
      if (!run) continue;
      const extra = m.perDepthExtra?.(r, d) ?? [];
      const all = [run, ...extra];
      const conv = at(r.converged, d);
      const within = conv ? run.curve.find((p) => p.accuracy >= conv.accuracy - 0.01)?.step : undefined;
      const row: MethodRow = {
        method: m.key, depth: d, accuracy: run.accuracy, step0: run.curve[0]?.step === 0 ? run.curve[0].accuracy : undefined,
        stepsWithin1: within, images: sumOf(all, (x) => x.images), seconds: sumOf(all, (x) => x.seconds), parameters: run.parameters,
        steps: run.steps, stepsTrained: run.stepsTrained ?? run.steps, lr: run.lr,
      };
      rows.push(row);
      images += row.images; seconds += row.seconds; depthImages += row.images;
      curves[`${m.key}:${d}`] = run.curve.map(({ step, accuracy }) => ({ step, accuracy }));
    }
    totals[m.key] = { images, seconds };
    perDepthImages[m.key] = depthImages / depths.length;
  }
  const sharedImages = (key: string): number => sumOf(ms.find((m) => m.key === key)!.shared(r), (x) => x.images);
  const breakEven: Record<string, number> = {};
  for (const key of Object.keys(totals)) {
    if (key === 'tleg') continue;
    breakEven[key] = breakEvenDepths(sharedImages('tleg'), perDepthImages['tleg']!, sharedImages(key), perDepthImages[key]!);
  }
  const perDepthParameters = sumOf(r.descendants, (x) => x.parameters);
  const linearity: Record<string, number> = {};
  for (const l of r.linearity ?? []) {
    for (const [name, v] of Object.entries(l.r2)) linearity[`${l.depth}:${name}`] = v;
    linearity[`${l.depth}:all tensors`] = l.overall;
  }
  return {
    seed: String(r.settings['seed'] ?? '?'), ...(r.downstream ? { downstream: r.downstream.dataset } : {}), depths, rows, totals, breakEven,
    teacher: r.teacher.accuracy, ancestry: r.ancestry.accuracy, ancestryCe: r.ancestryCe?.accuracy,
    learngeneSize: r.learngeneSize, perDepthParameters, storedRatio: perDepthParameters / r.learngeneSize, linearity, curves,
  };
}

export interface Stat { mean: number; std: number; n: number; values: number[] }

/** Mean and sample standard deviation (n − 1; 0 for one value) of the finite values. */
export function stat(values: Array<number | undefined>): Stat {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  const n = v.length;
  const mean = n === 0 ? NaN : v.reduce((a, x) => a + x, 0) / n;
  const std = n < 2 ? 0 : Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { mean, std, n, values: v };
}

export interface MergedSummary {
  runs: number;
  downstream?: string;
  seeds: string[];
  depths: number[];
  methods: Array<{ key: string; label: string }>;
  /** `${method}:${depth}` → field → Stat. */
  cells: Record<string, Record<'accuracy' | 'step0' | 'stepsWithin1' | 'images' | 'seconds' | 'parameters' | 'steps' | 'stepsTrained' | 'lr', Stat>>;
  totals: Record<string, { images: Stat; seconds: Stat }>;
  breakEven: Record<string, Stat & { never: number }>;
  teacher: Stat;
  ancestry: Stat;
  ancestryCe: Stat;
  learngeneSize: number;
  perDepthParameters: number;
  storedRatio: number;
  linearity: Record<string, Stat>;
  curves: Record<string, Array<{ step: number; accuracy: Stat }>>;
}

export function mergeSummaries(list: RunSummary[], multiplier: number): MergedSummary {
  if (list.length === 0) throw new Error('mergeSummaries: no runs to merge');
  const depths = [...new Set(list.flatMap((s) => s.depths))].sort((a, b) => a - b);
  const present = new Set(list.flatMap((s) => s.rows.map((r) => r.method)));
  const ms = methods(multiplier).filter((m) => present.has(m.key)).map(({ key, label }) => ({ key, label }));
  const cells: MergedSummary['cells'] = {};
  for (const m of ms) for (const d of depths) {
    const rows = list.map((s) => s.rows.find((r) => r.method === m.key && r.depth === d));
    if (rows.every((r) => r === undefined)) continue;
    const f = (k: keyof MethodRow): Stat => stat(rows.map((r) => (r ? (r[k] as number | undefined) : undefined)));
    cells[`${m.key}:${d}`] = { accuracy: f('accuracy'), step0: f('step0'), stepsWithin1: f('stepsWithin1'), images: f('images'), seconds: f('seconds'), parameters: f('parameters'),
      steps: f('steps'), stepsTrained: f('stepsTrained'), lr: f('lr') };
  }
  const totals: MergedSummary['totals'] = {};
  for (const m of ms) totals[m.key] = { images: stat(list.map((s) => s.totals[m.key]?.images)), seconds: stat(list.map((s) => s.totals[m.key]?.seconds)) };
  const breakEven: MergedSummary['breakEven'] = {};
  for (const m of ms) {
    if (m.key === 'tleg') continue;
    const v = list.map((s) => s.breakEven[m.key]);
    breakEven[m.key] = { ...stat(v), never: v.filter((x) => x === Infinity).length };
  }
  const keys = [...new Set(list.flatMap((s) => Object.keys(s.linearity)))];
  const curves: MergedSummary['curves'] = {};
  for (const key of new Set(list.flatMap((s) => Object.keys(s.curves)))) {
    const steps = [...new Set(list.flatMap((s) => (s.curves[key] ?? []).map((p) => p.step)))].sort((a, b) => a - b);
    curves[key] = steps.map((step) => ({ step, accuracy: stat(list.map((s) => s.curves[key]?.find((p) => p.step === step)?.accuracy)) }));
  }
  const first = list[0]!;
  return {
    runs: list.length, ...(first.downstream ? { downstream: first.downstream } : {}), seeds: list.map((s) => s.seed), depths, methods: ms, cells, totals, breakEven,
    teacher: stat(list.map((s) => s.teacher)), ancestry: stat(list.map((s) => s.ancestry)), ancestryCe: stat(list.map((s) => s.ancestryCe)),
    learngeneSize: first.learngeneSize, perDepthParameters: first.perDepthParameters, storedRatio: first.storedRatio,
    linearity: Object.fromEntries(keys.map((k) => [k, stat(list.map((s) => s.linearity[k]))])), curves,
  };
}

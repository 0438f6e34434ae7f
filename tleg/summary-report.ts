// The v2 report, rendered from a merged summary (one run is a merge of one): accuracy per method and depth
// as mean ± std, accuracy at step 0, steps to come within 1 point of converged scratch, cost per path,
// break-even depths, storage and the linearity analysis; and its chart, error bars showing the spread.
import { chartsSvg, DASHES, MARKERS, PALETTE, type LegendEntry, type Series } from './chart.js';
import type { MergedSummary, Stat } from './summary.js';

const fmt = (s: Stat | undefined, f: (x: number) => string, n: number): string => {
  if (!s || s.n === 0) return '–';
  const partial = s.n < n ? ` (${s.n} of ${n})` : '';
  return n > 1 ? `${f(s.mean)} ± ${f(s.std)}${partial}` : `${f(s.mean)}${partial}`;
};
const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const sec = (x: number): string => `${x.toFixed(1)} s`;

/** The markdown sections of the v2 experiment. */
export function summaryMarkdown(m: MergedSummary): string {
  const n = m.runs;
  const cell = (key: string, d: number) => m.cells[`${key}:${d}`];
  const head = (first: string) => [`| ${first} | ${m.methods.map((x) => x.label).join(' | ')} |`, `|---|${m.methods.map(() => '---:').join('|')}|`];
  const table = (field: 'accuracy' | 'step0' | 'stepsWithin1', f: (x: number) => string) => [
    ...head('depth'),
    ...m.depths.map((d) => `| ${d} | ${m.methods.map((x) => fmt(cell(x.key, d)?.[field], f, n)).join(' | ')} |`),
  ];
  const spread = n > 1 ? `mean ± sample std over ${n} seeds (${m.seeds.join(', ')})` : `one seed (${m.seeds[0]}); no spread`;
  const lines = [
    `## Accuracy by depth and initialisation (${spread})`,
    '',
    `Teacher: ${fmt(m.teacher, pct, n)}. Aux-Net (distilled): ${fmt(m.ancestry, pct, n)}.${m.ancestryCe.n > 0 ? ` Aux-Net by cross-entropy only: ${fmt(m.ancestryCe, pct, n)}.` : ''}`,
    ...(m.downstream ? ['', `Downstream transfer: the teacher and the Aux-Nets are measured on the upstream test set; every row below is fine-tuned (fresh head) and tested on ${m.downstream}.`] : []),
    '',
    ...table('accuracy', pct),
    '',
    ...(m.methods.some((x) => x.key === 'scratch-converged') ? [
      '### Converged scratch: steps and learning rate',
      '',
      'Early stopping on the validation split: the step of the best validation accuracy (the model kept), the steps',
      'trained (patience included; equal to the cap when validation accuracy was still improving), and the learning',
      'rate the sweep chose on validation.',
      '',
      `| depth | best step | steps trained | learning rate${n > 1 ? ' (per seed)' : ''} |`,
      '|---:|---:|---:|---:|',
      ...m.depths.map((d) => {
        const c = cell('scratch-converged', d);
        // a learning rate is a choice, not a measurement: the rate each seed chose, in seed order
        const rates = c?.lr && c.lr.n > 0 ? c.lr.values.map((x) => x.toPrecision(2)).join(', ') : '–';
        return `| ${d} | ${fmt(c?.steps, (x) => x.toFixed(0), n)} | ${fmt(c?.stepsTrained, (x) => x.toFixed(0), n)} | ${rates} |`;
      }),
      '',
    ] : []),
    '### Accuracy at step 0 (the initialisation alone, before any fine-tuning)',
    '',
    ...table('step0', pct),
    '',
    '### Steps to come within 1 point of converged scratch',
    '',
    'The first evaluated step whose accuracy is at least converged scratch\'s (same depth) minus 1 point; the',
    'resolution is the evaluation interval. "–": never within 1 point during the run (or no converged run).',
    '',
    ...table('stepsWithin1', (x) => x.toFixed(0)),
    '',
    '### Cost of each path (images processed, seconds of training)',
    '',
    'Per depth: the final stage plus what that depth alone needs (the other runs of the LR sweep; the pre-training).',
    'Total: every depth plus the shared stages (teacher and ancestry for TLEG; the teacher for the teacher-derived',
    'initialisations; the cross-entropy Aux-Net for its descendants).',
    '',
    '| path | images per depth (mean over depths) | total images | total seconds | break-even depths vs TLEG |',
    '|---|---:|---:|---:|---:|',
    ...m.methods.map((x) => {
      const per = m.depths.map((d) => cell(x.key, d)?.images.mean).filter((v): v is number => v !== undefined);
      const be = m.breakEven[x.key];
      const beText = x.key === 'tleg' ? '–' : be && be.never === n ? 'never' : `${fmt(be, (v) => v.toFixed(1), n)}${be && be.never > 0 ? ` (never in ${be.never})` : ''}`;
      return `| ${x.label} | ${int(per.reduce((a, v) => a + v, 0) / Math.max(1, per.length))} | ${fmt(m.totals[x.key]?.images, int, n)} | ${fmt(m.totals[x.key]?.seconds, sec, n)} | ${beText} |`;
    }),
    '',
    'Break-even: the smallest number of depths at which the TLEG path (teacher + ancestry + one fine-tune per',
    'depth) processes no more images than the other path (its shared stages + its per-depth cost), with the',
    'per-depth costs averaged over this run\'s depths. Cost only: read it beside the accuracy table (a cheaper path',
    'that ends less accurate has not broken even in any useful sense).',
    '',
    '### Parameters stored',
    '',
    `One learngene: ${int(m.learngeneSize)} values; one model per depth (${m.depths.join(', ')}): ${int(m.perDepthParameters)};`,
    `ratio ${m.storedRatio.toFixed(1)}× (the paper: about 19× for its 14 depths).`,
    '',
  ];
  const lin = Object.keys(m.linearity);
  if (lin.length > 0) {
    const depths = [...new Set(lin.map((k) => Number(k.split(':')[0])))].sort((a, b) => a - b);
    const tensors = [...new Set(lin.map((k) => k.slice(k.indexOf(':') + 1)))];
    lines.push(
      '### Linearity of scratch-trained models (R² of a line through the blocks, per tensor kind)',
      '',
      'The paper\'s motivating observation: in a trained ViT each block tensor is close to a linear function of',
      'the block\'s position. R² per tensor of the converged scratch model at each depth (1: exactly linear).',
      '',
      `| tensor | ${depths.map((d) => `depth ${d}`).join(' | ')} |`,
      `|---|${depths.map(() => '---:').join('|')}|`,
      ...tensors.map((t) => `| ${t} | ${depths.map((d) => fmt(m.linearity[`${d}:${t}`], (v) => v.toFixed(3), n)).join(' | ')} |`),
      '',
    );
  }
  return lines.join('\n');
}

/**
 * Accuracy vs depth (mean; a vertical bar per point spans ± 1 std when there are several seeds) and the
 * mean accuracy vs steps at the middle depth, one colour per method.
 */
export function summarySvg(m: MergedSummary, title: string): string {
  const color = (i: number): string => PALETTE[i % PALETTE.length]!;
  const series: Series[] = [];
  const legend: LegendEntry[] = [];
  m.methods.forEach((x, i) => {
    const points = m.depths.flatMap((d) => {
      const s = m.cells[`${x.key}:${d}`]?.accuracy;
      return s && s.n > 0 ? [[d, 100 * s.mean] as [number, number]] : [];
    });
    series.push({ name: x.label, color: color(i), marker: MARKERS[i % MARKERS.length], dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length], points });
    legend.push({ label: x.label, color: color(i), marker: MARKERS[i % MARKERS.length] });
    if (m.runs > 1) {
      for (const d of m.depths) {
        const s = m.cells[`${x.key}:${d}`]?.accuracy;
        if (s && s.n > 1) series.push({ name: `${x.label} ±1 std d${d}`, color: color(i), points: [[d, 100 * (s.mean - s.std)], [d, 100 * (s.mean + s.std)]] });
      }
    }
  });
  const mid = m.depths[Math.floor((m.depths.length - 1) / 2)];
  const curves: Series[] = m.methods.flatMap((x, i) => {
    const c = m.curves[`${x.key}:${mid}`];
    return c ? [{ name: x.label, color: color(i), marker: MARKERS[i % MARKERS.length], points: c.filter((p) => p.accuracy.n > 0).map((p) => [p.step, 100 * p.accuracy.mean] as [number, number]) }] : [];
  });
  return chartsSvg([
    { title: `Accuracy vs depth${m.runs > 1 ? ` (mean, bars ±1 std over ${m.runs} seeds)` : ''}`, xLabel: 'depth (blocks)', xIntegers: true, yLabel: 'top-1 accuracy (%)', series, legend, legendColumns: 2, width: 600, height: 420 },
    { title: `Accuracy vs steps at depth ${mid}${m.runs > 1 ? ' (mean)' : ''}`, xLabel: 'training steps', xIntegers: true, yLabel: 'top-1 accuracy (%)', series: curves, legendColumns: 2, width: 600, height: 420 },
  ], title);
}

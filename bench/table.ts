// Result rows and the markdown report: one table per family, each figure with its spread and its
// ratios to tfjs-wasm and to PyTorch on the same case (>1: faster than the peer).
import type { Unit } from './cases.js';
import { availableParallelism } from 'node:os';
import { torchBackend } from './peers/torch.js';
import type { Stats } from './measure.js';
import type { Machine } from './machine.js';

export type Family = 'matmul' | 'softmax' | 'layernorm' | 'vit';

export interface Row {
  family: Family;
  /** Same for every backend on one case (matches rows for ratios). */
  key: string;
  shape: string;
  op: string;
  backend: string;
  /** gpu.js mode for engine gpujs rows, else null. */
  mode: string | null;
  unit: Unit;
  /** flops, bytes or images per call. */
  amount: number;
  /** skipped: the backend's time budget for this family ran out before this case. */
  status: 'ok' | 'error' | 'skipped';
  stats?: Stats;
  /** Seconds to read the result back to the host, where the backend has a separate readback. */
  readbackS?: number;
  note?: string;
}

/** A backend that took part, or was looked for and is not present here. */
export interface BackendInfo {
  backend: string;
  mode: string | null;
  present: boolean;
  /** What it runs on, or why it is not present. */
  detail: string;
}

export const REFERENCE_BACKEND = 'tfjs wasm';

export function throughput(row: Row): number | null {
  if (row.status !== 'ok' || !row.stats) return null;
  const perSecond = row.amount / row.stats.meanS;
  return row.unit === 'images/s' ? perSecond : perSecond / 1e9;
}

/** Speed relative to tfjs-wasm on the same case: its time / this row's time. */
export function ratioToReference(row: Row, rows: readonly Row[]): number | null {
  const ref = rows.find((r) => r.key === row.key && r.backend === REFERENCE_BACKEND && r.status === 'ok');
  if (!ref?.stats || !row.stats || row.status !== 'ok') return null;
  return ref.stats.meanS / row.stats.meanS;
}

/** PyTorch at this row's thread count ("engine cpu 1T" → "pytorch 1T"); rows without one run on every core. */
export function torchPeerOf(row: Pick<Row, 'backend'>): string {
  const threads = /(?:^| )(\d+)T$/.exec(row.backend);
  return threads ? torchBackend(Number(threads[1])) : torchBackend(availableParallelism());
}

/** Speed relative to PyTorch at the same thread count on the same case: its time / this row's time (null on PyTorch's own rows). */
export function ratioToTorch(row: Row, rows: readonly Row[]): number | null {
  if (row.backend.startsWith('pytorch')) return null;
  const peer = torchPeerOf(row);
  const ref = rows.find((r) => r.key === row.key && r.backend === peer && r.status === 'ok');
  if (!ref?.stats || !row.stats || row.status !== 'ok') return null;
  return ref.stats.meanS / row.stats.meanS;
}

/** A backend as the table prints it: "engine gpujs (webasm)". */
export const backendName = (r: { backend: string; mode: string | null }) => (r.mode ? `${r.backend} (${r.mode})` : r.backend);

function formatTime(s: number): string {
  if (s >= 1) return `${s.toPrecision(3)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toPrecision(3)} ms`;
  return `${(s * 1e6).toPrecision(3)} µs`;
}

function formatNumber(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function spread(stats: Stats): string {
  if (stats.rme !== null) return `±${stats.rme.toFixed(1)}% (n=${stats.samples})`;
  if (stats.samples === 1) return 'one call';
  return `${formatTime(stats.minS)}–${formatTime(stats.maxS)} (n=${stats.samples})`;
}

const FAMILY_TITLES: Record<Family, string> = {
  matmul: 'Matmul (GFLOP/s = 2·batch·M·N·K / time)',
  softmax: 'Softmax over the last axis (GB/s = float32 bytes read + written once / time)',
  layernorm: 'LayerNorm over the last axis, with weight and bias (GB/s as softmax)',
  vit: 'Reference ViT (28×28×1, patch 4, dim 64, depth 6, 4 heads, MLP 4, 10 classes, class token), batch 64, images/s; AdamW ' +
    '(tfjs: tf.train.adam plus decoupled weight decay); tleg-small: the pipeline\'s model (patch 7, MLP 2, average pooling) at depth 6',
};

function tableRow(row: Row, rows: readonly Row[]): string {
  const name = backendName(row);
  if (row.status !== 'ok' || !row.stats) {
    return `| ${row.shape} | ${row.op} | ${name} | ${row.status} | ${row.note ?? ''} | | | | |`;
  }
  const ratio = ratioToReference(row, rows);
  const vsTorch = ratioToTorch(row, rows);
  const cells = [
    row.shape, row.op, name, formatTime(row.stats.meanS), spread(row.stats),
    formatNumber(throughput(row)!), ratio === null ? '—' : `${ratio.toFixed(2)}×`, vsTorch === null ? '—' : `${vsTorch.toFixed(2)}×`,
    row.readbackS === undefined ? '—' : formatTime(row.readbackS),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** A case as a summary line names it: the row kernels' shapes alone do not say softmax or layernorm. */
export const caseName = (r: Pick<Row, 'family' | 'shape'>): string => (r.family === 'softmax' || r.family === 'layernorm' ? `${r.family} ${r.shape}` : r.shape);

/**
 * The summary a reader wants first: per case, ours and PyTorch on one thread and on every core, and the
 * ratio (PyTorch's time over ours); empty when PyTorch did not run.
 */
export function renderTorchSummary(rows: readonly Row[]): string[] {
  const every = availableParallelism();
  const threadCounts = [...new Set([1, every])];
  const ours = (t: number) => (t === every ? 'engine cpu' : `engine cpu ${t}T`);
  const keys = [...new Set(rows.map((r) => r.key))].filter((k) => threadCounts.some((t) => rows.some((r) => r.key === k && r.backend === torchBackend(t) && r.status === 'ok')));
  if (keys.length === 0) return [];
  const fmt = (r: Row | undefined) => (r && throughput(r) !== null ? formatNumber(throughput(r)!) : '—');
  const head = threadCounts.flatMap((t) => [`ours, ${t}T`, `PyTorch, ${t}T`, `ratio ${t}T`]);
  const lines = [
    '## Against PyTorch (summary of the tables below)', '',
    'Throughput (the unit of each family); ratio: PyTorch\'s time over ours at the same thread count (>1: faster than PyTorch).', '',
    `| case | op | unit | ${head.join(' | ')} |`,
    `|---|---|---|${head.map(() => '---:').join('|')}|`,
  ];
  for (const key of keys) {
    const any = rows.find((r) => r.key === key)!;
    const cells = threadCounts.flatMap((t) => {
      const mine = rows.find((r) => r.key === key && r.backend === ours(t));
      const peer = rows.find((r) => r.key === key && r.backend === torchBackend(t));
      const ratio = mine ? ratioToTorch(mine, rows) : null;
      return [fmt(mine), fmt(peer), ratio === null ? '—' : `${ratio.toFixed(2)}×`];
    });
    lines.push(`| ${caseName(any)} | ${any.op} | ${any.unit} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  return lines;
}

export function renderMarkdown(rows: readonly Row[], backends: readonly BackendInfo[], machine: Machine, quick: boolean): string {
  const lines: string[] = [];
  lines.push(`# Benchmark results${quick ? ' (--quick)' : ''}`, '');
  lines.push(`${machine.cpuModel}, ${machine.cores} logical cores, ${(machine.totalMemBytes / 2 ** 30).toFixed(0)} GiB; ` +
    `Node ${machine.node} on ${machine.platform}-${machine.arch}; ${machine.date}; load average ${machine.loadAverage1m.toFixed(2)} at the start` +
    (machine.loadAverage1m >= machine.cores / 2 ? ' (other work shared the cores: every figure is noisy).' : '.'), '');
  lines.push('Time is the mean per call after warm-up; ± is benchmark.js\'s relative margin of error (95%), or min–max ' +
    'where a call is slow enough to be timed by hand. "vs tfjs-wasm" is tfjs-wasm\'s time over this row\'s (>1 is faster); ' +
    '"vs PyTorch" is PyTorch\'s time (eager, cpu) at the row\'s thread count ("1T": one thread, else every core) over this row\'s. ' +
    'Readback, where a backend has one, is timed apart and not included in the time.', '');
  lines.push(...renderTorchSummary(rows));
  lines.push('## Backends', '');
  for (const b of backends) lines.push(`- ${backendName(b)}: ${b.present ? b.detail : `not present (${b.detail})`}`);
  lines.push('');
  for (const family of ['matmul', 'softmax', 'layernorm', 'vit'] as const) {
    const mine = rows.filter((r) => r.family === family);
    if (mine.length === 0) continue;
    const unit = mine[0].unit;
    lines.push(`## ${FAMILY_TITLES[family]}`, '');
    lines.push(`| shape | op | backend | time | spread | ${unit} | vs tfjs-wasm | vs PyTorch | readback |`);
    lines.push('|---|---|---|---:|---|---:|---:|---:|---:|');
    for (const row of mine) lines.push(tableRow(row, rows));
    lines.push('');
  }
  return lines.join('\n');
}

export interface JsonReport {
  machine: Machine;
  quick: boolean;
  backends: BackendInfo[];
  rows: (Row & { throughput: number | null; ratioToTfjsWasm: number | null; ratioToTorch: number | null })[];
}

export function toJson(rows: readonly Row[], backends: readonly BackendInfo[], machine: Machine, quick: boolean): JsonReport {
  return {
    machine,
    quick,
    backends: [...backends],
    rows: rows.map((r) => ({ ...r, throughput: throughput(r), ratioToTfjsWasm: ratioToReference(r, rows), ratioToTorch: ratioToTorch(r, rows) })),
  };
}

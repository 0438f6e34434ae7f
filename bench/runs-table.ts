// `node dist/bench/runs-table.js A.json B.json ...`: the "against PyTorch" summary over several bench runs
// (bench/results/*.json), each cell the range over the runs (min–max), so a table quotes its spread.
import { readFileSync } from 'node:fs';
import { caseName, type JsonReport } from './table.js';

type JsonRow = JsonReport['rows'][number];

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
/** "a" for one value or equal ones, "a–b" for a range (then the unit suffix). */
function range(values: number[], f: (x: number) => string, suffix = ''): string {
  if (values.length === 0) return '—';
  const lo = f(Math.min(...values)), hi = f(Math.max(...values));
  return `${lo === hi ? lo : `${lo}–${hi}`}${suffix}`;
}

/** The markdown table over the reports: per case, ours and PyTorch at each thread count and the ratio, as ranges. */
export function runsTable(reports: readonly JsonReport[]): string {
  const threads = [...new Set(reports.map((r) => r.machine.availableParallelism))];
  if (threads.length !== 1) throw new Error(`runs-table: the runs come from machines with different core counts (${threads.join(', ')})`);
  const every = threads[0];
  const counts = [...new Set([1, every])];
  const ours = (t: number) => (t === every ? 'engine cpu' : `engine cpu ${t}T`);
  const torch = (t: number) => (t === every ? 'pytorch' : `pytorch ${t}T`);
  const all = reports.flatMap((r) => r.rows);
  const keys = [...new Set(all.map((r) => r.key))].filter((k) => all.some((r) => r.key === k && r.backend.startsWith('pytorch') && r.throughput !== null));
  const pick = (key: string, backend: string, field: 'throughput' | 'ratioToTorch') =>
    reports.map((rep) => rep.rows.find((r: JsonRow) => r.key === key && r.backend === backend)?.[field]).filter((x): x is number => typeof x === 'number');
  const head = counts.flatMap((t) => [`ours, ${t}T`, `PyTorch, ${t}T`, `ratio ${t}T`]);
  const lines = [`| case | op | unit | ${head.join(' | ')} |`, `|---|---|---|${head.map(() => '---:').join('|')}|`];
  for (const key of keys) {
    const any = all.find((r) => r.key === key)!;
    const cells = counts.flatMap((t) => [
      range(pick(key, ours(t), 'throughput'), fmt),
      range(pick(key, torch(t), 'throughput'), fmt),
      range(pick(key, ours(t), 'ratioToTorch'), (x) => x.toFixed(2), '×'),
    ]);
    lines.push(`| ${caseName(any)} | ${any.op} | ${any.unit} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function main(): void {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: node dist/bench/runs-table.js RESULTS.json [MORE.json ...]   (bench/results/*.json)\n');
    process.exit(2);
  }
  const reports = files.map((f) => {
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as JsonReport;
    } catch (e) {
      process.stderr.write(`runs-table: cannot read ${f}: ${(e as Error).message}\n`);
      process.exit(2);
    }
  });
  process.stdout.write(`Over ${reports.length} run(s) (${reports.map((r) => r.machine.date).join(', ')}); each cell min–max over the runs.\n\n${runsTable(reports)}\n`);
}

if (process.argv[1]?.endsWith('runs-table.js')) main();

// `tleg report RUN_DIR... --out DIR`: seeds run as separate invocations; this merges their results.json
// into one report with mean ± std per row and a chart with the spread (report.md, report.svg, summary.json).
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../../model/io/index.js';
import type { ReportInput } from '../report.js';
import { mergeSummaries, summarizeRun, type MergedSummary } from '../summary.js';
import { summaryMarkdown, summarySvg } from '../summary-report.js';
import { parseCommand } from './args.js';
import { fail } from './cli-error.js';

export const REPORT_HELP = `tleg report: merge the runs of several seeds into one report (mean ± std per row)

Usage: tleg report RUN_DIR [RUN_DIR ...] [--out DIR]

Each RUN_DIR is a finished run directory (its results.json); every run must have the same preset, data,
depths and downstream settings, and differ in the seed. Writes DIR/report.md, DIR/report.svg and
DIR/summary.json.

  --out DIR    where the merged report goes (created if missing); default: beside the first run, its name
               without -seed<N> plus the seeds, e.g. runs/full-fashion-mnist-seeds-0-1-2
  --help       this text
`;

const SAME = ['preset', 'dataset', 'depths', 'downstream', 'downstream train examples', 'fine-tune steps'];

/** The results.json of each run directory, checked to be runs of one experiment with distinct seeds. */
export function readRuns(dirs: string[]): ReportInput[] {
  if (dirs.length === 0) fail('report: expected at least one run directory (see tleg report --help)');
  const runs = dirs.map((dir) => {
    const path = join(dir, 'results.json');
    if (!existsSync(path) || !statSync(path).isFile()) fail(`report: ${JSON.stringify(dir)} has no results.json; is it a finished run directory?`);
    try {
      const r = JSON.parse(readFileSync(path, 'utf8')) as ReportInput;
      if (!Array.isArray(r?.descendants) || typeof r.teacher?.accuracy !== 'number') throw new Error('no descendants or teacher');
      return r;
    } catch (e) {
      return fail(`report: ${path} is not a TLEG results file (${(e as Error).message})`);
    }
  });
  for (const key of SAME) {
    const values = runs.map((r) => JSON.stringify(r.settings[key]));
    if (new Set(values).size > 1) fail(`report: the runs differ in "${key}" (${values.join(' vs ')}); merge only seeds of one experiment`);
  }
  const seeds = runs.map((r) => String(r.settings['seed']));
  if (new Set(seeds).size !== seeds.length) fail(`report: two runs have the same seed (${seeds.join(', ')}); each seed must appear once`);
  return runs;
}

export function mergeRuns(runs: ReportInput[]): MergedSummary {
  const k = runs[0]!.scratchMultiplier;
  return mergeSummaries(runs.map(summarizeRun), k);
}

export function runReport(argv: string[], print: (line: string) => void): number {
  const { values, positionals } = parseCommand('report', argv, { out: { type: 'string' } });
  if (values.help) {
    print(REPORT_HELP.trimEnd());
    return 0;
  }
  const runs = readRuns(positionals);
  const merged = mergeRuns(runs);
  const first = positionals[0]!.replace(/\/+$/, '');
  const out = (values.out as string | undefined) ?? join(dirname(first), `${basename(first).replace(/-seed\d+$/, '')}-seeds-${merged.seeds.join('-')}`);
  if (out.trim() === '') fail('--out: expected a directory for the merged report, got ""');
  const st = runs[0]!.settings;
  const title = `TLEG on ${st['dataset']}${st['downstream'] ? ` → ${st['downstream']}` : ''}: preset ${st['preset']}, seeds ${merged.seeds.join(', ')}`;
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    fail(`--out ${JSON.stringify(out)}: cannot create the directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  const md = [`# ${title}`, '', `Merged from ${positionals.map((p) => `\`${p}\``).join(', ')}.`, '', summaryMarkdown(merged), '![accuracy vs depth with the spread over seeds](report.svg)', ''].join('\n');
  writeFileAtomic(join(out, 'report.md'), text(md));
  writeFileAtomic(join(out, 'report.svg'), text(summarySvg(merged, title)));
  writeFileAtomic(join(out, 'summary.json'), text(`${JSON.stringify(merged, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v), 2)}\n`));
  print(`merged ${runs.length} run(s), seeds ${merged.seeds.join(', ')}: ${join(out, 'report.md')} (chart: report.svg, numbers: summary.json)`);
  return 0;
}

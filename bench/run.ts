// `npm run bench [-- --quick] [-- --only=matmul,vit] [-- --skip=gpujs,numpy,pytorch]`: this engine against its
// peers, in one process and one run, on this machine. Prints a markdown table and writes
// bench/results/latest.md and latest.json.
//
// Backends run one after another (never concurrently), each over every case, so a row's figure is never
// shared with another backend's work; warm-up calls are excluded everywhere.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelCases, kernelHead, type KernelCase } from './cases.js';
import { engineKernelBackends, runBackend, type KernelRunOptions } from './kernels.js';
import { describeMachine } from './machine.js';
import { runNumpy } from './peers/numpy.js';
import { runTorch, torchBackend, torchThreadCounts } from './peers/torch.js';
import { tfjsKernelBackend } from './peers/tfjs.js';
import { backendName, REFERENCE_BACKEND, renderMarkdown, toJson, type BackendInfo, type Family, type Row } from './table.js';
import { VIT_CASES, vitBackends, vitHead, vitSpec } from './train-step.js';

const FAMILIES: Family[] = ['matmul', 'softmax', 'layernorm', 'vit'];

interface Args {
  quick: boolean;
  families: Family[];
  /** Backends whose name contains one of these are left out (e.g. 'gpujs', 'numpy', 'tfjs cpu'). */
  skip: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, families: FAMILIES, skip: [] };
  for (const a of argv) {
    if (a === '--quick') args.quick = true;
    else if (a.startsWith('--only=')) {
      const wanted = a.slice('--only='.length).split(',');
      const unknown = wanted.filter((f) => !FAMILIES.includes(f as Family));
      if (unknown.length) throw new Error(`bench: --only: unknown famil${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}; expected some of ${FAMILIES.join(', ')}`);
      args.families = wanted as Family[];
    } else if (a.startsWith('--skip=')) args.skip = a.slice('--skip='.length).split(',').filter(Boolean);
    else throw new Error(`bench: unknown argument ${JSON.stringify(a)}; expected --quick, --only=<families>, --skip=<backends>`);
  }
  return args;
}

function options(quick: boolean): KernelRunOptions {
  const log = (line: string) => console.error(line);
  const budgetExempt = ['engine cpu', 'engine cpu 1T', REFERENCE_BACKEND];
  return quick
    ? { minTime: 0.05, maxTime: 0.25, minSamples: 3, warmup: 2, slowCallS: 0.25, manualSamples: 2, singleCallS: 1, maxWarmupS: 10, readbackSamples: 3, budgetS: 8, budgetExempt, log }
    : { minTime: 0.1, maxTime: 1.2, minSamples: 5, warmup: 3, slowCallS: 1, manualSamples: 3, singleCallS: 6, maxWarmupS: 90, readbackSamples: 5, budgetS: 90, budgetExempt, log };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const opts = options(args.quick);
  const machine = describeMachine();
  const started = performance.now();
  console.error(`bench${args.quick ? ' --quick' : ''}: ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage1m.toFixed(2)}, Node ${machine.node}`);

  const rows: Row[] = [];
  const backends: BackendInfo[] = [];
  const note = (info: BackendInfo) => { if (!backends.some((b) => b.backend === info.backend && b.mode === info.mode)) backends.push(info); };
  /** Keeps a backend's rows and its description; says on stderr when it turned out not to be present. */
  const record = (result: { info: BackendInfo; rows: Row[] }) => {
    note(result.info);
    if (!result.info.present) console.error(`  not present: ${result.info.detail}`);
    rows.push(...result.rows);
  };
  // --quick leaves out the slowest: gpu.js's cpu mode (its JavaScript reference implementation) and,
  // for the ViT, tfjs-cpu (tens of seconds a training step); full runs keep both.
  const skipReason = (backend: string, mode: string | null, quickSkips: Record<string, string>): string | null => {
    const name = `${backend} ${mode ?? ''}`;
    // as typed or as the table prints it: "gpujs webasm" and "gpujs (webasm)" both match
    const shown = backendName({ backend, mode });
    const user = args.skip.find((s) => name.includes(s) || shown.includes(s));
    if (user !== undefined) return `skipped by --skip=${user}`;
    const quick = args.quick ? Object.keys(quickSkips).find((s) => name.includes(s)) : undefined;
    return quick === undefined ? null : `skipped in --quick (${quickSkips[quick]})`;
  };
  const gpujsCpuSkip = { 'gpujs cpu': "gpu.js's JavaScript reference mode" };
  /** PyTorch at every thread count the engine runs at, on these kernel cases and ViT rows (one child process). */
  const torchPeer = async (kernels: readonly KernelCase[], vit: boolean) => {
    const reason = skipReason('pytorch', null, {});
    if (reason) { for (const t of torchThreadCounts()) note({ backend: torchBackend(t), mode: null, present: false, detail: reason }); return; }
    console.error(`pytorch: ${vit ? 'ViT' : 'kernels'}`);
    const vits = vit ? VIT_CASES.map((c) => ({ head: vitHead(c), torchCase: c === 'infer' ? 'infer' as const : 'train' as const, spec: vitSpec(c) })) : [];
    for (const result of await runTorch(kernels, kernelHead, vits, opts, repoRoot, opts.log)) record(result);
  };

  const cases: KernelCase[] = kernelCases(args.quick).filter((c) => args.families.includes(c.family));
  if (cases.length > 0) {
    for (const kb of [...engineKernelBackends(), tfjsKernelBackend('cpu'), tfjsKernelBackend('wasm')]) {
      const reason = skipReason(kb.backend, kb.mode, gpujsCpuSkip);
      if (reason) { note({ backend: kb.backend, mode: kb.mode, present: false, detail: reason }); continue; }
      console.error(`${backendName(kb)}: kernels`);
      const result = await runBackend(kb, cases, kernelHead, opts);
      record(result);
    }
    const reason = skipReason('numpy', null, {});
    if (reason) note({ backend: 'numpy', mode: null, present: false, detail: reason });
    else {
      console.error('numpy: kernels');
      const result = await runNumpy(cases, opts, repoRoot, opts.log);
      record(result);
    }
    await torchPeer(cases, false);
  }
  if (args.families.includes('vit')) {
    for (const vb of vitBackends()) {
      const reason = skipReason(vb.backend, vb.mode, { ...gpujsCpuSkip, 'tfjs cpu': 'tens of seconds per training step' });
      const known = backends.find((b) => b.backend === vb.backend && b.mode === vb.mode);
      if (reason && known?.present) {
        rows.push(...VIT_CASES.map((c): Row => ({ ...vitHead(c), backend: vb.backend, mode: vb.mode, status: 'skipped', note: reason })));
        continue;
      }
      if (reason) { note({ backend: vb.backend, mode: vb.mode, present: false, detail: reason }); continue; }
      console.error(`${backendName(vb)}: ViT`);
      const result = await runBackend(vb, VIT_CASES, vitHead, opts);
      record(result);
    }
    await torchPeer([], true);
  }

  const ordered = orderRows(rows, backends);
  const markdown = renderMarkdown(ordered, backends, machine, args.quick);
  const resultsDir = path.join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'latest.md'), markdown + '\n');
  writeFileSync(path.join(resultsDir, 'latest.json'), JSON.stringify(toJson(ordered, backends, machine, args.quick), null, 2) + '\n');
  console.log(markdown);
  console.error(`bench: ${((performance.now() - started) / 1e3).toFixed(0)} s; wrote ${path.relative(process.cwd(), resultsDir)}/latest.{md,json}`);
}

/** Rows grouped by case (in the order the cases ran), backends in the order they ran within a case. */
function orderRows(rows: readonly Row[], backends: readonly BackendInfo[]): Row[] {
  const caseOrder = [...new Set(rows.map((r) => r.key))];
  const backendIndex = (r: Row) => backends.findIndex((b) => b.backend === r.backend && b.mode === r.mode);
  return [...rows].sort((a, b) =>
    FAMILIES.indexOf(a.family) - FAMILIES.indexOf(b.family)
    || caseOrder.indexOf(a.key) - caseOrder.indexOf(b.key)
    || backendIndex(a) - backendIndex(b));
}

main().then(
  // gpu.js (webgpu) and tfjs-wasm may hold handles open; the report is written, so leave now.
  () => process.exit(0),
  (err: unknown) => { console.error(err instanceof Error ? err.stack ?? err.message : err); process.exit(1); },
);

// PyTorch as the peer a user would pick instead: CPU, eager, torch.set_num_threads equal to the engine's
// thread count (one thread, then every core), on the kernel rows and the reference ViT. It runs in a
// Python child process (bench/peers/torch_bench.py) during the same run while this process waits, so it
// never competes with our own timings. The python: $TLEG_TORCH_PYTHON, else the repository's
// .venv-ref/bin/python (README, Benchmarks, says how to make it); where neither imports torch, the rows are
// left out with one line saying why.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { caseKey, type CaseHead, type KernelCase, type VitSpec } from '../cases.js';
import type { MeasureOptions, Stats } from '../measure.js';
import type { BackendInfo, Row } from '../table.js';
import { runPython } from './numpy.js';

export const TORCH_PYTHON_ENV = 'TLEG_TORCH_PYTHON';

/** The peer's backend name at `threads`: "pytorch 1T" beside "engine cpu 1T", "pytorch" beside "engine cpu" (every core). */
export const torchBackend = (threads: number): string => (threads === availableParallelism() ? 'pytorch' : `pytorch ${threads}T`);

/** The thread counts the engine's cpu rows run at (bench/kernels.ts, bench/train-step.ts). */
export const torchThreadCounts = (): number[] => [...new Set([1, availableParallelism()])];

/** A ViT row of the engine and what PyTorch runs for it. */
export interface TorchVitRow {
  head: CaseHead;
  torchCase: 'train' | 'infer';
  spec: VitSpec;
}

/** The measurement a ViT row needs in PyTorch: rows with equal keys share one. */
const torchVitKey = (v: TorchVitRow): string => `vit|${v.torchCase}|${JSON.stringify(v.spec)}`;

interface TorchReply {
  torch: string;
  python: string;
  interop: number;
  results: Record<string, Record<string, Stats | { error: string } | { skipped: string }>>;
}

/** $TLEG_TORCH_PYTHON or .venv-ref/bin/python, if it imports torch; else why not. */
export function findTorchPython(repoRoot: string): { python: string } | { missing: string } {
  const fromEnv = process.env[TORCH_PYTHON_ENV];
  const python = fromEnv && fromEnv.trim() !== '' ? fromEnv : path.join(repoRoot, '.venv-ref', 'bin', 'python');
  const how = fromEnv ? `$${TORCH_PYTHON_ENV}=${python}` : python;
  if (!fromEnv && !existsSync(python)) {
    return { missing: `no ${path.relative(repoRoot, python)} and no $${TORCH_PYTHON_ENV} (README, Benchmarks: python3 -m venv .venv-ref && .venv-ref/bin/pip install torch==2.13.0+cpu numpy)` };
  }
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status === 0) return { python };
  return { missing: `${how} cannot import torch: ${probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`)}` };
}

/**
 * Times `cases` (and each ViT row: a training step or an inference batch of its network) in PyTorch at each
 * of torchThreadCounts(); one backend info and its rows per thread count. ViT rows that time the same thing
 * in PyTorch (the scoped and the plain-loop step: PyTorch has no scope) share one measurement.
 */
export async function runTorch(
  cases: readonly KernelCase[], kernelHead: (c: KernelCase) => CaseHead, vits: readonly TorchVitRow[],
  opts: MeasureOptions & { budgetS: number }, repoRoot: string, log: (line: string) => void,
): Promise<{ info: BackendInfo; rows: Row[] }[]> {
  const threads = torchThreadCounts();
  const absent = (detail: string) => threads.map((t) => ({ info: { backend: torchBackend(t), mode: null, present: false, detail }, rows: [] }));
  const found = findTorchPython(repoRoot);
  if ('missing' in found) return absent(found.missing);
  const request = {
    threads,
    cases: cases.map((c) => ({ ...c, key: caseKey(c) })),
    vits: Object.fromEntries(vits.map((v) => [torchVitKey(v), { case: v.torchCase, spec: v.spec }])),
    options: {
      minTime: opts.minTime, maxTime: opts.maxTime, minSamples: opts.minSamples, warmup: opts.warmup,
      slowCallS: opts.slowCallS, manualSamples: opts.manualSamples, singleCallS: opts.singleCallS, budgetS: opts.budgetS, maxWarmupS: opts.maxWarmupS,
    },
  };
  let reply: TorchReply;
  try {
    reply = JSON.parse(await runPython(found.python, path.join(repoRoot, 'bench', 'peers', 'torch_bench.py'), JSON.stringify(request))) as TorchReply;
  } catch (err) {
    return absent(`${found.python} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const heads = [...cases.map((c) => ({ head: kernelHead(c), key: caseKey(c) })), ...vits.map((v) => ({ head: v.head, key: torchVitKey(v) }))];
  return threads.map((t) => {
    const backend = torchBackend(t);
    const info: BackendInfo = {
      backend, mode: null, present: true,
      detail: `PyTorch ${reply.torch} eager on cpu, torch.set_num_threads(${t}), Python ${reply.python} via ${found.python}`,
    };
    const results = reply.results[String(t)] ?? {};
    const rows = heads.map(({ head, key }): Row => {
      const result = results[key];
      const row: Row = { ...head, backend, mode: null, status: 'ok' };
      if (!result) return { ...row, status: 'error', note: 'no result' };
      if ('error' in result) return { ...row, status: 'error', note: result.error };
      if ('skipped' in result) return { ...row, status: 'skipped', note: result.skipped };
      log(`  ${backend} ${head.family} ${head.shape} ${head.op}: ${(result.meanS * 1e3).toPrecision(3)} ms`);
      return { ...row, stats: result };
    });
    return { info, rows };
  });
}

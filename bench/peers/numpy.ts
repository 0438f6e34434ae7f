// NumPy as the machine's reference: matmul through its BLAS (multi-threaded), row ops vectorised. It runs
// in a Python child process (bench/peers/numpy_bench.py) during the same run, one case after another,
// while this process waits, so it never competes with our own timings.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { caseKey, kernelHead, type KernelCase } from '../cases.js';
import type { MeasureOptions, Stats } from '../measure.js';
import type { BackendInfo, Row } from '../table.js';

interface NumpyReply {
  numpy: string;
  blas: string;
  python: string;
  results: Record<string, Stats | { error: string } | { skipped: string }>;
}

/** python3 if it imports numpy, else the repository's .venv-ref python if that exists and does; else why not. */
export function findPython(repoRoot: string): { python: string } | { missing: string } {
  const candidates = ['python3', path.join(repoRoot, '.venv-ref', 'bin', 'python')];
  const tried: string[] = [];
  for (const python of candidates) {
    if (python !== 'python3' && !existsSync(python)) continue;
    const probe = spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8', timeout: 30_000 });
    if (probe.status === 0) return { python };
    tried.push(`${python}: ${probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`)}`);
  }
  return { missing: `no python with numpy (${tried.join('; ')})` };
}

export function runPython(python: string, script: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(script)} exited with ${code}: ${err.trim().split('\n').pop()}`))));
    child.stdin.end(input);
  });
}

export async function runNumpy(cases: readonly KernelCase[], opts: MeasureOptions & { budgetS: number }, repoRoot: string, log: (line: string) => void): Promise<{ info: BackendInfo; rows: Row[] }> {
  const found = findPython(repoRoot);
  if ('missing' in found) return { info: { backend: 'numpy', mode: null, present: false, detail: found.missing }, rows: [] };
  const script = path.join(repoRoot, 'bench', 'peers', 'numpy_bench.py');
  const request = {
    cases: cases.map((c) => ({ ...c, key: caseKey(c) })),
    options: {
      minTime: opts.minTime, maxTime: opts.maxTime, minSamples: opts.minSamples, warmup: opts.warmup,
      slowCallS: opts.slowCallS, manualSamples: opts.manualSamples, singleCallS: opts.singleCallS, budgetS: opts.budgetS, maxWarmupS: opts.maxWarmupS,
    },
  };
  let reply: NumpyReply;
  try {
    reply = JSON.parse(await runPython(found.python, script, JSON.stringify(request))) as NumpyReply;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { info: { backend: 'numpy', mode: null, present: false, detail: `${found.python} failed: ${detail}` }, rows: [] };
  }
  const info: BackendInfo = {
    backend: 'numpy', mode: null, present: true,
    detail: `NumPy ${reply.numpy} (BLAS: ${reply.blas}), Python ${reply.python} via ${found.python}`,
  };
  const rows = cases.map((c): Row => {
    const head = kernelHead(c);
    const result = reply.results[head.key];
    const row: Row = { ...head, backend: 'numpy', mode: null, status: 'ok' };
    if (!result) return { ...row, status: 'error', note: 'no result' };
    if ('error' in result) return { ...row, status: 'error', note: result.error };
    if ('skipped' in result) return { ...row, status: 'skipped', note: result.skipped };
    log(`  numpy ${c.family} ${head.shape} ${head.op}: ${(result.meanS * 1e3).toPrecision(3)} ms`);
    return { ...row, stats: result };
  });
  return { info, rows };
}

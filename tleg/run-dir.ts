// The run directory, made ready before anything is written into it: created if missing (each missing level
// by itself, so a path the kernel refuses fails at once instead of looping), proven writable with a probe
// file, and cleared of temporary files that an interrupted run left behind.
import { existsSync, mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fail } from './commands/cli-error.js';

const reason = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** Creates `out` (and missing parents) and checks that files can be written there; usage errors otherwise. */
export function prepareRunDir(out: string): void {
  if (out.trim() === '') fail(`--out: expected a directory for the run, got ${JSON.stringify(out)}`);
  const target = resolve(out);
  const missing: string[] = [];
  let existing = target;
  while (!existsSync(existing)) {
    missing.unshift(existing);
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(existing).isDirectory();
  } catch (e) {
    fail(`--out ${JSON.stringify(out)}: cannot read ${existing} (${reason(e)})`);
  }
  if (!isDirectory) {
    fail(`--out ${JSON.stringify(out)}: ${existing === target ? 'is a file' : `${existing} is a file`}, not a directory; name a directory for the run`);
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      fail(`--out ${JSON.stringify(out)}: cannot create the directory ${dir} (${reason(e)}); choose a writable place`);
    }
  }
  const probe = join(target, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, 'probe\n');
    unlinkSync(probe);
  } catch (e) {
    try { unlinkSync(probe); } catch { /* never created */ }
    fail(`--out ${JSON.stringify(out)}: cannot write files in ${target} (${reason(e)}); choose a writable directory`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** writeFileAtomic's temporaries (`<file>.tmp-<pid>-<hex>`) whose writer is gone: removed; returns their paths. */
export function removeStaleTemporaries(runDir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(runDir, { recursive: true, encoding: 'utf8' })) {
    const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
    if (!m || (Number(m[1]) !== process.pid && processAlive(Number(m[1])))) continue;
    const path = join(runDir, name);
    if (!statSync(path).isFile()) continue;
    unlinkSync(path);
    removed.push(path);
  }
  return removed;
}

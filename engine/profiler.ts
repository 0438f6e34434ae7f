// The op profiler (torch.profiler's key_averages, for this engine): `profile(fn)` runs fn once and returns,
// per op and phase (forward, or inside backward()), the calls, the self and total time, and the bytes of
// storage allocated. Autograd calls `recordOp` around every op's forward and every node's backward; when
// no profile is running that is one boolean check and a direct call.
//
// Self time excludes the ops an op calls (a composed op's primitives, a backward's matmuls), so the self
// column adds up to the time spent in ops. On an asynchronous device (gpujs webgpu) the times are the
// time to queue the work, not to run it.
import { listDevices, type Device } from './device.js';

export type ProfilePhase = 'forward' | 'backward';

export interface ProfileRow {
  /** The op's name; `<op>Backward` for the backward of an autograd node; a recordFunction label as given. */
  name: string;
  /** backward: called while backward() runs (a node's backward, the ops it calls, gradient accumulation). */
  phase: ProfilePhase;
  calls: number;
  /** Milliseconds in this row's calls, less the time in the rows they called. */
  selfMs: number;
  /** Milliseconds in this row's calls, everything they called included. */
  totalMs: number;
  /** totalMs / calls. */
  meanMs: number;
  /** Bytes of storage allocated by this row's calls themselves (not by the rows they called). */
  selfBytes: number;
}

export interface ProfileReport<T> {
  /** What fn returned. */
  result: T;
  /** One row per (name, phase), sorted by self time, largest first. */
  rows: ProfileRow[];
  /** Wall-clock milliseconds of the whole fn. */
  wallMs: number;
  /** The rows as a text table (see formatProfile). */
  table(options?: ProfileTableOptions): string;
}

export interface ProfileTableOptions {
  sortBy?: 'selfMs' | 'totalMs' | 'calls' | 'selfBytes';
  /** At most this many rows (default: all). */
  rowLimit?: number;
}

interface Frame {
  childMs: number;
  bytes: number;
}

interface Accumulator {
  name: string;
  phase: ProfilePhase;
  calls: number;
  selfMs: number;
  totalMs: number;
  selfBytes: number;
}

/** Read by autograd's hooks: false outside profile(). */
export const profiling = { on: false };

let phase: ProfilePhase = 'forward';
const frames: Frame[] = [];
let table = new Map<string, Accumulator>();

/** Times fn under `name` when a profile is running (autograd's hook; also recordFunction's body). */
export function recordOp<T>(name: string, fn: () => T): T {
  if (!profiling.on) return fn();
  const frame: Frame = { childMs: 0, bytes: 0 };
  frames.push(frame);
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const ms = performance.now() - t0;
    frames.pop();
    if (frames.length > 0) frames[frames.length - 1].childMs += ms;
    const key = `${phase}\u0000${name}`;
    let row = table.get(key);
    if (!row) table.set(key, (row = { name, phase, calls: 0, selfMs: 0, totalMs: 0, selfBytes: 0 }));
    row.calls++;
    row.totalMs += ms;
    row.selfMs += ms - frame.childMs;
    row.selfBytes += frame.bytes;
  }
}

/** Runs fn (autograd's backward walk) with the phase set to backward while a profile is running. */
export function inBackwardPhase<T>(fn: () => T): T {
  if (!profiling.on) return fn();
  const before = phase;
  phase = 'backward';
  try {
    return fn();
  } finally {
    phase = before;
  }
}

/** A labelled range of your own code as a row of the profile (torch.profiler.record_function), e.g. the optimizer step. */
export function recordFunction<T>(label: string, fn: () => T): T {
  return recordOp(label, fn);
}

/** Counts each storage allocation against the innermost running op while a profile runs. */
function watchAllocations(devices: readonly Device[]): () => void {
  for (const d of devices) {
    const alloc = Object.getPrototypeOf(d).alloc as Device['alloc'];
    d.alloc = function profiledAlloc(this: Device, dtype, length, zero) {
      const a = alloc.call(this, dtype, length, zero);
      if (frames.length > 0) frames[frames.length - 1].bytes += a.byteLength;
      return a;
    };
  }
  return () => { for (const d of devices) delete (d as { alloc?: unknown }).alloc; };
}

/**
 * Runs fn once with every op timed: `profile(() => step()).table()` prints where the time went. fn must be
 * synchronous (on an asynchronous device, `await sync()` after it to realise the queued work).
 */
export function profile<T>(fn: () => T): ProfileReport<T> {
  if (profiling.on) throw new Error('profile: a profile is already running; profiles do not nest (profile the outer function only)');
  table = new Map();
  phase = 'forward';
  profiling.on = true;
  const unwatch = watchAllocations(listDevices());
  const t0 = performance.now();
  let result: T;
  try {
    result = fn();
  } finally {
    profiling.on = false;
    unwatch();
    frames.length = 0;
  }
  if (result instanceof Promise) throw new Error('profile: fn returned a Promise; profile a synchronous function (await outside it)');
  const wallMs = performance.now() - t0;
  const rows = [...table.values()]
    .map((r): ProfileRow => ({ ...r, meanMs: r.totalMs / r.calls }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { result, rows, wallMs, table: (options) => formatProfile(rows, wallMs, options) };
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

function formatBytes(b: number): string {
  if (b === 0) return '0 B';
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(2)} MiB`;
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toFixed(1)} KiB`;
  return `${b} B`;
}

/** A fixed-width table like torch.profiler's key_averages().table(): name, phase, self and total time, calls, mean, bytes. */
export function formatProfile(rows: readonly ProfileRow[], wallMs: number, options: ProfileTableOptions = {}): string {
  const sortBy = options.sortBy ?? 'selfMs';
  const sorted = [...rows].sort((a, b) => b[sortBy] - a[sortBy]).slice(0, options.rowLimit ?? rows.length);
  const selfSum = rows.reduce((s, r) => s + r.selfMs, 0);
  const head = ['Name', 'Phase', 'Self', 'Self %', 'Total', 'Calls', 'Mean', 'Self alloc'];
  const body = sorted.map((r) => [
    r.name, r.phase, formatMs(r.selfMs), `${((100 * r.selfMs) / Math.max(wallMs, 1e-9)).toFixed(1)}%`,
    formatMs(r.totalMs), String(r.calls), formatMs(r.meanMs), formatBytes(r.selfBytes),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [rule, line(head), rule, ...body.map(line), rule,
    `Wall time ${formatMs(wallMs)}; in ops (self, summed) ${formatMs(selfSum)}; outside ops ${formatMs(wallMs - selfSum)}`].join('\n');
}

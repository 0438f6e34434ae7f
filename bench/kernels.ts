// The kernel family: matmul (forward and the two backward products), softmax and layernorm (forward
// and backward), on each engine device present and on each peer, driven one backend at a time.
//
// Our forward runs through the public API (a.matmul(b), x.softmax(-1), F.layerNorm). Matmul backward
// is what autograd runs: g.matmul(b.mT) and a.mT.matmul(g), the transposes read as strided views. Row-op
// backward is the device kernel that autograd's backward runs (softmaxBackward, layerNormBackward), on
// preallocated saved values, since a public-API backward would also time the forward.
import { F, getDevice, initGpujs, randn, scope, setNumThreads, sync, type DeviceName, type GpuMode, type Tensor } from '../engine/index.js';
import { availableParallelism } from 'node:os';
import { matmulOperands, NotImplementedCase, type BenchBackend, type CaseHead, type KernelBackend, type KernelCase, type Prepared } from './cases.js';
import { measure, measureReadback, seconds, TooSlowError, type MeasureOptions } from './measure.js';
import { backendName, type BackendInfo, type Row } from './table.js';

export const GPUJS_MODES = ['webgpu', 'webasm', 'cpu'] as const satisfies readonly GpuMode[];

/**
 * Activates an engine device: cpu as is; gpujs by (re)initialising it in `mode`. initGpujs rejects a
 * mode that cannot run here (no WebGPU adapter, no WebAssembly), which the report lists as not present.
 */
export async function activateEngineDevice(device: DeviceName, mode: GpuMode | null): Promise<void> {
  if (device === 'cpu') return;
  const got = await initGpujs({ mode: mode! });
  if (got !== mode) throw new Error(`initGpujs({ mode: '${mode}' }) gave mode '${got}'`);
}

/** `threads` (cpu only): the WebAssembly kernels' thread count for this row; the default uses every core. */
export function engineKernelBackend(device: DeviceName, mode: GpuMode | null, threads?: number): KernelBackend {
  return {
    backend: `engine ${device}${threads ? ` ${threads}T` : ''}`,
    mode,
    activate: async () => {
      setNumThreads(threads ?? availableParallelism());
      await activateEngineDevice(device, mode);
    },
    deactivate: async () => setNumThreads(availableParallelism()),
    describe: () => getDevice(device).backend.describe(),
    prepare: (c) => prepareEngine(device, c),
  };
}

/** Wraps a tensor-returning op: sync devices call it; async ones also await the queue (no readback). */
function engineCall(device: DeviceName, op: () => Tensor): Prepared {
  const async = getDevice(device).async;
  const run = async
    ? async () => { const out = scope(op); await sync(); out.dispose(); }
    : () => { scope(op).dispose(); };
  const readbackOnce = async
    ? async () => { const out = scope(op); await sync(); const s = await seconds(() => out.data()); out.dispose(); return s; }
    : undefined;
  return { run, async, readbackOnce, dispose: () => undefined };
}

type DeviceJob = Parameters<ReturnType<typeof getDevice>['run']>[0];

/** Wraps a raw device kernel (as autograd's backward queues it). */
function engineKernelCall(device: DeviceName, job: DeviceJob): Prepared {
  const dev = getDevice(device);
  const run = dev.async
    ? async () => { dev.run(job); await dev.sync(); }
    : () => { dev.run(job); };
  return { run, async: dev.async, dispose: () => undefined };
}

function input(shape: number[], device: DeviceName): Tensor {
  const t = randn(shape);
  return device === 'cpu' ? t : t.to(device);
}

function prepareEngine(device: DeviceName, c: KernelCase): Prepared {
  if (c.family === 'matmul') {
    const { left, right, transLeft, transRight } = matmulOperands(c);
    const l = input(left, device), r = input(right, device);
    const op = () => (transLeft ? l.mT : l).matmul(transRight ? r.mT : r);
    return { ...engineCall(device, op), dispose: () => { l.dispose(); r.dispose(); } };
  }
  const { rows, cols } = c;
  const dev = getDevice(device);
  const x = input([rows, cols], device);
  // the backward kernels get what autograd gives them: saved tensors' storage, and outputs allocated per call
  // by the device as Tensor.uninit does (in wasm memory on cpu), handed back afterwards as dispose does
  const fresh = (n: number) => dev.alloc('float32', n, false) as Float32Array;
  const withOutputs = (sizes: number[], body: (k: Parameters<DeviceJob>[0], outs: Float32Array[]) => unknown): DeviceJob => (k) => {
    const outs = sizes.map(fresh);
    const done = () => { for (const a of outs) dev.recycle(a); };
    const r = body(k, outs);
    if (r instanceof Promise) return r.then(done);
    done();
  };
  if (c.family === 'softmax') {
    if (c.direction === 'fwd') return { ...engineCall(device, () => x.softmax(-1)), dispose: () => x.dispose() };
    const y = scope(() => x.softmax(-1)), g = input([rows, cols], device);
    const yd = y.data_ as Float32Array, gd = g.data_ as Float32Array;
    const call = engineKernelCall(device, withOutputs([rows * cols], (k, [dx]) => k.softmaxBackward(yd, gd, dx, rows, cols, false)));
    return { ...call, dispose: () => { x.dispose(); y.dispose(); g.dispose(); } };
  }
  const w = input([cols], device), b = input([cols], device), g = input([rows, cols], device);
  const disposeAll = () => { x.dispose(); w.dispose(); b.dispose(); g.dispose(); };
  if (c.direction === 'fwd') return { ...engineCall(device, () => F.layerNorm(x, [cols], w, b)), dispose: disposeAll };
  const xs = x.data_ as Float32Array, ws = w.data_ as Float32Array, gs = g.data_ as Float32Array;
  const mean = fresh(rows), rstd = fresh(rows), y = fresh(rows * cols);
  getDevice('cpu').kernels.layerNorm(xs, ws, b.toTypedArray(), y, mean, rstd, rows, cols, 1e-5);
  const call = engineKernelCall(device, withOutputs([rows * cols, cols, cols],
    (k, [dx, dw, db]) => k.layerNormBackward(xs, ws, mean, rstd, gs, dx, dw, db, rows, cols)));
  return { ...call, dispose: () => { disposeAll(); for (const a of [mean, rstd, y]) dev.recycle(a); } };
}

/** Every engine device to try: cpu on one thread and on every core, then gpujs in each mode (absent ones are reported, not run). */
export function engineKernelBackends(): KernelBackend[] {
  return [engineKernelBackend('cpu', null, 1), engineKernelBackend('cpu', null), ...GPUJS_MODES.map((m) => engineKernelBackend('gpujs', m))];
}

export interface KernelRunOptions extends MeasureOptions {
  readbackSamples: number;
  /** Seconds one backend may spend on one family; later cases are reported as skipped. */
  budgetS: number;
  /** Backends the budget does not apply to (ours on cpu and the reference, tfjs-wasm: every ratio needs it). */
  budgetExempt: string[];
  log: (line: string) => void;
}

/** Runs every case on one backend; returns its rows, or a not-present note when activate throws. */
export async function runBackend<C>(kb: BenchBackend<C>, cases: readonly C[], head: (c: C) => CaseHead, opts: KernelRunOptions): Promise<{ info: BackendInfo; rows: Row[] }> {
  try {
    await kb.activate();
  } catch (err) {
    return { info: { backend: kb.backend, mode: kb.mode, present: false, detail: errorText(err) }, rows: [] };
  }
  const info: BackendInfo = { backend: kb.backend, mode: kb.mode, present: true, detail: kb.describe() };
  const rows: Row[] = [];
  const spent = new Map<string, number>(); // seconds per family
  for (const c of cases) {
    const h = head(c);
    if (!opts.budgetExempt.includes(kb.backend) && (spent.get(h.family) ?? 0) > opts.budgetS) {
      rows.push({ ...h, backend: kb.backend, mode: kb.mode, status: 'skipped', note: `${h.family} time budget (${opts.budgetS} s) spent` });
      continue;
    }
    const t0 = performance.now();
    rows.push(await runCase(kb, c, h, opts));
    spent.set(h.family, (spent.get(h.family) ?? 0) + (performance.now() - t0) / 1e3);
  }
  await kb.deactivate?.();
  return { info, rows };
}

async function runCase<C>(kb: BenchBackend<C>, c: C, h: CaseHead, opts: KernelRunOptions): Promise<Row> {
  const row: Row = { ...h, backend: kb.backend, mode: kb.mode, status: 'ok' };
  const name = `${backendName(kb)} ${h.family} ${h.shape} ${h.op}`;
  let prepared: Prepared | null = null;
  try {
    prepared = kb.prepare(c);
    row.stats = await measure(prepared.run, prepared.async, opts);
    if (prepared.readbackOnce) row.readbackS = await measureReadback(prepared.readbackOnce, opts.readbackSamples);
    opts.log(`  ${name}: ${(row.stats.meanS * 1e3).toPrecision(3)} ms`);
  } catch (err) {
    row.status = err instanceof TooSlowError || err instanceof NotImplementedCase ? 'skipped' : 'error';
    row.note = errorText(err);
    opts.log(`  ${name}: ${row.status}: ${row.note}`);
  } finally {
    prepared?.dispose();
  }
  return row;
}

export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].slice(0, 200);
}

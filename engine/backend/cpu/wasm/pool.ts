// Worker threads that share the wasm memory. The caller stays synchronous: the main thread takes chunks
// like any worker, then blocks on Atomics.wait until the chunks the workers took are done. The workers are Node
// worker threads or, in a browser, module Web Workers; where the calling thread may not block (a page's main
// thread) or memory cannot be shared (a page without cross-origin isolation), everything runs on one thread.
import { coreCount, singleThreadReason, startWorker, type HostWorker } from '../../../host.js';
import { Ctl, LOCKED } from './protocol.js';
import { drainChunks, runChunk, type ThreadState } from './dispatch.js';
import { Runtime } from './runtime.js';

const oneThreadBecause = singleThreadReason();
let threads = oneThreadBecause ? 1 : Math.max(1, coreCount());
let toldWhy = false;
const workers: HostWorker[] = [];
const mainState: ThreadState = { jobId: -1, packedBatch: -1 };

/** Sets the thread count and starts missing workers now: they take a few ms to come up, in the background. */
export function setThreads(rt: Runtime | null, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setWasmThreads: expected a positive integer, got ${n}`);
  if (oneThreadBecause) return tellWhyOneThread();
  threads = n;
  if (rt) ensureWorkers(rt, n);
}

/** Where the host allows only one thread, says why in one console line, once (when the kernels start). */
export function tellWhyOneThread(): void {
  if (!oneThreadBecause || toldWhy) return;
  toldWhy = true;
  console.info(`tleg-ts: wasm kernels run on 1 thread: ${oneThreadBecause}`);
}

/** How many chunks the workers have run since start (for tests that must see the workers take part). */
export function workerChunkCount(rt: Runtime): number {
  return Atomics.load(new Int32Array(rt.memory.buffer, 0, Ctl.size), Ctl.workerChunks);
}

export function threadCount(): number { return threads; }

/** Settles when every worker started so far is running (they start in the background; the first jobs may miss them). */
export async function workersStarted(): Promise<void> {
  await Promise.all(workers.map((w) => w.started));
}

function ensureWorkers(rt: Runtime, n: number): void {
  while (workers.length < n - 1) {
    workers.push(startWorker(new URL('./worker.js', import.meta.url), { module: rt.module, memory: rt.memory, thread: workers.length + 1 }));
  }
}

/** Locks the chunk counter so that no worker takes a chunk while the job's parameters are written. */
export function lockJob(c: Int32Array): void {
  Atomics.store(c, Ctl.counter, LOCKED);
}

/**
 * Runs the job whose parameters are in the control block, on `n` threads (1 = main thread only). The main
 * thread runs `first` (if given) after the workers are woken and before it takes chunks itself.
 */
export function runJob(rt: Runtime, c: Int32Array, n: number, first?: () => void): void {
  const total = c[Ctl.total];
  c[Ctl.jobThreads] = n;
  c[Ctl.done] = 0;
  c[Ctl.failed] = 0;
  if (n <= 1) {
    first?.();
    for (let i = 0; i < total; i++) runChunk(rt.ex, c, i, 0, mainState);
    return;
  }
  ensureWorkers(rt, n);
  Atomics.store(c, Ctl.counter, 0);
  Atomics.add(c, Ctl.gen, 1);
  Atomics.notify(c, Ctl.gen);
  first?.();
  drainChunks(rt.ex, c, 0, mainState);
  for (let d = Atomics.load(c, Ctl.done); d < total; d = Atomics.load(c, Ctl.done)) Atomics.wait(c, Ctl.done, d);
  Atomics.store(c, Ctl.counter, LOCKED);
  if (c[Ctl.failed]) throw new Error(`wasm: a worker thread failed while running a ${['matmul', 'elementwise', 'rows', 'planes', 'attention'][c[Ctl.kind]]} job`);
}

// Runs whatever job the control block holds, chunk by chunk: the main thread and every worker call drainChunks.
import { Ctl, JobKind } from './protocol.js';
import type { Exports } from './runtime.js';
import { runMatmulChunk, type ThreadState } from './matmul.js';
import { runElementwiseChunk } from './elementwise-kernel.js';
import { runRowsChunk } from './rows-kernel.js';
import { runPlanesChunk } from './broadcast-kernel.js';
import { runAttentionChunk } from './attention-kernel.js';

export type { ThreadState };

export function runChunk(ex: Exports, c: Int32Array, chunk: number, thread: number, st: ThreadState): void {
  const kind = c[Ctl.kind];
  if (kind === JobKind.elementwise) return runElementwiseChunk(ex, c, chunk);
  if (kind === JobKind.rows) return runRowsChunk(ex, c, chunk);
  if (kind === JobKind.planes) return runPlanesChunk(ex, c, chunk);
  if (kind === JobKind.attention) return runAttentionChunk(ex, c, chunk, thread);
  runMatmulChunk(ex, c, chunk, thread, st);
}

/** Takes chunks from the shared counter until none are left; used by the main thread and the workers. */
export function drainChunks(ex: Exports, c: Int32Array, thread: number, st: ThreadState): void {
  // per-thread scratch is sized for the job's threads
  if (thread >= c[Ctl.jobThreads]) return;
  for (;;) {
    const chunk = Atomics.add(c, Ctl.counter, 1);
    if (chunk >= c[Ctl.total]) return;
    try {
      runChunk(ex, c, chunk, thread, st);
      if (thread > 0) Atomics.add(c, Ctl.workerChunks, 1);
    } catch (e) {
      Atomics.store(c, Ctl.failed, 1);
      if (thread === 0) throw e;
    } finally {
      Atomics.add(c, Ctl.done, 1);
      Atomics.notify(c, Ctl.done);
    }
  }
}

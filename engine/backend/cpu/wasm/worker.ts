// A worker thread of the pool: instantiates the shared module on the shared memory and takes chunks of
// whatever job (GEMM, elementwise, rows) the main thread posts when it bumps the generation counter.
import { workerData, workerStarted } from '../../../host.js';
import { instantiate } from './runtime.js';
import { Ctl, CTRL_BYTES } from './protocol.js';
import { drainChunks, type ThreadState } from './dispatch.js';

const { module, memory, thread } = await workerData<{ module: WebAssembly.Module; memory: WebAssembly.Memory; thread: number }>();
const ex = instantiate(module, memory);
workerStarted();
const c = new Int32Array(memory.buffer, 0, CTRL_BYTES / 4);
const st: ThreadState = { jobId: -1, packedBatch: -1 };
const SPINS = 20000;

for (;;) {
  const gen = Atomics.load(c, Ctl.gen);
  if (c[Ctl.quit]) break;
  drainChunks(ex, c, thread, st);
  // spin a little before sleeping: jobs often come back to back, and a futex wake costs tens of µs
  let spins = 0;
  while (Atomics.load(c, Ctl.gen) === gen && spins < SPINS) spins++;
  if (spins === SPINS) Atomics.wait(c, Ctl.gen, gen);
}

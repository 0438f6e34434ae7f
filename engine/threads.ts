// Threads of the cpu backend's WebAssembly kernels (torch.set_num_threads): 1 keeps all work on the
// calling thread; n adds n − 1 worker threads that share the kernels' memory. Default: every core.
import { setWasmThreads } from './backend/cpu/wasm/index.js';
import { threadCount, workersStarted } from './backend/cpu/wasm/pool.js';

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  setWasmThreads(n);
}

export function getNumThreads(): number {
  return threadCount();
}

/** Settles when the threads asked for by setNumThreads are up (they start in the background, a few ms under Node). */
export function threadsReady(): Promise<void> {
  return workersStarted();
}

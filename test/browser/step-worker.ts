// The browser tests' Web Worker: runs trainingStep off the page's main thread, where the wasm pool may block on
// Atomics.wait, and reports how many chunks the pool's own workers ran (0 would mean no threads took part).
import { trainingStep, type StepSetup } from './training-step.js';
import { runtime } from '../../engine/backend/cpu/wasm/runtime.js';
import { workerChunkCount } from '../../engine/backend/cpu/wasm/pool.js';
import type { StepOutcome } from './step-page.js';

const scope = globalThis as unknown as {
  onmessage: ((e: { data: StepSetup }) => void) | null;
  postMessage(data: StepOutcome): void;
};

scope.onmessage = async (e) => {
  try {
    const result = await trainingStep(e.data);
    scope.postMessage({ ok: true, result: { ...result, workerChunks: workerChunkCount(runtime()) } });
  } catch (err) {
    scope.postMessage({ ok: false, error: String((err as Error).stack ?? err) });
  }
};

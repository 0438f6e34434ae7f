// The browser tests' page: runs trainingStep as the query string says (?device=cpu|gpujs&threads=N&in=page|worker)
// and leaves the outcome in globalThis.stepOutcome for the test to read.
import { trainingStep, type StepResult, type StepSetup } from './training-step.js';

export type StepOutcome = { ok: true; result: StepResult & { workerChunks?: number } } | { ok: false; error: string };

const page = globalThis as unknown as {
  location?: { search: string };
  Worker: new (url: URL, options: { type: 'module' }) => {
    postMessage(data: unknown): void;
    onmessage: ((e: { data: StepOutcome }) => void) | null;
    onerror: ((e: { message: string }) => void) | null;
  };
  stepOutcome?: StepOutcome;
};

// node --test runs every file under dist/test; outside a page this module does nothing
const query = new URLSearchParams(page.location?.search ?? '');
const setup: StepSetup = { device: query.get('device') === 'gpujs' ? 'gpujs' : 'cpu', threads: Number(query.get('threads') ?? 1) };

function inWorker(): Promise<StepOutcome> {
  const worker = new page.Worker(new URL('./step-worker.js', import.meta.url), { type: 'module' });
  return new Promise((done) => {
    worker.onmessage = (e) => done(e.data);
    worker.onerror = (e) => done({ ok: false, error: `worker: ${e.message}` });
    worker.postMessage(setup);
  });
}

async function here(): Promise<StepOutcome> {
  try {
    return { ok: true, result: await trainingStep(setup) };
  } catch (e) {
    return { ok: false, error: String((e as Error).stack ?? e) };
  }
}

if (page.location) page.stepOutcome = await (query.get('in') === 'worker' ? inWorker() : here());

// Messages between the demo page (app.ts) and the Web Worker that runs the engine (train-worker.ts).
export type Backend = 'wasm' | 'webgpu';

export type ToWorker =
  | { type: 'expand'; depth: number; backend: Backend; threads: number }
  | { type: 'train'; steps: number; batch: number; lr: number; evalEvery: number };

export type FromWorker =
  | { type: 'ready'; testImages: number; trainImages: number; geneParams: number; geneDepth: number; cores: number; gpu: boolean }
  | { type: 'expanded'; depth: number; params: number; backend: string; threads: number; accuracy: number; ms: number }
  | { type: 'step'; step: number; loss: number; ms: number }
  | { type: 'eval'; step: number; accuracy: number }
  | { type: 'done'; steps: number }
  | { type: 'error'; message: string };

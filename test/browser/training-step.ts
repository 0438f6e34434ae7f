// One training step of a small ViT, the same code under Node and in a page: the browser tests compare its losses.
// Imports the browser faces of the packages (model/browser.ts), which Node can load too.
import { F, Generator, describeBackend, getNumThreads, randn, setBackend, setNumThreads, sync, tensor, threadsReady } from '../../engine/index.js';
import { AdamW, VisionTransformer, type ViTConfig } from '../../model/browser.js';

export interface StepSetup {
  device: 'cpu' | 'gpujs';
  /** wasm threads asked for (setNumThreads) */
  threads: number;
}

export interface StepResult {
  /** cross-entropy before the step and after one AdamW step, on the same batch */
  before: number;
  after: number;
  backend: string;
  /** wasm threads in use (getNumThreads) */
  threads: number;
}

// big enough that the GEMMs (272 × 64 × 192 and up) pass the pool's threshold and use every thread
export const STEP_CONFIG: ViTConfig = {
  imgSize: 16, inChans: 1, patchSize: 4, embedDim: 64, depth: 2, numHeads: 4, mlpRatio: 2, qkvBias: true,
  numClasses: 4, pool: 'cls', dropPathRate: 0, lnEps: 1e-6,
};

export async function trainingStep(setup: StepSetup): Promise<StepResult> {
  setNumThreads(setup.threads);
  await threadsReady();
  if (setup.device === 'gpujs') await setBackend('gpujs', { mode: 'webgpu' });
  const g = new Generator(2024);
  const model = new VisionTransformer(STEP_CONFIG, { generator: g }).to(setup.device);
  const x = randn([16, 1, 16, 16], { generator: g }).to(setup.device);
  const y = tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 4), { dtype: 'int32' }).to(setup.device);
  const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
  const before = F.crossEntropy(model.forward(x), y);
  before.backward();
  opt.step();
  model.zeroGrad();
  const after = F.crossEntropy(model.forward(x), y);
  await sync();
  return { before: before.item(), after: after.item(), backend: describeBackend(setup.device), threads: getNumThreads() };
}

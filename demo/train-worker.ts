// The demo's engine, in a Web Worker: there the wasm kernels may use threads (the pool blocks on Atomics.wait,
// which a page's main thread may not), and the page stays responsive while it trains.
import { F, describeBackend, getNumThreads, noGrad, scope, setBackend, setNumThreads, sync, tensor, threadsReady, type Tensor } from 'tleg-ts/engine';
import { AdamW, type VisionTransformer } from 'tleg-ts/model';
import { initDescendant, learngeneSize, parseLearngene, type Learngene } from 'tleg-ts/tleg';
import type { FromWorker, ToWorker } from './protocol.js';

interface Images { images: Uint8Array; labels: Uint8Array; n: number }
interface DataInfo { test: number; train: number; pixels: number; mean: number; std: number }

const worker = globalThis as unknown as { postMessage(m: FromWorker): void; onmessage: ((e: { data: ToWorker }) => void) | null; navigator: { hardwareConcurrency: number; gpu?: { requestAdapter(): Promise<unknown> } } };
const say = (m: FromWorker) => worker.postMessage(m);

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`fetch ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const info = (await (await fetch('./data.json')).json()) as DataInfo;
const split = (bytes: Uint8Array, n: number): Images => ({ images: bytes.subarray(0, n * info.pixels), labels: bytes.subarray(n * info.pixels, n * info.pixels + n), n });
const [gene, test, train]: [Learngene, Images, Images] = [
  parseLearngene(await fetchBytes('./learngene.safetensors'), 'learngene.safetensors'),
  split(await fetchBytes('./fashion-test.bin'), info.test),
  split(await fetchBytes('./fashion-train.bin'), info.train),
];
let device: 'cpu' | 'gpujs' = 'cpu';
let model: VisionTransformer | null = null;
let trainedSteps = 0;

/** The images at `indices` as a normalised [n, 1, 28, 28] batch on the device in use, and their int32 labels. */
function batch(ds: Images, indices: number[]): { x: Tensor; y: Tensor } {
  const x = new Float32Array(indices.length * info.pixels);
  indices.forEach((k, i) => {
    for (let p = 0; p < info.pixels; p++) x[i * info.pixels + p] = (ds.images[k * info.pixels + p] / 255 - info.mean) / info.std;
  });
  return {
    x: tensor(x, { shape: [indices.length, 1, 28, 28] }).to(device),
    y: tensor(Int32Array.from(indices, (k) => ds.labels[k]), { dtype: 'int32' }).to(device),
  };
}

async function accuracy(m: VisionTransformer): Promise<number> {
  let correct = 0;
  for (let s = 0; s < test.n; s += 100) {
    const idx = Array.from({ length: Math.min(100, test.n - s) }, (_, i) => s + i);
    const pred = scope(() => noGrad(() => m.forward(batch(test, idx).x).argmax(-1)));
    await sync();
    const p = pred.toTypedArray();
    pred.dispose();
    idx.forEach((k, i) => { correct += p[i] === test.labels[k] ? 1 : 0; });
  }
  return correct / test.n;
}

async function expand(msg: Extract<ToWorker, { type: 'expand' }>): Promise<void> {
  setNumThreads(msg.threads);
  await threadsReady();
  device = msg.backend === 'webgpu' ? 'gpujs' : 'cpu';
  if (device === 'gpujs') await setBackend('gpujs', { mode: 'webgpu' });
  const t0 = performance.now();
  model = initDescendant(gene, msg.depth).to(device);
  trainedSteps = 0;
  const ms = performance.now() - t0;
  say({ type: 'expanded', depth: msg.depth, params: model.numParameters(), backend: describeBackend(device), threads: getNumThreads(), accuracy: await accuracy(model), ms });
}

async function fineTune(msg: Extract<ToWorker, { type: 'train' }>): Promise<void> {
  if (!model) throw new Error('train: expand a learngene first');
  const m = model;
  const opt = new AdamW(m.parameters(), { lr: msg.lr, weightDecay: 0.05 });
  for (let i = 0; i < msg.steps; i++) {
    const t0 = performance.now();
    const idx = Array.from({ length: msg.batch }, (_, j) => ((trainedSteps * msg.batch) + j) % train.n);
    // scope frees the step's tensors at once; the optimizer's state it creates is kept
    const loss = scope(() => {
      const { x, y } = batch(train, idx);
      const l = F.crossEntropy(m.forward(x), y);
      l.backward();
      opt.step();
      m.zeroGrad();
      return l;
    });
    await sync();
    trainedSteps++;
    say({ type: 'step', step: trainedSteps, loss: loss.item(), ms: performance.now() - t0 });
    loss.dispose();
    if (trainedSteps % msg.evalEvery === 0 || i === msg.steps - 1) say({ type: 'eval', step: trainedSteps, accuracy: await accuracy(m) });
  }
  say({ type: 'done', steps: trainedSteps });
}

worker.onmessage = (e) => {
  const run = e.data.type === 'expand' ? expand(e.data) : fineTune(e.data);
  run.catch((err: unknown) => say({ type: 'error', message: String((err as Error).message ?? err) }));
};
const gpu = !!(await worker.navigator.gpu?.requestAdapter().catch(() => null));
say({ type: 'ready', testImages: test.n, trainImages: train.n, geneParams: learngeneSize(gene), geneDepth: gene.config.depth, cores: worker.navigator.hardwareConcurrency, gpu });

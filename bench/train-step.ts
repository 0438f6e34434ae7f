// The end-to-end family: one training step (forward, cross-entropy, backward, AdamW update) and one
// inference batch of the reference ViT (cases.ts REFERENCE_VIT), reported as images per second.
//
// Ours: model/vit.ts VisionTransformer + model/optim AdamW on each engine device. The peer: the same
// network written in TensorFlow.js (peers/tfjs-vit.ts) on tfjs's cpu and wasm backends. Both decay every
// parameter (no exclusion of norms and biases), with the same lr and weight decay.
import { F, getDevice, noGrad, rand, randint, scope, setNumThreads, sync, type DeviceName, type GpuMode, type Tensor } from '../engine/index.js';
import { availableParallelism } from 'node:os';
import { REFERENCE_VIT as V, type BenchBackend, type CaseHead, type Prepared } from './cases.js';
import { activateEngineDevice, GPUJS_MODES } from './kernels.js';
import { seconds } from './measure.js';
import { describeTfjsBackend, ensureTfjsGradients, tf, useTfjsBackend, type TfjsBackendName } from './peers/tfjs.js';
import { createTfjsVit, tfjsBatch } from './peers/tfjs-vit.js';

export type VitCase = 'train' | 'infer';
export type VitBackend = BenchBackend<VitCase>;

export const VIT_CASES: VitCase[] = ['train', 'infer'];

export function vitHead(c: VitCase): CaseHead {
  return {
    family: 'vit',
    key: `vit|${c}`,
    shape: `ViT ${V.imgSize}/${V.patchSize} d${V.embedDim}×${V.depth} b${V.batch}`,
    op: c === 'train' ? 'train step (fwd+bwd+AdamW)' : 'inference batch',
    unit: 'images/s',
    amount: V.batch,
  };
}

type ModelPackage = typeof import('../model/vit.js') & typeof import('../model/optim/index.js');

/** The model package, imported when first needed: a broken model then fails its rows, not the suite. */
let modelPackage: Promise<ModelPackage> | null = null;
function loadModel(): Promise<ModelPackage> {
  modelPackage ??= Promise.all([import('../model/vit.js'), import('../model/optim/index.js')]).then(([vit, optim]) => ({ ...vit, ...optim }));
  return modelPackage;
}

function engineVitBackend(device: DeviceName, mode: GpuMode | null, threads?: number): VitBackend {
  let pkg: ModelPackage | null = null;
  return {
    backend: `engine ${device}${threads ? ` ${threads}T` : ''}`,
    mode,
    deactivate: async () => setNumThreads(availableParallelism()),
    async activate() {
      setNumThreads(threads ?? availableParallelism());
      await activateEngineDevice(device, mode);
      pkg = await loadModel();
    },
    describe: () => getDevice(device).backend.describe(),
    prepare: (c) => prepareEngineVit(pkg!, device, c),
  };
}

function prepareEngineVit(pkg: ModelPackage, device: DeviceName, c: VitCase): Prepared {
  const model = new pkg.VisionTransformer({
    imgSize: V.imgSize, inChans: V.inChans, patchSize: V.patchSize, embedDim: V.embedDim, depth: V.depth,
    numHeads: V.numHeads, mlpRatio: V.mlpRatio, qkvBias: true, numClasses: V.numClasses, pool: 'cls',
    dropPathRate: 0, dropRate: 0, lnEps: V.eps,
  });
  if (device !== 'cpu') model.to(device);
  const onDevice = (t: Tensor) => (device === 'cpu' ? t : t.to(device));
  const x = onDevice(rand([V.batch, V.inChans, V.imgSize, V.imgSize]));
  const labels = onDevice(randint(0, V.numClasses, [V.batch]));
  const async = getDevice(device).async;
  const dispose = () => { x.dispose(); labels.dispose(); for (const p of model.parameters()) p.dispose(); };

  if (c === 'train') {
    model.train();
    const optimizer = new pkg.AdamW(model.parameters(), { lr: V.lr, weightDecay: V.weightDecay });
    const step = () => scope(() => {
      optimizer.zeroGrad();
      F.crossEntropy(model.forward(x), labels).backward();
      optimizer.step();
    });
    return { run: async ? async () => { step(); await sync(); } : step, async, dispose };
  }
  model.eval();
  const infer = () => noGrad(() => scope(() => model.forward(x)));
  return {
    run: async ? async () => { infer().dispose(); await sync(); } : () => infer().dispose(),
    async,
    readbackOnce: async
      ? async () => { const logits = infer(); await sync(); const s = await seconds(() => logits.data()); logits.dispose(); return s; }
      : undefined,
    dispose,
  };
}

function tfjsVitBackend(name: TfjsBackendName): VitBackend {
  return {
    backend: `tfjs ${name}`,
    mode: null,
    async activate() {
      await useTfjsBackend(name);
      await ensureTfjsGradients();
    },
    describe: () => describeTfjsBackend(name),
    prepare(c) {
      const model = createTfjsVit();
      const { x, labels } = tfjsBatch();
      const dispose = () => { model.dispose(); x.dispose(); labels.dispose(); };
      if (c === 'train') return { run: () => model.trainStep(x, labels), async: false, dispose };
      return {
        run: () => tf.tidy(() => model.forward(x)).dispose(),
        async: false,
        readbackOnce: name === 'wasm'
          ? async () => { const logits = tf.tidy(() => model.forward(x)); const s = await seconds(() => logits.data()); logits.dispose(); return s; }
          : undefined,
        dispose,
      };
    },
  };
}

/** Engine cpu, engine gpujs per mode, tfjs cpu, tfjs wasm. */
export function vitBackends(): VitBackend[] {
  return [
    engineVitBackend('cpu', null, 1),
    engineVitBackend('cpu', null),
    ...GPUJS_MODES.map((m) => engineVitBackend('gpujs', m)),
    tfjsVitBackend('cpu'),
    tfjsVitBackend('wasm'),
  ];
}

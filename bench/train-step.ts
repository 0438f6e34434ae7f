// The end-to-end family: one training step (forward, cross-entropy, backward, AdamW update) and one
// inference batch of the reference ViT (cases.ts REFERENCE_VIT), reported as images per second. The step
// runs twice: inside scope() and as a plain loop (model.call, no scope: what a PyTorch user writes); the
// pipeline's own model (TLEG_SMALL_VIT) is timed as a plain-loop step too.
//
// Ours: model/vit.ts VisionTransformer + model/optim AdamW on each engine device. The peer: the same
// network written in TensorFlow.js (peers/tfjs-vit.ts) on tfjs's cpu and wasm backends. Both decay every
// parameter (no exclusion of norms and biases), with the same lr and weight decay.
import { F, getDevice, noGrad, rand, randint, scope, setNumThreads, sync, type DeviceName, type GpuMode, type Tensor } from '../engine/index.js';
import { availableParallelism } from 'node:os';
import { NotImplementedCase, REFERENCE_VIT, TLEG_SMALL_VIT, type VitSpec, type BenchBackend, type CaseHead, type Prepared } from './cases.js';
import { activateEngineDevice, GPUJS_MODES } from './kernels.js';
import { seconds } from './measure.js';
import { describeTfjsBackend, ensureTfjsGradients, tf, useTfjsBackend, type TfjsBackendName } from './peers/tfjs.js';
import { createTfjsVit, tfjsBatch } from './peers/tfjs-vit.js';

/** 'train': the step inside scope(); 'train-plain': the same step in a plain loop; 'tleg-train': tleg-small's step in a plain loop. */
export type VitCase = 'train' | 'train-plain' | 'infer' | 'tleg-train';
export type VitBackend = BenchBackend<VitCase>;

export const VIT_CASES: VitCase[] = ['train', 'train-plain', 'infer', 'tleg-train'];

/** The network each case times. */
export const vitSpec = (c: VitCase): VitSpec => (c === 'tleg-train' ? TLEG_SMALL_VIT : REFERENCE_VIT);

const VIT_OPS: Record<VitCase, string> = {
  train: 'train step (fwd+bwd+AdamW), in scope()',
  'train-plain': 'train step (fwd+bwd+AdamW), plain loop',
  infer: 'inference batch',
  'tleg-train': 'train step (fwd+bwd+AdamW), plain loop',
};

export function vitHead(c: VitCase): CaseHead {
  const v = vitSpec(c);
  return {
    family: 'vit',
    key: `vit|${c}`,
    shape: `${c === 'tleg-train' ? 'tleg-small' : 'ViT'} ${v.imgSize}/${v.patchSize} d${v.embedDim}×${v.depth} b${v.batch}`,
    op: VIT_OPS[c],
    unit: 'images/s',
    amount: v.batch,
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
  const V = vitSpec(c);
  const model = new pkg.VisionTransformer({
    imgSize: V.imgSize, inChans: V.inChans, patchSize: V.patchSize, embedDim: V.embedDim, depth: V.depth,
    numHeads: V.numHeads, mlpRatio: V.mlpRatio, qkvBias: true, numClasses: V.numClasses, pool: V.pool,
    dropPathRate: 0, dropRate: 0, lnEps: V.eps,
  });
  if (device !== 'cpu') model.to(device);
  const onDevice = (t: Tensor) => (device === 'cpu' ? t : t.to(device));
  const x = onDevice(rand([V.batch, V.inChans, V.imgSize, V.imgSize]));
  const labels = onDevice(randint(0, V.numClasses, [V.batch]));
  const async = getDevice(device).async;
  const dispose = () => { x.dispose(); labels.dispose(); for (const p of model.parameters()) p.dispose(); };

  if (c !== 'infer') {
    model.train();
    const optimizer = new pkg.AdamW(model.parameters(), { lr: V.lr, weightDecay: V.weightDecay });
    const plain = () => {
      optimizer.zeroGrad();
      F.crossEntropy(model.call(x), labels).backward();
      optimizer.step();
    };
    const step = c === 'train' ? () => scope(plain) : plain;
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
      if (c === 'tleg-train') { dispose(); throw new NotImplementedCase('the tfjs peer is written for the reference ViT only'); }
      if (c === 'train-plain') { dispose(); throw new NotImplementedCase('tf.tidy inside its step is its scope: the scoped row is its only loop'); }
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

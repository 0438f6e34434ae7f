// `node dist/bench/ab-step.js <checkout> <train|infer> <threads>`: the median step time (ms) of the reference
// ViT, run by the build in `<checkout>/dist` (this one, or another commit's worktree), for alternated A/B
// comparisons between builds in fresh processes (bench/NOTES.md: "What the round gave"). train: the plain loop
// a PyTorch user writes (zeroGrad, crossEntropy(model.call(x), y).backward(), step), 10 steps; infer:
// noGrad(() => scope(() => model.forward(x))), 30 steps; 3 warm-up steps before either.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REFERENCE_VIT as V } from './cases.js';

const [checkout, kind, threadsArg] = process.argv.slice(2);
const threads = Number(threadsArg);
if (!checkout || (kind !== 'train' && kind !== 'infer') || !Number.isInteger(threads) || threads < 1) {
  throw new Error(`ab-step: expected <checkout> <train|infer> <threads>, got ${JSON.stringify(process.argv.slice(2))}`);
}
const load = async <T>(part: string): Promise<T> => (await import(pathToFileURL(path.resolve(checkout, 'dist', part, 'index.js')).href)) as T;
const E = await load<typeof import('../engine/index.js')>('engine');
const M = await load<typeof import('../model/index.js')>('model');

E.setNumThreads(threads);
await E.threadsReady();
const model = new M.VisionTransformer({
  imgSize: V.imgSize, inChans: V.inChans, patchSize: V.patchSize, embedDim: V.embedDim, depth: V.depth,
  numHeads: V.numHeads, mlpRatio: V.mlpRatio, qkvBias: true, numClasses: V.numClasses, pool: 'cls',
  dropPathRate: 0, dropRate: 0, lnEps: V.eps,
});
const x = E.rand([V.batch, V.inChans, V.imgSize, V.imgSize]);
const labels = E.randint(0, V.numClasses, [V.batch]);
let step: () => void;
if (kind === 'infer') {
  model.eval();
  step = () => E.noGrad(() => E.scope(() => { model.forward(x); }));
} else {
  const optimizer = new M.AdamW(model.parameters(), { lr: V.lr, weightDecay: V.weightDecay });
  step = () => {
    optimizer.zeroGrad();
    E.F.crossEntropy(model.call(x), labels).backward();
    optimizer.step();
  };
}
const steps = kind === 'infer' ? 30 : 10;
for (let i = 0; i < 3; i++) step();
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(times[Math.floor(steps / 2)].toFixed(1));

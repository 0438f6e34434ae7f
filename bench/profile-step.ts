// `node dist/bench/profile-step.js [--steps=N] [--threads=T] [--rows=R] [--infer | --plain]`: the profiler's table
// for the reference ViT training step (bench/cases.ts REFERENCE_VIT) inside scope(), after warm-up steps, as kept
// in bench/NOTES.md. --infer profiles the inference batch instead; --plain the step in a plain loop (model.call, no scope).
import { availableParallelism } from 'node:os';
import { F, noGrad, profile, rand, randint, recordFunction, scope, setNumThreads } from '../engine/index.js';
import { AdamW, VisionTransformer } from '../model/index.js';
import { REFERENCE_VIT as V } from './cases.js';

function flag(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const n = Number(arg.slice(name.length + 3));
  if (!Number.isInteger(n) || n < 1) throw new Error(`profile-step: --${name} expects a positive integer, got ${JSON.stringify(arg)}`);
  return n;
}

const steps = flag('steps', 5), threads = flag('threads', availableParallelism()), rowLimit = flag('rows', 30);
const infer = process.argv.includes('--infer'), plain = process.argv.includes('--plain');
setNumThreads(threads);
const model = new VisionTransformer({
  imgSize: V.imgSize, inChans: V.inChans, patchSize: V.patchSize, embedDim: V.embedDim, depth: V.depth,
  numHeads: V.numHeads, mlpRatio: V.mlpRatio, qkvBias: true, numClasses: V.numClasses, pool: 'cls',
  dropPathRate: 0, dropRate: 0, lnEps: V.eps,
});
const x = rand([V.batch, V.inChans, V.imgSize, V.imgSize]);
const labels = randint(0, V.numClasses, [V.batch]);
const optimizer = new AdamW(model.parameters(), { lr: V.lr, weightDecay: V.weightDecay });
if (infer) model.eval();
const step = infer
  ? () => noGrad(() => scope(() => { model.forward(x); }))
  : plain
    ? () => {
      optimizer.zeroGrad();
      F.crossEntropy(model.call(x), labels).backward();
      recordFunction('AdamW.step', () => optimizer.step());
    }
    : () => scope(() => {
      optimizer.zeroGrad();
      F.crossEntropy(model.forward(x), labels).backward();
      recordFunction('AdamW.step', () => optimizer.step());
    });
for (let i = 0; i < 3; i++) step();
const report = profile(() => { for (let i = 0; i < steps; i++) step(); });
console.log(`${infer ? 'inference batch' : plain ? 'training step (plain loop)' : 'training step'} of the reference ViT, batch ${V.batch}, ${threads} thread(s), ${steps} steps: ` +
  `${(report.wallMs / steps).toFixed(1)} ms a step, ${((V.batch * steps * 1000) / report.wallMs).toFixed(0)} img/s (profiled)`);
console.log(report.table({ rowLimit }));

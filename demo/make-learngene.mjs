// Makes the demo's learngene, demo/learngene.safetensors (committed): the Aux-Net of TLEG (a depth-4 ViT whose block i
// uses θ_B + (i/4)·θ_A) trained with cross-entropy on Fashion-MNIST, from scratch, about two minutes on two cores.
// The full method distils from a teacher first (npm start -- run); this is the short way to a small, useful gene.
// Usage: npm run build && node demo/make-learngene.mjs [steps]
import { F, Generator, manualSeed, tensor, noGrad, scope } from '../dist/engine/index.js';
import { AdamW, loadFashionMnist } from '../dist/model/index.js';
import { AuxNet, saveLearngene, MODELS } from '../dist/tleg/index.js';
import { NORMALIZE } from '../dist/tleg/presets.js';

const STEPS = Number(process.argv[2] ?? 1500), BATCH = 64, PIXELS = 784;
const { mean, std } = NORMALIZE['fashion-mnist'];
manualSeed(13);
const train = loadFashionMnist({ split: 'train', limit: 20000 });
const test = loadFashionMnist({ split: 'test', limit: 1000 });
const net = new AuxNet({ ...MODELS['tleg-small'], depth: 4, numClasses: 10 }, { generator: new Generator(13) });
const opt = new AdamW(net.parameters(), { lr: 2e-3, weightDecay: 0.05 });
const pick = new Generator(14);

function batch(ds, idx) {
  const x = new Float32Array(idx.length * PIXELS);
  idx.forEach((k, i) => { for (let p = 0; p < PIXELS; p++) x[i * PIXELS + p] = (ds.images[k * PIXELS + p] / 255 - mean) / std; });
  return { x: tensor(x, { shape: [idx.length, 1, 28, 28] }), y: tensor(Int32Array.from(idx, (k) => ds.labels[k]), { dtype: 'int32' }) };
}

const t0 = Date.now();
for (let step = 1; step <= STEPS; step++) {
  const lr = 2e-3 * 0.5 * (1 + Math.cos(Math.PI * step / STEPS)); // cosine decay
  for (const g of opt.paramGroups) g.lr = lr;
  const idx = Array.from({ length: BATCH }, () => pick.int(train.n));
  // scope frees the step's tensors at once (left to the garbage collector, a long loop holds gigabytes)
  const loss = scope(() => {
    const { x, y } = batch(train, idx);
    const l = F.crossEntropy(net.forward(x), y);
    l.backward();
    opt.step();
    net.zeroGrad();
    return l.item();
  });
  if (step % 100 === 0) console.log(`step ${step}: loss ${loss.toFixed(3)} (${((Date.now() - t0) / step).toFixed(0)} ms/step)`);
}
let correct = 0;
noGrad(() => {
  for (let s = 0; s < test.n; s += 250) {
    const idx = Array.from({ length: Math.min(250, test.n - s) }, (_, i) => s + i);
    correct += scope(() => {
      const { x, y } = batch(test, idx);
      const pred = net.forward(x).argmax(-1).toTypedArray(), lab = y.toTypedArray();
      return idx.filter((_, i) => pred[i] === lab[i]).length;
    });
  }
});
console.log(`test accuracy of the Aux-Net (depth 4): ${(100 * correct / test.n).toFixed(1)} % on ${test.n} images`);
saveLearngene(new URL('./learngene.safetensors', import.meta.url).pathname, net.toLearngene());

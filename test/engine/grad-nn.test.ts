// Gradients of matmul, softmax, layerNorm and the F losses equal float64 central differences.
import fc from 'fast-check';
import { F, Generator, tensor, type Reduction, type Tensor } from '../../engine/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { checkGradients, sampledGradcheck } from '../helpers/gradients.js';
import { axesArb, randomTensor, seedArb, shapeArb } from '../helpers/random.js';

const RUNS = { numRuns: 20 };
const dim = fc.constantFrom(1, 2, 3, 5);

forEachBackend('d matmul equals central differences (2-D @ 2-D, batched @ 2-D, broadcast batches, .mT operands, 1-D operands)', async (device) => {
  const arb = fc.record({ m: dim, k: dim, n: dim, b1: fc.constantFrom(1, 2), b2: fc.constantFrom(1, 3), kind: fc.constantFrom('2d', 'batched@2d', 'broadcast', 'mT', 'vectors') });
  await fc.assert(fc.asyncProperty(arb, seedArb, async ({ m, k, n, b1, b2, kind }, seed) => {
    const mm = (a: Tensor, b: Tensor) => a.matmul(b);
    if (kind === '2d') await checkGradients(device, mm, [randomTensor([m, k], seed), randomTensor([k, n], seed + 1)]);
    if (kind === 'batched@2d') await checkGradients(device, mm, [randomTensor([b2, m, k], seed), randomTensor([k, n], seed + 1)]);
    if (kind === 'broadcast') await checkGradients(device, mm, [randomTensor([b1, 1, m, k], seed), randomTensor([b2, k, n], seed + 1)]);
    if (kind === 'mT') await checkGradients(device, (a, b) => a.mT.matmul(b.mT), [randomTensor([b2, k, m], seed), randomTensor([n, k], seed + 1)]);
    if (kind === 'vectors') {
      await checkGradients(device, mm, [randomTensor([k], seed), randomTensor([k], seed + 1)]); // dot product: a 0-d result
      await checkGradients(device, mm, [randomTensor([k], seed), randomTensor([b2, k, n], seed + 1)]);
      await checkGradients(device, mm, [randomTensor([b2, m, k], seed), randomTensor([k], seed + 1)]);
    }
  }), RUNS);
});

forEachBackend('d matmul equals central differences at 45×65 @ 65×45 (sampled elements)', async (device) => {
  const a = randomTensor([45, 65], 3), b = randomTensor([65, 45], 4);
  if (device === 'cpu') sampledGradcheck((x, y) => x.matmul(y), [a, b], { samples: 12 });
  else await checkGradients(device, (x, y) => x.matmul(y), [a, b]);
});

for (const name of ['softmax', 'logSoftmax'] as const) {
  forEachBackend(`d ${name} over a random axis equals central differences`, async (device) => {
    const arb = shapeArb(0, 3).chain((s) => fc.tuple(fc.constant(s), s.length === 0 ? fc.constant(-1) : axesArb(s.length).map((a) => a[0])));
    await fc.assert(fc.asyncProperty(arb, seedArb, async ([shape, axis], seed) => {
      await checkGradients(device, (x) => x[name](axis), [randomTensor(shape, seed)]);
    }), RUNS);
  });

  forEachBackend(`d ${name} equals central differences at 45×65 (sampled elements)`, async (device) => {
    const x = randomTensor([45, 65], 5);
    if (device === 'cpu') sampledGradcheck((t) => t[name](-1), [x], { samples: 16 });
    else await checkGradients(device, (t) => t[name](-1), [x]);
  });
}

forEachBackend('d layerNorm equals central differences (with and without weight/bias, 1- and 2-dim normalizedShape)', async (device) => {
  const arb = fc.record({ lead: shapeArb(0, 2), norm: shapeArb(1, 2, [2, 3, 5]), weight: fc.boolean(), bias: fc.boolean() });
  await fc.assert(fc.asyncProperty(arb, seedArb, async ({ lead, norm, weight, bias }, seed) => {
    const inputs = [randomTensor([...lead, ...norm], seed)];
    if (weight) inputs.push(randomTensor(norm, seed + 1));
    if (bias) inputs.push(randomTensor(norm, seed + 2));
    await checkGradients(device, (x, ...rest) => {
      const w = weight ? rest[0] : undefined;
      const b = bias ? rest[weight ? 1 : 0] : undefined;
      return F.layerNorm(x, norm, w, b);
    }, inputs);
  }), RUNS);
});

forEachBackend('d F.linear equals central differences (with and without bias, batched input)', async (device) => {
  const arb = fc.record({ lead: shapeArb(1, 2), inF: dim, outF: dim, bias: fc.boolean() });
  await fc.assert(fc.asyncProperty(arb, seedArb, async ({ lead, inF, outF, bias }, seed) => {
    const inputs = [randomTensor([...lead, inF], seed), randomTensor([outF, inF], seed + 1)];
    if (bias) inputs.push(randomTensor([outF], seed + 2));
    await checkGradients(device, (x, w, b) => F.linear(x, w, b), inputs);
  }), RUNS);
});

const reductionArb = fc.constantFrom<Reduction>('mean', 'sum', 'none');

forEachBackend('d F.crossEntropy equals central differences (index and probability targets, label smoothing, every reduction)', async (device) => {
  const arb = fc.record({ n: dim, c: fc.constantFrom(2, 3, 5), reduction: reductionArb, smoothing: fc.constantFrom(0, 0.1, 0.3), probs: fc.boolean() });
  await fc.assert(fc.asyncProperty(arb, seedArb, async ({ n, c, reduction, smoothing, probs }, seed) => {
    const g = new Generator(seed);
    const opts = { labelSmoothing: smoothing, reduction };
    if (probs) {
      // probability targets are differentiable too
      await checkGradients(device, (x, t) => F.crossEntropy(x, t.softmax(1), opts), [randomTensor([n, c], seed), randomTensor([n, c], seed + 1)]);
    } else {
      const target = tensor(Int32Array.from({ length: n }, () => g.int(c)), { dtype: 'int32' });
      await checkGradients(device, (x) => F.crossEntropy(x, target.to(x.device), opts), [randomTensor([n, c], seed)]);
    }
  }), RUNS);
});

forEachBackend('d F.klDiv equals central differences (probability and log targets, every reduction)', async (device) => {
  const arb = fc.record({ shape: shapeArb(1, 3), reduction: fc.constantFrom<Reduction | 'batchmean'>('mean', 'sum', 'none', 'batchmean'), logTarget: fc.boolean() });
  await fc.assert(fc.asyncProperty(arb, seedArb, async ({ shape, reduction, logTarget }, seed) => {
    const fn = (x: Tensor, t: Tensor) => F.klDiv(x.logSoftmax(-1), logTarget ? t.logSoftmax(-1) : t.softmax(-1), { reduction, logTarget });
    await checkGradients(device, fn, [randomTensor(shape, seed), randomTensor(shape, seed + 1)]);
  }), RUNS);
});

forEachBackend('d F.mseLoss equals central differences (every reduction)', async (device) => {
  await fc.assert(fc.asyncProperty(shapeArb(0, 3), reductionArb, seedArb, async (shape, reduction, seed) => {
    await checkGradients(device, (x, t) => F.mseLoss(x, t, { reduction }), [randomTensor(shape, seed), randomTensor(shape, seed + 1)]);
  }), RUNS);
});

forEachBackend('d F.dropout with a fixed generator equals central differences', async (device) => {
  await fc.assert(fc.asyncProperty(shapeArb(1, 3), fc.constantFrom(0.1, 0.5, 0.9), seedArb, async (shape, p, seed) => {
    // a fresh generator per call: every evaluation of the objective drops the same elements
    await checkGradients(device, (x) => F.dropout(x, p, true, new Generator(seed)), [randomTensor(shape, seed)]);
  }), RUNS);
});

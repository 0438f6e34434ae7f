// Losses (F.crossEntropy, F.klDiv, F.mseLoss), one family: gradients equal float64 central differences
// for every target kind and reduction, and the values equal PyTorch's fixtures.
import fc from 'fast-check';
import { F, Generator, tensor, type Reduction, type Tensor } from '../../engine/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { checkGradients } from '../helpers/gradients.js';
import { fixtureTests } from '../helpers/reference.js';
import { randomTensor, seedArb, shapeArb } from '../helpers/random.js';

const RUNS = { numRuns: 20 };
const dim = fc.constantFrom(1, 2, 3, 5);

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

// ---- PyTorch fixtures ----

fixtureTests('losses');

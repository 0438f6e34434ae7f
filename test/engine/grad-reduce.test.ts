// Gradients of reductions over random axes, with and without keepdim, equal float64 central differences.
import fc from 'fast-check';
import type { Tensor } from '../../engine/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { checkGradients } from '../helpers/gradients.js';
import { axesArb, randomTensor, seedArb, shapeArb, type ValueOptions } from '../helpers/random.js';

const RUNS = { numRuns: 25 };

type Reducer = (x: Tensor, axes: number[] | undefined, keepdim: boolean) => Tensor;

interface ReduceCase { name: string; fn: Reducer; values?: ValueOptions; minCount?: number }

const CASES: ReduceCase[] = [
  { name: 'sum', fn: (x, a, k) => x.sum(a, k) },
  { name: 'mean', fn: (x, a, k) => x.mean(a, k) },
  // distinct values: a tie inside the differencing step would make max non-differentiable there
  { name: 'max', fn: (x, a, k) => x.max(a, k), values: { distinct: 0.05 } },
  { name: 'min', fn: (x, a, k) => x.min(a, k), values: { distinct: 0.05 } },
  { name: 'var (unbiased)', fn: (x, a, k) => x.var(a, { keepdim: k }), minCount: 2 },
  { name: 'var (biased)', fn: (x, a, k) => x.var(a, { unbiased: false, keepdim: k }) },
  // std at a single element is √0: its derivative is infinite, so at least two elements per group
  { name: 'std', fn: (x, a, k) => x.std(a, { keepdim: k }), minCount: 2 },
  { name: 'logsumexp', fn: (x, a, k) => x.logsumexp(a, k) },
];

/** A shape, axes to reduce (some negative, or undefined for all), and keepdim. */
const reduceArb = shapeArb(0, 3).chain((shape) =>
  fc.tuple(fc.constant(shape), fc.option(axesArb(shape.length), { nil: undefined }), fc.boolean()));

for (const c of CASES) {
  forEachBackend(`d ${c.name} over random axes (keepdim either way) equals central differences`, async (device) => {
    await fc.assert(fc.asyncProperty(reduceArb, seedArb, async ([shape, axes, keepdim], seed) => {
      const reduced = (axes ?? shape.map((_, i) => i)).map((a) => (a < 0 ? a + shape.length : a));
      const count = reduced.reduce((n, a) => n * shape[a], 1);
      fc.pre(count >= (c.minCount ?? 1));
      await checkGradients(device, (x) => c.fn(x, axes, keepdim), [randomTensor(shape, seed, c.values)]);
    }), RUNS);
  });
}

// Reductions (sum, mean, max, min, var, std, logsumexp), one family: forward values over random axes
// equal naive float64 loops, and gradients equal float64 central differences.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { noGrad, type Tensor } from '../../engine/index.js';
import { forEachBackend, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { checkGradients } from '../helpers/gradients.js';
import { ravel, unravel } from '../helpers/indexing.js';
import { axesArb, randomTensor, seedArb, shapeArb, type ValueOptions } from '../helpers/random.js';

// ---- forward values ----

/** Groups the elements of x by their position outside `axes` (keepdim order), then folds each group. */
function naiveReduce(x: Float64Array, shape: number[], axes: number[], fold: (group: number[]) => number): Float64Array {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => []);
  for (let i = 0; i < x.length; i++) {
    const idx = unravel(i, shape).map((v, d) => (axes.includes(d) ? 0 : v));
    groups[ravel(idx, outShape)].push(x[i]);
  }
  return Float64Array.from(groups.map(fold));
}

const sum = (g: number[]) => g.reduce((a, b) => a + b, 0);
const mean = (g: number[]) => sum(g) / g.length;
const variance = (g: number[], unbiased: boolean) => { const m = mean(g); return sum(g.map((v) => (v - m) ** 2)) / (g.length - (unbiased ? 1 : 0)); };
const lse = (g: number[]) => { const m = Math.max(...g); return m + Math.log(sum(g.map((v) => Math.exp(v - m)))); };

const REDUCTIONS: [string, (x: Tensor, axes: number[], keepdim: boolean) => Tensor, (g: number[]) => number][] = [
  ['sum', (x, a, k) => x.sum(a, k), sum],
  ['mean', (x, a, k) => x.mean(a, k), mean],
  ['max', (x, a, k) => x.max(a, k), (g) => Math.max(...g)],
  ['min', (x, a, k) => x.min(a, k), (g) => Math.min(...g)],
  ['var (unbiased)', (x, a, k) => x.var(a, { keepdim: k }), (g) => variance(g, true)],
  ['var (biased)', (x, a, k) => x.var(a, { unbiased: false, keepdim: k }), (g) => variance(g, false)],
  ['std', (x, a, k) => x.std(a, { keepdim: k }), (g) => Math.sqrt(variance(g, true))],
  ['logsumexp', (x, a, k) => x.logsumexp(a, k), lse],
];

forEachBackend('reductions over random axes (keepdim either way) equal naive loops', async (device) => {
  const arb = shapeArb(1, 4).chain((s) => fc.tuple(fc.constant(s), axesArb(s.length), fc.boolean()));
  await fc.assert(fc.asyncProperty(arb, fc.constantFrom(...REDUCTIONS), seedArb, async ([shape, axes, keepdim], [name, op, fold], seed) => {
    const norm = axes.map((a) => (a < 0 ? a + shape.length : a));
    const count = norm.reduce((n, a) => n * shape[a], 1);
    fc.pre(!(name.includes('unbiased') || name === 'std') || count >= 2);
    const x64 = randomTensor(shape, seed, { requiresGrad: false });
    const x = noGrad(() => x64.to(workDType(device)).to(device));
    const y = op(x, axes, keepdim);
    const expectShape = keepdim ? shape.map((d, i) => (norm.includes(i) ? 1 : d)) : shape.filter((_, i) => !norm.includes(i));
    assert.deepEqual(y.shape, expectShape, `${name}: shape`);
    const want = naiveReduce(Float64Array.from(await valuesOf(x)), shape, norm, fold);
    assertAllClose(await valuesOf(y), want, { ...tolFor(workDType(device)), what: `${name} over [${axes}] of [${shape}]` });
  }), { numRuns: 60 });
});

// ---- gradients ----

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

// Forward values equal naive float64 loops written here (gradchecks only tie backward to forward; these
// tie forward to its definition): reductions over random axes, elementwise ops, movement ops.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cat, noGrad, type Tensor } from '../../engine/index.js';
import { forEachBackend, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { axesArb, randomTensor, randomValues, seedArb, shapeArb } from '../helpers/random.js';

const RUNS = { numRuns: 30 };

/** Row-major multi-index of flat position i. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = i % shape[d]; i = Math.floor(i / shape[d]); }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * shape[d] + idx[d];
  return p;
}

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

const UNARY: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
  ['exp', (x) => x.exp(), Math.exp], ['tanh', (x) => x.tanh(), Math.tanh], ['abs', (x) => x.abs(), Math.abs],
  ['sigmoid', (x) => x.sigmoid(), (v) => 1 / (1 + Math.exp(-v))], ['relu', (x) => x.relu(), (v) => Math.max(v, 0)],
  ['square', (x) => x.square(), (v) => v * v], ['neg', (x) => x.neg(), (v) => -v],
  ['log of |x|+0.1', (x) => x.abs().add(0.1).log(), (v) => Math.log(Math.abs(v) + 0.1)],
  ['rsqrt of |x|+0.1', (x) => x.abs().add(0.1).rsqrt(), (v) => 1 / Math.sqrt(Math.abs(v) + 0.1)],
  ['clamp(-0.5, 0.3)', (x) => x.clamp(-0.5, 0.3), (v) => Math.min(Math.max(v, -0.5), 0.3)],
  ['pow(3)', (x) => x.pow(3), (v) => v ** 3],
];

forEachBackend('elementwise ops equal Math on random shapes', async (device) => {
  await fc.assert(fc.asyncProperty(shapeArb(0, 3), fc.constantFrom(...UNARY), seedArb, async (shape, [name, op, ref], seed) => {
    const x = noGrad(() => randomTensor(shape, seed, { requiresGrad: false }).to(workDType(device)).to(device));
    const xs = await valuesOf(x);
    assertAllClose(await valuesOf(op(x)), xs.map(ref), { ...tolFor(workDType(device)), what: name });
  }), RUNS);
});

forEachBackend('cat, split and indexSelect move the values a naive loop moves', async (device) => {
  const arb = shapeArb(1, 3).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 })));
  await fc.assert(fc.asyncProperty(arb, seedArb, async ([shape, axis], seed) => {
    const toDev = (t: Tensor) => noGrad(() => t.to(workDType(device)).to(device));
    const a = toDev(randomTensor(shape, seed, { requiresGrad: false })), b = toDev(randomTensor(shape, seed + 1, { requiresGrad: false }));
    const av = await valuesOf(a), bv = await valuesOf(b);
    const joined = cat([a, b], axis);
    const jshape = joined.shape;
    const jv = await valuesOf(joined);
    for (let i = 0; i < jv.length; i++) {
      const idx = unravel(i, jshape);
      const fromB = idx[axis] >= shape[axis];
      if (fromB) idx[axis] -= shape[axis];
      assert.equal(jv[i], (fromB ? bv : av)[ravel(idx, shape)], `cat at ${i}`);
    }
    const [back] = joined.split([shape[axis], shape[axis]], axis);
    assert.deepEqual(await valuesOf(back), av, 'split undoes cat');
    const picks = randomValues(4, seed).map((v) => Math.floor(Math.abs(v) * 7) % shape[axis]);
    const sel = await valuesOf(a.indexSelect(axis, [...picks]));
    const selShape = shape.map((d, i) => (i === axis ? picks.length : d));
    for (let i = 0; i < sel.length; i++) {
      const idx = unravel(i, selShape);
      idx[axis] = picks[idx[axis]];
      assert.equal(sel[i], av[ravel(idx, shape)], `indexSelect at ${i}`);
    }
  }), RUNS);
});

// Movement ops (views: reshape, permute, expand, slice, squeeze; copies: cat, stack, split, gather,
// indexSelect), one family: forward values equal naive loops, views alias their base and every kernel reads
// a strided view like its contiguous copy, and gradients equal float64 central differences.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cat, F, noGrad, stack, tensor, type Tensor } from '../../engine/index.js';
import { forEachBackend, on, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { checkGradients } from '../helpers/gradients.js';
import { ravel, unravel } from '../helpers/indexing.js';
import { randomTensor, randomValues, seedArb, shapeArb } from '../helpers/random.js';

const RUNS = { numRuns: 20 };

/** A non-trivial downstream op, so a wrong gradient layout cannot cancel out. */
const after = (y: Tensor): Tensor => y.tanh().mul(y.add(1));

const rankArb = (min: number) => shapeArb(min, 3);

/** A random permutation of 0..n−1. */
const permArb = (n: number) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });

forEachBackend('d reshape equals central differences (reversed shape, flattened, -1)', async (device) => {
  await fc.assert(fc.asyncProperty(rankArb(0), seedArb, fc.constantFrom('reverse', 'flat', 'infer'), async (shape, seed, kind) => {
    const target = kind === 'reverse' ? [...shape].reverse() : kind === 'flat' ? [-1] : [1, ...shape, 1];
    // through a permute first, so reshape also meets a non-contiguous input
    await checkGradients(device, (x) => after(x.permute([...shape.keys()].reverse()).reshape(target)), [randomTensor(shape, seed)]);
  }), RUNS);
});

forEachBackend('d permute and transpose equal central differences', async (device) => {
  await fc.assert(fc.asyncProperty(rankArb(2).chain((s) => fc.tuple(fc.constant(s), permArb(s.length))), seedArb, async ([shape, dims], seed) => {
    await checkGradients(device, (x) => after(x.permute(dims)), [randomTensor(shape, seed)]);
    await checkGradients(device, (x) => after(x.transpose(0, -1)), [randomTensor(shape, seed)]);
    await checkGradients(device, (x) => after(x.mT), [randomTensor(shape, seed)]);
  }), RUNS);
});

forEachBackend('d expand equals central differences (new leading dims and size-1 dims)', async (device) => {
  await fc.assert(fc.asyncProperty(shapeArb(0, 3, [1, 2, 3]), seedArb, async (shape, seed) => {
    const target = [2, ...shape.map((d) => (d === 1 ? 3 : d))];
    await checkGradients(device, (x) => after(x.expand(target)), [randomTensor(shape, seed)]);
  }), RUNS);
});

forEachBackend('d slice (with step) and narrow equal central differences', async (device) => {
  const arb = rankArb(1).chain((shape) => fc.tuple(
    fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }),
    fc.integer({ min: -6, max: 6 }), fc.integer({ min: -6, max: 6 }), fc.integer({ min: 1, max: 3 })));
  await fc.assert(fc.asyncProperty(arb, seedArb, async ([shape, axis, start, end, step], seed) => {
    await checkGradients(device, (x) => after(x.slice(axis, start, end, step)).sum(), [randomTensor(shape, seed)]);
    const size = shape[axis];
    const s = Math.min(Math.abs(start), size - 1);
    await checkGradients(device, (x) => after(x.narrow(axis, s, size - s)), [randomTensor(shape, seed)]);
  }), RUNS);
});

forEachBackend('d squeeze and unsqueeze equal central differences', async (device) => {
  await fc.assert(fc.asyncProperty(shapeArb(0, 4, [1, 2, 3]), seedArb, async (shape, seed) => {
    const x = randomTensor(shape, seed);
    await checkGradients(device, (t) => after(t.squeeze()), [x]);
    const ones = shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
    if (ones.length > 0) await checkGradients(device, (t) => after(t.squeeze(ones[0])), [x]);
    await checkGradients(device, (t) => after(t.unsqueeze(shape.length > 0 ? -1 : 0).unsqueeze(0)), [x]);
  }), RUNS);
});

forEachBackend('d cat and stack equal central differences along random axes', async (device) => {
  const arb = rankArb(1).chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.integer({ min: 1, max: 3 })));
  await fc.assert(fc.asyncProperty(arb, seedArb, async ([shape, axis, extra], seed) => {
    const other = shape.map((d, i) => (i === axis ? extra : d));
    await checkGradients(device, (a, b) => after(cat([a, b, a], axis)), [randomTensor(shape, seed), randomTensor(other, seed + 1)]);
    await checkGradients(device, (a, b) => after(stack([a, b], axis)), [randomTensor(shape, seed), randomTensor(shape, seed + 1)]);
  }), RUNS);
});

forEachBackend('d split and chunk equal central differences (uneven last piece)', async (device) => {
  const arb = shapeArb(1, 3, [1, 3, 5]).chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.integer({ min: 1, max: 4 })));
  await fc.assert(fc.asyncProperty(arb, seedArb, async ([shape, axis, k], seed) => {
    // weight each piece differently so a gradient routed to the wrong piece shows
    const join = (parts: Tensor[]): Tensor => cat(parts.map((p, i) => after(p).mul(i + 1).reshape([-1])), 0);
    await checkGradients(device, (x) => join(x.split(k, axis)), [randomTensor(shape, seed)]);
    await checkGradients(device, (x) => join(x.chunk(k, axis)), [randomTensor(shape, seed)]);
  }), RUNS);
});

forEachBackend('d indexSelect and gather equal central differences (repeated indices accumulate)', async (device) => {
  const arb = rankArb(1).chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 })));
  await fc.assert(fc.asyncProperty(arb, seedArb, async ([shape, axis], seed) => {
    const size = shape[axis];
    const idx = [...Array(4).keys()].map((i) => (seed + i * 7) % size);
    await checkGradients(device, (x) => after(x.indexSelect(axis, idx)), [randomTensor(shape, seed)]);
    const ishape = shape.map((d, i) => (i === axis ? 3 : d));
    const n = ishape.reduce((a, b) => a * b, 1);
    const index = tensor(Int32Array.from({ length: n }, (_, i) => (seed + i * 5) % size), { shape: ishape, dtype: 'int32' });
    await checkGradients(device, (x) => after(x.gather(axis, index.to(x.device))), [randomTensor(shape, seed)]);
  }), RUNS);
});

// ---- forward values ----

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
  }), { numRuns: 30 });
});

// ---- views ----

type ViewFn = (t: Tensor) => Tensor;
const VIEW_OPS: [string, ViewFn][] = [
  ['transpose', (t) => t.transpose(0, 2)],
  ['permute', (t) => t.permute(2, 0, 1)],
  ['slice with step', (t) => t.slice(1, 1, undefined, 2)],
  ['narrow', (t) => t.narrow(2, 1, 2)],
  ['select', (t) => t.select(0, -1)],
  ['expand', (t) => t.unsqueeze(0).expand(2, -1, -1, -1)],
  ['reshape of a contiguous tensor', (t) => t.reshape(-1, 4)],
  ['chained', (t) => t.mT.slice(0, 0, 3, 2).unsqueeze(1)],
];

forEachBackend('a view equals its copy and shares storage with its base', async (device) => {
  await fc.assert(fc.asyncProperty(fc.constantFrom(...VIEW_OPS), seedArb, async ([name, viewOf], seed) => {
    const base = on(device, randomTensor([3, 4, 4], seed));
    const view = viewOf(base);
    assert.equal(view.storage, base.storage, `${name}: a view shares its base's storage`);
    assert.deepEqual(await valuesOf(view), await valuesOf(view.contiguous()), `${name}: view equals its contiguous copy`);
    assert.deepEqual(await valuesOf(view), await valuesOf(view.clone()), `${name}: view equals its clone`);
    // writing the base shows through the view
    const replacement = on(device, randomTensor([3, 4, 4], seed + 1));
    noGrad(() => base.copy_(replacement));
    assert.deepEqual(await valuesOf(view), await valuesOf(viewOf(replacement)), `${name}: a write to the base shows in the view`);
  }), { numRuns: 30 });
});

/** A random strided view of a [3, 4, 5] base: a permutation, a stepped slice, maybe a broadcast dim. */
const stridedViewArb = fc.record({
  dims: fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
  axis: fc.integer({ min: 0, max: 2 }), start: fc.integer({ min: 0, max: 1 }), step: fc.integer({ min: 1, max: 2 }),
  expand: fc.boolean(),
});

type ViewSpec = { dims: number[]; axis: number; start: number; step: number; expand: boolean };
const applyView = (t: Tensor, v: ViewSpec): Tensor => {
  const sliced = t.permute(v.dims).slice(v.axis, v.start, undefined, v.step);
  return v.expand ? sliced.unsqueeze(1).expand(-1, 2, -1, -1) : sliced;
};

const ON_VIEWS: [string, (t: Tensor) => Tensor][] = [
  ['reshape(-1)', (t) => t.reshape(-1)],
  ['reshape merging the last two dims', (t) => t.flatten(-2)],
  ['sum over axis 0 and -1', (t) => t.sum([0, -1])],
  ['max over axis 1', (t) => t.max(1)],
  ['exp', (t) => t.exp()],
  ['add of itself transposed back', (t) => t.add(t.mT.contiguous().mT)],
  ['matmul with its own transpose', (t) => t.matmul(t.mT)],
  ['softmax(1)', (t) => t.softmax(1)],
  ['logSoftmax(-1)', (t) => t.logSoftmax(-1)],
  ['layerNorm over the last dim', (t) => F.layerNorm(t, [t.dim(-1)])],
  ['gather of the first index', (t) => t.gather(-1, t.argmax(-1, true))],
];

forEachBackend('kernels read strided views like their contiguous copies (op(view) = op(view.contiguous()))', async (device) => {
  await fc.assert(fc.asyncProperty(stridedViewArb, fc.constantFrom(...ON_VIEWS), seedArb, async (spec, [name, op], seed) => {
    const base = on(device, randomTensor([3, 4, 5], seed));
    const view = applyView(base, spec);
    const a = op(view), b = op(view.contiguous());
    assert.deepEqual(a.shape, b.shape, `${name}: shape`);
    assertAllClose(await valuesOf(a), await valuesOf(b), { ...tolFor(workDType(device)), what: name });
  }), { numRuns: 60 });
});

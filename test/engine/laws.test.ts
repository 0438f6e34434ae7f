// Algebraic laws: broadcasting is expansion, views alias their base, softmax and layerNorm normalise,
// matmul associates, fused kernels equal their composed references, and seeds reproduce.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  F, Generator, layerNormComposed, logSoftmaxComposed, manualSeed, maximum, noGrad, rand, randn, softmaxComposed, truncNormal, where,
  type Tensor,
} from '../../engine/index.js';
import { forEachBackend, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { axesArb, randomTensor, seedArb, shapeArb } from '../helpers/random.js';

const RUNS = { numRuns: 30 };

/** A float64 cpu tensor moved to `device` in its working dtype, as a fresh leaf. */
function on(device: Parameters<typeof workDType>[0], t: Tensor, requiresGrad = false): Tensor {
  const moved = noGrad(() => t.detach().to(workDType(device)).to(device));
  return requiresGrad ? moved.requiresGrad_(true) : moved;
}

const broadcastPairArb = shapeArb(0, 3).chain((shape) =>
  fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length }), fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }))
    .map(([a, drop, ones]) => [a, a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d))] as const));

const BROADCAST_OPS: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', (a, b) => a.add(b)], ['sub', (a, b) => a.sub(b)], ['mul', (a, b) => a.mul(b)], ['div', (a, b) => a.div(b)], ['maximum', (a, b) => maximum(a, b)],
];

forEachBackend('broadcasting equals explicit expand, forward and backward', async (device) => {
  await fc.assert(fc.asyncProperty(broadcastPairArb, fc.constantFrom(...BROADCAST_OPS), seedArb, async ([sa, sb], [, op], seed) => {
    const tol = tolFor(workDType(device));
    const a1 = on(device, randomTensor(sa, seed), true), b1 = on(device, randomTensor(sb, seed + 1, { awayFromZero: 0.5 }), true);
    const a2 = on(device, randomTensor(sa, seed), true), b2 = on(device, randomTensor(sb, seed + 1, { awayFromZero: 0.5 }), true);
    const implicit = op(b1, a1); // the smaller operand on the left too
    const explicit = op(b2.expand(sa), a2);
    assertAllClose(await valuesOf(implicit), await valuesOf(explicit), { ...tol, what: 'forward' });
    const g = on(device, randomTensor(sa, seed + 2));
    implicit.backward(g);
    explicit.backward(g);
    assertAllClose(await valuesOf(b1.grad!), await valuesOf(b2.grad!), { ...tol, what: 'grad of the broadcast operand' });
    assertAllClose(await valuesOf(a1.grad!), await valuesOf(a2.grad!), { ...tol, what: 'grad of the full operand' });
  }), RUNS);
});

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
  }), RUNS);
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

const axisArb = shapeArb(1, 3).chain((s) => fc.tuple(fc.constant(s), axesArb(s.length).map((a) => a[0])));

forEachBackend('softmax rows sum to 1 and softmax is invariant to a shift along its axis', async (device) => {
  await fc.assert(fc.asyncProperty(axisArb, seedArb, fc.double({ min: -50, max: 50, noNaN: true }), async ([shape, axis], seed, shift) => {
    const dtype = workDType(device);
    const x = on(device, randomTensor(shape, seed));
    const y = x.softmax(axis);
    assertAllClose(await valuesOf(y.sum(axis)), new Float64Array(y.size / y.dim(axis)).fill(1), { ...tolFor(dtype), what: 'row sums' });
    // a per-row shift: constant along `axis`, different across rows
    const s = on(device, randomTensor(shape.map((d, i) => (i === (axis + shape.length) % shape.length ? 1 : d)), seed + 1)).mul(shift);
    assertAllClose(await valuesOf(x.add(s).softmax(axis)), await valuesOf(y), { ...tolFor(dtype), floorRel: 1e-6, what: 'shifted softmax' });
  }), RUNS);
});

forEachBackend('softmax is exactly 0 at a −∞ logit (a masked position), in float32 and float64', async (device) => {
  for (const dtype of device === 'cpu' ? ['float32', 'float64'] as const : ['float32'] as const) {
    const x = noGrad(() => randomTensor([3, 7], 4).detach().to(dtype).to(device));
    const mask = on(device, randomTensor([3, 7], 5)).gt(0.5);
    const y = await valuesOf(where(mask, -Infinity, x).softmax(-1));
    const m = await valuesOf(mask);
    m.forEach((v, i) => { if (v) assert.equal(y[i], 0, `${dtype}: softmax at masked element ${i} is ${y[i]}, expected exactly 0`); });
  }
});

forEachBackend('layerNorm output has mean 0 and variance 1 per row before the affine', async (device) => {
  await fc.assert(fc.asyncProperty(shapeArb(0, 2), shapeArb(1, 2, [2, 3, 5, 7]), seedArb, async (lead, norm, seed) => {
    const x = on(device, randomTensor([...lead, ...norm], seed).mul(3).add(1));
    const axes = norm.map((_, i) => lead.length + i);
    const y = F.layerNorm(x, norm, null, null, 0);
    const rows = lead.reduce((a, b) => a * b, 1);
    const tol = workDType(device) === 'float64' ? 1e-10 : 1e-5;
    assertAllClose(await valuesOf(y.mean(axes)), new Float64Array(rows), { rtol: 1, floor: tol, what: 'row means' });
    assertAllClose(await valuesOf(y.var(axes, { unbiased: false })), new Float64Array(rows).fill(1), { rtol: tol, what: 'row variances' });
  }), RUNS);
});

forEachBackend('logSoftmax stays finite (and exact) at logits ±1e4', async (device) => {
  const x = on(device, randomTensor([3, 4], 1).mul(1e4).sign().mul(1e4));
  const y = await valuesOf(x.logSoftmax(-1));
  assert.ok(y.every(Number.isFinite), `logSoftmax produced a non-finite value: ${[...y]}`);
  const rows = await valuesOf(x.exp().sum(-1).log()); // naive: overflows
  assert.ok(rows.some((v) => !Number.isFinite(v)), 'the naive form overflows here, so the test exercises the stable path');
  const xs = await valuesOf(x);
  const want = xs.map((v, i) => {
    const row = xs.slice(i - (i % 4), i - (i % 4) + 4);
    const m = Math.max(...row);
    return v - m - Math.log(row.reduce((s, r) => s + Math.exp(r - m), 0));
  });
  assertAllClose(y, want, { rtol: workDType(device) === 'float64' ? 1e-12 : 1e-6, floor: 1e-12, what: 'logSoftmax at ±1e4' });
});

forEachBackend('matmul is associative: (AB)C = A(BC) within tolerance', async (device) => {
  const dim = fc.constantFrom(1, 2, 3, 5, 8);
  await fc.assert(fc.asyncProperty(dim, dim, dim, dim, fc.constantFrom<number[]>([], [2], [3, 1]), seedArb, async (m, k, n, p, batch, seed) => {
    const a = on(device, randomTensor([...batch, m, k], seed));
    const b = on(device, randomTensor([k, n], seed + 1));
    const c = on(device, randomTensor([n, p], seed + 2));
    const left = await valuesOf(a.matmul(b).matmul(c));
    const right = await valuesOf(a.matmul(b.matmul(c)));
    // rounding grows with the sizes: scale the floor by the magnitude of the products
    assertAllClose(left, right, { rtol: workDType(device) === 'float64' ? 1e-12 : 1e-4, floorRel: 1e-2, floor: 1e-12, what: '(AB)C vs A(BC)' });
  }), RUNS);
});

const normArb = fc.tuple(shapeArb(0, 2), shapeArb(1, 2, [1, 2, 3, 5])).map(([lead, norm]) => ({ shape: [...lead, ...norm], norm }));

forEachBackend('fused softmax, logSoftmax and layerNorm equal their composed references, forward and backward', async (device) => {
  const dtype = workDType(device);
  const pairs: [string, (x: Tensor, axis: number) => Tensor, (x: Tensor, axis: number) => Tensor][] = [
    ['softmax', (x, a) => x.softmax(a), softmaxComposed],
    ['logSoftmax', (x, a) => x.logSoftmax(a), logSoftmaxComposed],
  ];
  for (const [name, fused, composed] of pairs) {
    await fc.assert(fc.asyncProperty(axisArb, seedArb, async ([shape, axis], seed) => {
      const x1 = on(device, randomTensor(shape, seed).mul(3), true), x2 = on(device, randomTensor(shape, seed).mul(3), true);
      const g = on(device, randomTensor(shape, seed + 1));
      const y1 = fused(x1, axis), y2 = composed(x2, axis);
      assertAllClose(await valuesOf(y1), await valuesOf(y2), { ...tolFor(dtype), what: `${name} forward` });
      y1.backward(g);
      y2.backward(g);
      assertAllClose(await valuesOf(x1.grad!), await valuesOf(x2.grad!), { ...tolFor(dtype), floorRel: 1e-6, what: `${name} backward` });
    }), { numRuns: 20 });
  }
  await fc.assert(fc.asyncProperty(normArb, fc.boolean(), fc.boolean(), seedArb, async ({ shape, norm }, withW, withB, seed) => {
    const make = () => [on(device, randomTensor(shape, seed).mul(2), true), on(device, randomTensor(norm, seed + 1), true), on(device, randomTensor(norm, seed + 2), true)];
    const [x1, w1, b1] = make(), [x2, w2, b2] = make();
    const g = on(device, randomTensor(shape, seed + 3));
    const y1 = F.layerNorm(x1, norm, withW ? w1 : null, withB ? b1 : null);
    const y2 = layerNormComposed(x2, norm, withW ? w2 : null, withB ? b2 : null);
    assertAllClose(await valuesOf(y1), await valuesOf(y2), { ...tolFor(dtype), floorRel: 1e-6, what: 'layerNorm forward' });
    y1.backward(g);
    y2.backward(g);
    for (const [t1, t2, what] of [[x1, x2, 'x'], [w1, w2, 'weight'], [b1, b2, 'bias']] as const) {
      if (t2.grad === null) { assert.equal(t1.grad, null, `layerNorm: ${what} unused, so no gradient`); continue; }
      assertAllClose(await valuesOf(t1.grad!), await valuesOf(t2.grad), { ...tolFor(dtype), floorRel: 1e-6, what: `layerNorm grad of ${what}` });
    }
  }), { numRuns: 20 });
});

forEachBackend('the same seed gives the same random numbers (rand, randn, truncNormal), twice', async (device) => {
  await fc.assert(fc.asyncProperty(seedArb, shapeArb(0, 3), async (seed, shape) => {
    const draw = (gen?: Generator) => [
      rand(shape, { generator: gen, device }), randn(shape, { generator: gen, std: 2, device, dtype: workDType(device) }),
      truncNormal(shape, { generator: gen, std: 0.02, a: -0.04, b: 0.04, device }),
    ];
    const first = draw(new Generator(seed)), second = draw(new Generator(seed));
    manualSeed(seed);
    const third = draw();
    manualSeed(seed);
    const fourth = draw();
    for (let i = 0; i < first.length; i++) {
      const v = await valuesOf(first[i]);
      assert.deepEqual(await valuesOf(second[i]), v, 'two generators with one seed');
      assert.deepEqual(await valuesOf(fourth[i]), await valuesOf(third[i]), 'manualSeed twice');
      assert.deepEqual(await valuesOf(third[i]), v, 'manualSeed seeds the default generator like new Generator(seed)');
    }
    const tn = await valuesOf(first[2]);
    assert.ok(tn.every((v) => v >= -0.04 && v <= 0.04), 'truncNormal stays inside [a, b]');
  }), RUNS);
});

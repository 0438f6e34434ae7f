// Elementwise ops (unary, binary, where), one family: forward values equal Math, gradients equal float64
// central differences on random shapes and values, broadcasting equals explicit expand, and gelu equals
// PyTorch's fixtures.
import fc from 'fast-check';
import { maximum, minimum, noGrad, where, type Tensor } from '../../engine/index.js';
import { forEachBackend, on, workDType } from '../helpers/backends.js';
import { assertAllClose, tolFor, valuesOf } from '../helpers/allclose.js';
import { checkGradients, sampledGradcheck } from '../helpers/gradients.js';
import { fixtureTests } from '../helpers/reference.js';
import { randomTensor, seedArb, shapeArb, type ValueOptions } from '../helpers/random.js';

const RUNS = { numRuns: 20 };

interface UnaryCase { name: string; fn: (x: Tensor) => Tensor; values?: ValueOptions }

const POSITIVE: ValueOptions = { low: 0.5, high: 3 };
const AWAY: ValueOptions = { awayFromZero: 0.05 };

const UNARY: UnaryCase[] = [
  { name: 'neg', fn: (x) => x.neg() },
  { name: 'exp', fn: (x) => x.exp() },
  { name: 'log', fn: (x) => x.log(), values: POSITIVE },
  { name: 'sqrt', fn: (x) => x.sqrt(), values: POSITIVE },
  { name: 'rsqrt', fn: (x) => x.rsqrt(), values: POSITIVE },
  { name: 'abs', fn: (x) => x.abs(), values: AWAY },
  { name: 'tanh', fn: (x) => x.tanh() },
  { name: 'sigmoid', fn: (x) => x.sigmoid() },
  { name: 'relu', fn: (x) => x.relu(), values: AWAY },
  { name: 'gelu (erf)', fn: (x) => x.gelu() },
  { name: 'gelu (tanh)', fn: (x) => x.gelu('tanh') },
  { name: 'erf', fn: (x) => x.erf() },
  { name: 'square', fn: (x) => x.square() },
  // the kinks sit at multiples of 0.1; the lattice keeps every value ≥ 0.03 from them
  { name: 'clamp(-0.5, 0.7)', fn: (x) => x.clamp(-0.5, 0.7), values: { lattice: { step: 0.3, offset: 0.05, jitter: 0.02 } } },
  { name: 'clamp(min 0.2)', fn: (x) => x.clamp(0.2), values: { lattice: { step: 0.3, offset: 0.05, jitter: 0.02 } } },
];

for (const c of UNARY) {
  forEachBackend(`d ${c.name}(x) equals central differences on random shapes`, async (device) => {
    await fc.assert(fc.asyncProperty(shapeArb(), seedArb, async (shape, seed) => {
      const x = randomTensor(shape, seed, c.values);
      await checkGradients(device, c.fn, [x]);
    }), RUNS);
  });
}

interface BinaryCase { name: string; fn: (a: Tensor, b: Tensor) => Tensor; a?: ValueOptions; b?: ValueOptions }

const BINARY: BinaryCase[] = [
  { name: 'add', fn: (a, b) => a.add(b) },
  { name: 'sub', fn: (a, b) => a.sub(b) },
  { name: 'mul', fn: (a, b) => a.mul(b) },
  { name: 'div', fn: (a, b) => a.div(b), b: { awayFromZero: 0.5 } },
  { name: 'pow (positive base)', fn: (a, b) => a.pow(b), a: POSITIVE },
  // a on half-integers, b on integers (each ±0.1): |a − b| ≥ 0.3, so no tie within the differencing step
  { name: 'maximum', fn: (a, b) => maximum(a, b), a: { lattice: { step: 1, offset: 0.5, jitter: 0.1 } }, b: { lattice: { step: 1, offset: 0, jitter: 0.1 } } },
  { name: 'minimum', fn: (a, b) => minimum(a, b), a: { lattice: { step: 1, offset: 0.5, jitter: 0.1 } }, b: { lattice: { step: 1, offset: 0, jitter: 0.1 } } },
];

/** Two shapes that broadcast: b drops leading dims and turns some dims to 1. */
const broadcastPairArb = shapeArb(0, 3).chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.integer({ min: 0, max: shape.length }),
    fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
    fc.boolean(),
  ).map(([a, drop, ones, swap]) => {
    const b = a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
    return swap ? [b, a] : [a, b];
  }));

for (const c of BINARY) {
  forEachBackend(`d ${c.name}(a, b) equals central differences under broadcasting`, async (device) => {
    await fc.assert(fc.asyncProperty(broadcastPairArb, seedArb, async ([sa, sb], seed) => {
      const a = randomTensor(sa, seed, c.a);
      const b = randomTensor(sb, seed + 1, c.b);
      await checkGradients(device, c.fn, [a, b]);
    }), RUNS);
  });
}

forEachBackend('d where(c, a, b) equals central differences under broadcasting', async (device) => {
  await fc.assert(fc.asyncProperty(broadcastPairArb, seedArb, async ([sa, sb], seed) => {
    const a = randomTensor(sa, seed);
    const b = randomTensor(sb, seed + 1);
    const cond = randomTensor(sa.length >= sb.length ? sa : sb, seed + 2, { requiresGrad: false }).gt(0);
    await checkGradients(device, (x, y) => where(cond.to(x.device), x, y), [a, b]);
  }), RUNS);
});

forEachBackend('d add(a, b) equals central differences at 45×65 (sampled elements)', async (device) => {
  const a = randomTensor([45, 65], 1);
  const b = randomTensor([65], 2);
  if (workDType(device) === 'float64') sampledGradcheck((x, y) => x.add(y).tanh(), [a, b], { samples: 16 });
  else await checkGradients(device, (x, y) => x.add(y).tanh(), [a, b]);
});

// ---- forward values ----

const UNARY_VALUES: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
  ['exp', (x) => x.exp(), Math.exp], ['tanh', (x) => x.tanh(), Math.tanh], ['abs', (x) => x.abs(), Math.abs],
  ['sigmoid', (x) => x.sigmoid(), (v) => 1 / (1 + Math.exp(-v))], ['relu', (x) => x.relu(), (v) => Math.max(v, 0)],
  ['square', (x) => x.square(), (v) => v * v], ['neg', (x) => x.neg(), (v) => -v],
  ['log of |x|+0.1', (x) => x.abs().add(0.1).log(), (v) => Math.log(Math.abs(v) + 0.1)],
  ['rsqrt of |x|+0.1', (x) => x.abs().add(0.1).rsqrt(), (v) => 1 / Math.sqrt(Math.abs(v) + 0.1)],
  ['clamp(-0.5, 0.3)', (x) => x.clamp(-0.5, 0.3), (v) => Math.min(Math.max(v, -0.5), 0.3)],
  ['pow(3)', (x) => x.pow(3), (v) => v ** 3],
];

forEachBackend('elementwise ops equal Math on random shapes', async (device) => {
  await fc.assert(fc.asyncProperty(shapeArb(0, 3), fc.constantFrom(...UNARY_VALUES), seedArb, async (shape, [name, op, ref], seed) => {
    const x = noGrad(() => randomTensor(shape, seed, { requiresGrad: false }).to(workDType(device)).to(device));
    const xs = await valuesOf(x);
    assertAllClose(await valuesOf(op(x)), xs.map(ref), { ...tolFor(workDType(device)), what: name });
  }), { numRuns: 30 });
});

// ---- laws ----

/** a and b where b broadcasts to a (never swapped: the law expands b to a's shape). */
const expandablePairArb = shapeArb(0, 3).chain((shape) =>
  fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length }), fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }))
    .map(([a, drop, ones]) => [a, a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d))] as const));

const BROADCAST_OPS: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', (a, b) => a.add(b)], ['sub', (a, b) => a.sub(b)], ['mul', (a, b) => a.mul(b)], ['div', (a, b) => a.div(b)], ['maximum', (a, b) => maximum(a, b)],
];

forEachBackend('broadcasting equals explicit expand, forward and backward', async (device) => {
  await fc.assert(fc.asyncProperty(expandablePairArb, fc.constantFrom(...BROADCAST_OPS), seedArb, async ([sa, sb], [, op], seed) => {
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
  }), { numRuns: 30 });
});

// ---- PyTorch fixtures ----

fixtureTests('elementwise');

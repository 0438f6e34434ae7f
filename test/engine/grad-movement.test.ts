// Gradients of views and copies (reshape, permute, expand, slice, cat, gather, ...) equal central differences.
import fc from 'fast-check';
import { cat, stack, tensor, type Tensor } from '../../engine/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { checkGradients } from '../helpers/gradients.js';
import { randomTensor, seedArb, shapeArb } from '../helpers/random.js';

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

// matmul and F.linear, one family: gradients equal float64 central differences (every operand kind),
// matmul associates, and the values equal PyTorch's fixtures.
import fc from 'fast-check';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, type Tensor } from '../../engine/index.js';
import { forEachBackend, on, workDType } from '../helpers/backends.js';
import { assertAllClose, valuesOf } from '../helpers/allclose.js';
import { checkGradients, sampledGradcheck } from '../helpers/gradients.js';
import { fixtureTests } from '../helpers/reference.js';
import { randomTensor, seedArb, shapeArb } from '../helpers/random.js';

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
  if (workDType(device) === 'float64') sampledGradcheck((x, y) => x.matmul(y), [a, b], { samples: 12 });
  else await checkGradients(device, (x, y) => x.matmul(y), [a, b]);
});

forEachBackend('d F.linear equals central differences (with and without bias, batched input)', async (device) => {
  const arb = fc.record({ lead: shapeArb(1, 2), inF: dim, outF: dim, bias: fc.boolean() });
  await fc.assert(fc.asyncProperty(arb, seedArb, async ({ lead, inF, outF, bias }, seed) => {
    const inputs = [randomTensor([...lead, inF], seed), randomTensor([outF, inF], seed + 1)];
    if (bias) inputs.push(randomTensor([outF], seed + 2));
    await checkGradients(device, (x, w, b) => F.linear(x, w, b), inputs);
  }), RUNS);
});

// ---- laws ----

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
  }), { numRuns: 30 });
});

forEachBackend("F.linear's bias equals matmul then add bit for bit, threaded chunks and a bias view with an offset included", async (device) => {
  // rows up to 600 and 64 × 192 products cross the wasm job's chunking (MC rows a chunk) and its threading threshold;
  // 300 input features, its k blocking (the bias goes in with the last block only)
  const arb = fc.record({ rows: fc.constantFrom(1, 7, 64, 600), inF: fc.constantFrom(3, 64, 300), outF: fc.constantFrom(5, 64, 192), offset: fc.constantFrom(0, 3) });
  await fc.assert(fc.asyncProperty(arb, seedArb, async ({ rows, inF, outF, offset }, seed) => {
    const x = on(device, randomTensor([rows, inF], seed), false), w = on(device, randomTensor([outF, inF], seed + 1), false);
    // a narrowed bias, as Attention's q, k, v thirds of the qkv bias
    const b = on(device, randomTensor([outF + offset], seed + 2), false).narrow(0, offset, outF);
    const fused = await valuesOf(F.linear(x, w, b));
    const composed = await valuesOf(x.matmul(w.mT).add(b));
    assertAllClose(fused, composed, { rtol: 0, floor: 0, what: 'linear with bias vs matmul + add' });
  }), { numRuns: 12 });
});

forEachBackend("F.linear's residual equals matmul, bias add, then residual add bit for bit (tiles in place and ragged edges, threaded, views)", async (device) => {
  // rows 7 and 602 leave ragged row tiles (the residual added after the copy), 5 and 192 columns ragged and whole
  // column panels (added in the GEMM's store); 300 input features, the k blocking; a residual that is a view
  const arb = fc.record({ rows: fc.constantFrom(1, 7, 64, 602), inF: fc.constantFrom(3, 64, 300), outF: fc.constantFrom(5, 64, 192), bias: fc.boolean(), view: fc.boolean() });
  await fc.assert(fc.asyncProperty(arb, seedArb, async ({ rows, inF, outF, bias, view }, seed) => {
    const x = on(device, randomTensor([rows, inF], seed), false), w = on(device, randomTensor([outF, inF], seed + 1), false);
    const b = bias ? on(device, randomTensor([outF], seed + 2), false) : null;
    const r = view ? on(device, randomTensor([rows, outF + 2], seed + 3), false).narrow(1, 1, outF) : on(device, randomTensor([rows, outF], seed + 3), false);
    const fused = await valuesOf(F.linear(x, w, b, r));
    const product = x.matmul(w.mT);
    const composed = await valuesOf(r.add(b ? product.add(b) : product));
    assertAllClose(fused, composed, { rtol: 0, floor: 0, what: `linear with ${bias ? 'bias and ' : ''}residual${view ? ' (a view)' : ''} vs matmul + adds` });
  }), { numRuns: 16 });
});

forEachBackend('d F.linear with a residual equals central differences (the residual gets the upstream gradient)', async (device) => {
  const arb = fc.record({ lead: shapeArb(1, 2), inF: dim, outF: dim, bias: fc.boolean() });
  await fc.assert(fc.asyncProperty(arb, seedArb, async ({ lead, inF, outF, bias }, seed) => {
    const inputs = [randomTensor([...lead, inF], seed), randomTensor([outF, inF], seed + 1), randomTensor([...lead, outF], seed + 2)];
    if (bias) inputs.push(randomTensor([outF], seed + 3));
    await checkGradients(device, (x, w, r, b) => F.linear(x, w, b ?? null, r), inputs);
  }), RUNS);
});

test('F.linear refuses a residual whose shape is not the output\'s, or of another dtype, saying which', () => {
  const x = randomTensor([4, 3], 1), w = randomTensor([5, 3], 2);
  assert.throws(() => F.linear(x, w, null, randomTensor([4, 1], 3)), /residual must have the output's shape \[4, 5\].*got \[4, 1\]/);
  assert.throws(() => F.linear(x, w, null, randomTensor([5], 3)), /residual must have the output's shape/);
  const [x32, w32] = [x.to('float32'), w.to('float32')];
  assert.throws(() => F.linear(x32, w32, null, randomTensor([4, 5], 3).to('float64')), /input float32, weight float32, residual float64/);
});

// ---- PyTorch fixtures ----

fixtureTests('matmul');

// The piecewise fit (fitLearngene with segments K) inverts the piecewise expansion, K = 1 is the paper's
// line, and a segment holding one block keeps that block as its base with slope 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { expandLearngene, fitLearngene, BLOCK_TENSORS } from '../../tleg/index.js';
import { assertAllClose } from '../helpers/allclose.js';
import { randomGene, tinyConfig } from './helpers.js';

const f64 = (t: { toTypedArray(): ArrayLike<number> }): Float64Array => Float64Array.from(t.toTypedArray());

test('fitLearngene(expandLearngene(g, L), segments K) returns g with R² = 1 whenever every segment holds two blocks', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 }), (segments, perSegment) => {
    const depth = segments * perSegment; // block i = k·perSegment + j sits at offset j/depth in segment k
    const gene = randomGene(tinyConfig({ depth }), { dtype: 'float64', segments, seed: segments * 10 + perSegment });
    const { gene: fitted, fits, overall } = fitLearngene(expandLearngene(gene, depth), { config: { numHeads: 2 }, segments });
    assert.equal(fitted.segments, segments);
    for (const name of BLOCK_TENSORS) {
      assert.deepEqual(fitted.base[name].shape, gene.base[name].shape, name);
      assertAllClose(f64(fitted.base[name]), f64(gene.base[name]), { rtol: 1e-9, floorRel: 1e-9, what: `base ${name}` });
      assertAllClose(f64(fitted.slope[name]), f64(gene.slope[name]), { rtol: 1e-8, floorRel: 1e-8, what: `slope ${name}` });
      assert.ok(Math.abs(fits[name].r2 - 1) < 1e-12 && fits[name].relativeResidual < 1e-12, `${name}: ${JSON.stringify(fits[name])}`);
    }
    assert.ok(overall.r2 > 1 - 1e-12);
  }), { numRuns: 6 });
});

test('a segment holding a single block: slope 0 and that block as base, and its residual is 0', () => {
  // depth 4, K = 3: x = 0, .25 | .5 | .75 → segments 1 and 2 hold one block each
  const state = expandLearngene(randomGene(tinyConfig({ depth: 4 }), { dtype: 'float64', seed: 3 }), 4);
  const { gene } = fitLearngene(state, { config: { numHeads: 2 }, segments: 3 });
  for (const name of BLOCK_TENSORS) {
    assert.deepEqual(f64(gene.slope[name].select(0, 1)), new Float64Array(gene.slope[name].select(0, 1).size), `slope[1] ${name}`);
    assert.deepEqual(f64(gene.slope[name].select(0, 2)), new Float64Array(gene.slope[name].select(0, 2).size), `slope[2] ${name}`);
    assert.deepEqual(f64(gene.base[name].select(0, 1)), f64(state[`blocks.2.${name}`]), `base[1] ${name}`);
    assert.deepEqual(f64(gene.base[name].select(0, 2)), f64(state[`blocks.3.${name}`]), `base[2] ${name}`);
  }
  // and expanding the fit at the same depth gives the blocks back
  const again = expandLearngene(gene, 4);
  for (const name of BLOCK_TENSORS) {
    for (let i = 0; i < 4; i++) assertAllClose(f64(again[`blocks.${i}.${name}`]), f64(state[`blocks.${i}.${name}`]), { rtol: 1e-12, floorRel: 1e-12, what: `block ${i} ${name}` });
  }
});

test('segments outside 1..depth are refused, naming the depth', () => {
  const state = expandLearngene(randomGene(tinyConfig({ depth: 3 }), { seed: 4 }), 3);
  for (const segments of [0, 4, 1.5, -1]) {
    assert.throws(() => fitLearngene(state, { config: { numHeads: 2 }, segments }), /segments must be an integer from 1 to the depth 3 .*got/);
  }
});

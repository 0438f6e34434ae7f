// The primitive table: complete, and typed so that a missing rule, a backward with the wrong number of gradients
// or a kernel a backend claims but lacks fails `tsc` (the @ts-expect-error lines below fail the build if they
// stop being errors); a user op's gradient count is checked when backward runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apply, defineOp, tensor, type Tensor } from '../../engine/index.js';
import { PRIMITIVES, type Primitive, type Rule, type Rules } from '../../engine/ops/table.js';
import type { ClaimedKernels, Kernels } from '../../engine/backend/interface.js';
import { cpuKernels } from '../../engine/backend/cpu/index.js';

test('every row of the table has its rule, named as its row', () => {
  const names = Object.keys(PRIMITIVES) as Primitive[];
  assert.ok(names.length >= 40, `expected every primitive, got ${names.length}`);
  for (const p of names) assert.equal(PRIMITIVES[p].name, p, `rule ${p} is named ${PRIMITIVES[p].name}`);
});

test('every kernel of the interface is claimed by some primitive, and every claim is a cpu kernel', () => {
  const claimed = new Set(Object.values(PRIMITIVES).flatMap((r) => r.kernels));
  for (const k of Object.keys(cpuKernels)) assert.ok(claimed.has(k as keyof Kernels), `kernel ${k} is claimed by no primitive`);
  for (const k of claimed) assert.equal(typeof cpuKernels[k], 'function', `a primitive claims ${k}, which the cpu backend lacks`);
});

test('a user op whose backward returns too few gradients makes backward throw, naming the op', () => {
  const mulOp = defineOp({
    name: 'myMul',
    forward: ([a, b]) => a.mul(b),
    backward: (grad, { inputs: [, b] }) => [grad.mul(b)], // the gradient for b is missing
  });
  const a = tensor([1, 2], { requiresGrad: true }), b = tensor([3, 4], { requiresGrad: true });
  const y = apply(mulOp, [a, b], undefined).sum();
  assert.throws(() => y.backward(), /backward of myMul: returned 1 gradient\(s\) for 2 input\(s\)/);
});

test('a user op whose backward returns one gradient per input runs (null where none flows)', () => {
  const scaleOp = defineOp({
    name: 'scaleBy',
    forward: ([x, s]) => x.mul(s),
    backward: (grad, { inputs: [, s] }) => [grad.mul(s), null],
  });
  const x = tensor([1, 2], { requiresGrad: true }), s = tensor(3, { requiresGrad: true });
  apply(scaleOp, [x, s], undefined).sum().backward();
  assert.deepEqual([...x.grad!.toTypedArray()], [3, 3]);
  assert.equal(s.grad, null);
});

// ---- compile-time checks: each line after @ts-expect-error must fail tsc ------------------------------

const mulRule = PRIMITIVES.mul;

const wrongArity: Rule<'mul'> = {
  ...mulRule,
  // @ts-expect-error a binary primitive's backward must return two gradients, not one
  backward: (grad: Tensor) => [grad],
};

const tooMany: Rule<'exp'> = {
  ...PRIMITIVES.exp,
  // @ts-expect-error a unary primitive's backward must return one gradient, not two
  backward: (grad: Tensor) => [grad, null],
};

// @ts-expect-error a table of rules without one of its primitives ('mul')
const missingRule: Rules<'add' | 'mul'> = { add: PRIMITIVES.add };

// @ts-expect-error a backend that claims softmax but lacks it
const missingKernel: ClaimedKernels<'matmul' | 'softmax'> = { matmul: cpuKernels.matmul };

const unknownKernel: Rule<'neg'> = {
  ...PRIMITIVES.neg,
  // @ts-expect-error a kernel claim must name a kernel of its row ('neg' runs 'unary')
  kernels: ['matmul'],
};

const typedUserOp = defineOp({
  name: 'pair',
  forward: ([a, b]: readonly [Tensor, Tensor]) => a.add(b),
  // @ts-expect-error a user op with tuple-typed inputs gets the same check
  backward: (grad) => [grad],
});

test('the compile-time cases are values of the types they break (kept so tsc checks them)', () => {
  for (const v of [wrongArity, tooMany, missingRule, missingKernel, unknownKernel, typedUserOp]) assert.ok(v);
});

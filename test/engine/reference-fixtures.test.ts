// The PyTorch fixtures of test/reference/fixtures/engine are all present, and each belongs to an op family
// whose test file runs it (fixtureTests in elementwise, matmul, softmax, layernorm and losses).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { familyOf, FIXTURE_FILES } from '../helpers/reference.js';

test('every engine fixture belongs to an op family test file', () => {
  assert.ok(FIXTURE_FILES.length >= 58, `expected the engine fixtures, found ${FIXTURE_FILES.length}`);
  const orphans = FIXTURE_FILES.filter((f) => familyOf(f) === undefined);
  assert.deepEqual(orphans, [], `fixtures no family runs: ${orphans.join(', ')}`);
});

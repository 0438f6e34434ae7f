// The bench's timing: warm-up calls are never sampled, and a case whose first call is slow (it compiles) still
// gets its full warm-up before anything is timed, so a second call that is still warming is not sampled either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measure, type MeasureOptions } from '../../bench/measure.js';

const busy = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end) { /* spin */ } };
const OPTS: MeasureOptions = { minTime: 0.01, maxTime: 0.05, minSamples: 3, warmup: 3, slowCallS: 0.05, manualSamples: 2, singleCallS: 1, maxWarmupS: 10 };

test('measure gives a case with a slow first call (compiling) and a slow second one its full warm-up: neither is sampled', async () => {
  let calls = 0;
  const fn = () => { calls++; if (calls === 1) busy(120); else if (calls === 2) busy(70); else busy(1); };
  const stats = await measure(fn, false, OPTS);
  assert.equal(stats.how, 'benchmark.js', 'timed as the fast call it is once warm, not by hand');
  assert.ok(stats.maxS < 0.05, `a warm-up call was sampled: max ${stats.maxS.toFixed(3)} s`);
});

test('measure still times a call that stays slow by hand, and one past singleCallS once', async () => {
  let calls = 0;
  const slow = await measure(() => { calls++; busy(60); }, false, OPTS);
  assert.equal(slow.how, 'manual');
  assert.equal(slow.samples, OPTS.manualSamples);
  assert.equal(calls, OPTS.warmup + OPTS.manualSamples);
  calls = 0;
  const verySlow = await measure(() => { calls++; busy(60); }, false, { ...OPTS, singleCallS: 0.03 });
  assert.equal(verySlow.samples, 1);
  assert.equal(calls, 2, 'one warm-up call, then one timed');
});

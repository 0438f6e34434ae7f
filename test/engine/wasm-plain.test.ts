// With relaxed SIMD on (the default), the fused GEMM and exp are what every other test exercises; this runs
// the raw wasm kernel tests once more in a child process with TLEG_WASM_RELAXED=0, so the plain mul + add
// kernels (what a runtime without relaxed SIMD gets) stay tested too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { wasmAvailable } from '../../engine/backend/cpu/wasm/index.js';

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

test('the raw wasm kernel tests pass with relaxed SIMD turned off (TLEG_WASM_RELAXED=0)', { skip: !wasmAvailable() && 'no WebAssembly SIMD' }, () => {
  const files = ['wasm-kernels.test.js', 'wasm-rows-threads.test.js', 'wasm-heap.test.js', 'wasm-elementwise.test.js'].map(here);
  // without NODE_TEST_CONTEXT, which would make the child report to this runner instead of printing TAP
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--test', '--import', here('../setup.js'), ...files], {
    env: { ...env, TLEG_WASM_RELAXED: '0' }, encoding: 'utf8', timeout: 300_000,
  });
  const summary = (run.stdout ?? '').split('\n').filter((l) => /^# (tests|pass|fail)|^not ok/.test(l)).join('\n');
  assert.equal(run.status, 0, `child run failed:\n${summary}\n${(run.stderr ?? '').slice(-2000)}`);
  assert.match(summary, /# fail 0/);
  assert.doesNotMatch(summary, /# tests 0\b/);
});

// CI sets REQUIRE_GPUJS_MODES so that a machine where gpu.js cannot run a mode fails loudly instead of
// silently skipping that mode's tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableGpuModes, describeBackend, initGpujs } from '../../engine/index.js';

test('every gpu.js mode that CI requires is available', async () => {
  const required = (process.env.REQUIRE_GPUJS_MODES ?? '').split(',').filter(Boolean);
  const present = await availableGpuModes();
  for (const mode of required) assert.ok(present.includes(mode as never), `gpu.js mode '${mode}' is required but only [${present.join(', ')}] are available`);
});

test('describeBackend names the webgpu adapter (a real GPU, or llvmpipe on a machine without one)', async (t) => {
  if (!(await availableGpuModes()).includes('webgpu')) return t.skip('no webgpu adapter here');
  await initGpujs({ mode: 'webgpu' });
  const text = describeBackend('gpujs');
  assert.match(text, /^gpu\.js webgpu on \S/);
  assert.doesNotMatch(text, /unnamed adapter/, `the adapter reported no vendor, architecture or device: ${text}`);
});

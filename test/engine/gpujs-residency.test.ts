// On gpu.js webgpu a tensor's data stays in a device buffer between kernels: a ViT training step (forward,
// cross-entropy, backward, AdamW) reads nothing back to the host until the loss is read, runs every kernel
// on the device (no cpu fallback), launches the same number of kernels each step, and equals the step on cpu.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { availableGpuModes, cat, F, gpujsStats, initGpujs, manualSeed, rand, randint, runGpujsKernel, scope, sync, type DeviceName, type GpujsKernel, type Tensor } from '../../engine/index.js';
import { AdamW } from '../../model/optim/index.js';
import { VisionTransformer } from '../../model/vit.js';
import { gpuKernelCompileCount } from '../../engine/backend/gpujs/index.js';
import { gpujsBackendInUse } from '../../engine/backends.js';
import { assertAllClose } from '../helpers/allclose.js';

const hasWebGpu = (await availableGpuModes()).includes('webgpu');
const skip = hasWebGpu ? false : 'gpu.js webgpu mode is not available here (device residency is a webgpu feature)';

interface Run {
  model: VisionTransformer;
  optimizer: AdamW;
  x: Tensor;
  labels: Tensor;
}

function setup(device: DeviceName): Run {
  manualSeed(14);
  const model = new VisionTransformer({
    imgSize: 8, inChans: 3, patchSize: 4, embedDim: 16, depth: 2, numHeads: 2, mlpRatio: 2, qkvBias: true,
    numClasses: 5, pool: 'cls', dropPathRate: 0, dropRate: 0,
  });
  const x = rand([4, 3, 8, 8]);
  const labels = randint(0, 5, [4]);
  if (device !== 'cpu') model.to(device);
  model.train();
  // eps well above float32 rounding: some true gradients are exactly 0 (attention's key bias), and Adam with a tiny
  // eps turns their rounding noise (~1e-9, different on each backend) into full-size steps of either sign
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.05, eps: 1e-3 });
  return { model, optimizer, x: x.to(device), labels: labels.to(device) };
}

/** One step; returns the loss (kept), everything else freed by the scope. */
function step(r: Run): Tensor {
  return scope(() => {
    r.optimizer.zeroGrad();
    const loss = F.crossEntropy(r.model.forward(r.x), r.labels);
    loss.backward();
    r.optimizer.step();
    return loss;
  });
}

test('a ViT training step on gpujs webgpu reads nothing back before the loss, falls back to the cpu nowhere, and equals cpu', { skip }, async (t: TestContext) => {
  await initGpujs({ mode: 'webgpu' });
  const stats = gpujsStats()!;
  const cpu = setup('cpu');
  const gpu = setup('gpujs');
  await sync(); // parameters and inputs written; start counting from here

  const kernelsPerStep: number[] = [];
  const compiled: number[] = [];
  const resident: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = { ...stats, fallbacks: { ...stats.fallbacks } };
    const cpuLoss = step(cpu);
    const gpuLoss = step(gpu);
    // the whole step is issued; nothing has come back to the host yet
    assert.equal(stats.hostReads - before.hostReads, 0, `step ${i}: host reads before the loss read`);
    const loss = await gpuLoss.data();
    assert.deepEqual(stats.fallbacks, before.fallbacks, `step ${i}: kernels that fell back to the cpu`);
    assert.equal(stats.hostReads - before.hostReads, 1, `step ${i}: the loss read is the step's one host read`);
    kernelsPerStep.push(stats.kernels - before.kernels);
    compiled.push(gpuKernelCompileCount());
    resident.push(gpujsBackendInUse()!.residency!.size);
    assertAllClose(loss, cpuLoss.toTypedArray(), { rtol: 1e-4, floor: 1e-5, what: `step ${i} loss` });
    cpuLoss.dispose();
    gpuLoss.dispose();
  }
  t.diagnostic(`kernels per step: ${kernelsPerStep.join(', ')}; uploads in all: ${stats.uploads}`);
  assert.ok(kernelsPerStep[0] > 0, 'the step runs gpu.js kernels');
  assert.equal(kernelsPerStep[2], kernelsPerStep[1], 'every step after the first launches the same kernels');
  // the first step sees parameters as host arrays and later steps as device buffers (two kernel variants)
  assert.equal(compiled[2], compiled[1], 'kernels are compiled once per shape and argument kind, then reused');
  assert.equal(resident[2], resident[1], 'device buffers held after a step (parameters, gradients, AdamW state) do not grow');

  await sync(); // reads every parameter and gradient back
  const cpuParams = cpu.model.parameters(), gpuParams = gpu.model.parameters();
  gpuParams.forEach((p, i) => {
    const want = cpuParams[i].grad!.toTypedArray();
    const scale = Math.max(...Array.from(want, Math.abs));
    assertAllClose(p.grad!.toTypedArray(), want, { rtol: 1e-4, floor: scale, what: `gradient of parameter ${i} in step 3` });
    assertAllClose(p.toTypedArray(), cpuParams[i].toTypedArray(), { rtol: 1e-3, floor: 1e-4, what: `parameter ${i} after 3 steps` });
  });
});

test('a tensor computed on the device says how to read it, and reads after `await t.data()` or `await sync()`', { skip }, async () => {
  await initGpujs({ mode: 'webgpu' });
  const a = rand([3, 5]).to('gpujs');
  const b = a.mul(2).add(1).transpose(0, 1);
  await b.storage.device.syncFor(new Float32Array(0)); // the queue is done, the values are still on the device
  assert.throws(() => b.toTypedArray(), /values are on the device; use `await t.data\(\)`/);
  const values = await b.data();
  const av = a.toTypedArray();
  for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) assert.equal(values[j * 3 + i], Math.fround(Math.fround(av[i * 5 + j] * 2) + 1));
  const c = b.sum();
  await sync();
  assert.ok(Math.abs(c.item() - Array.from(values).reduce((s, v) => s + v, 0)) < 1e-4);
});

test('a user gpu.js kernel reads a tensor whose values are still on the device', { skip }, async () => {
  await initGpujs({ mode: 'webgpu' });
  const doubled: GpujsKernel = { name: 'residency-double', body: function (x) { return 2 * x[this.thread.x]; } };
  const a = rand([7]);
  const onDevice = a.to('gpujs').add(1); // computed by a device kernel: resident, its host array stale
  const got = await runGpujsKernel(doubled, [onDevice], [7]).data();
  const av = a.toTypedArray();
  for (let i = 0; i < 7; i++) assert.equal(got[i], 2 * Math.fround(av[i] + 1));
});

test('device kernels over deep layouts equal cpu: a rank-5 permute, a reduction over scattered axes, a write into a slice', { skip }, async () => {
  await initGpujs({ mode: 'webgpu' });
  const x = rand([2, 3, 4, 5, 6]);
  const g = x.to('gpujs');
  const before = { ...gpujsStats()!.fallbacks };
  const cases: [string, (t: Tensor) => Tensor][] = [
    ['permute(4, 2, 0, 3, 1).contiguous()', (t) => t.permute(4, 2, 0, 3, 1).contiguous()],
    ['sum over axes 0, 2, 4', (t) => t.sum([0, 2, 4])],
    ['max over axes 1, 3', (t) => t.max([1, 3])],
    ['cat along axis 3 of a narrowed view', (t) => cat([t.narrow(3, 1, 2), t.mul(2)], 3)],
    ['exp of a transposed view, broadcast against a row', (t) => t.transpose(1, 4).exp().add(t.select(1, 0).narrow(3, 0, 1).unsqueeze(1))],
  ];
  for (const [what, f] of cases) {
    const want = f(x).toTypedArray();
    const got = await f(g).data();
    assertAllClose(got, want, { rtol: 1e-5, floor: 1e-6, what });
  }
  assert.deepEqual(gpujsStats()!.fallbacks, before, 'none of these fell back to the cpu');
});

// A whole training step on the gpujs device (forward, backward, SGD update) is issued without awaiting
// and realised by one `await sync()`; the parameters then equal the same step on cpu.
import { test } from 'node:test';
import { F, Generator, noGrad, randn, sync, tensor, type DeviceName, type Tensor } from '../../engine/index.js';
import { forEachGpujsVariant } from '../helpers/backends.js';
import { assertAllClose } from '../helpers/allclose.js';

function step(params: Tensor[], x: Tensor, labels: Tensor): Tensor {
  const [w1, b1, w2, b2] = params;
  const loss = F.crossEntropy(F.linear(F.linear(x, w1, b1).gelu(), w2, b2), labels);
  loss.backward();
  noGrad(() => { for (const p of params) { p.sub_(p.grad!, 0.1); p.grad = null; } });
  return loss;
}

function init(device: DeviceName): { params: Tensor[]; x: Tensor; labels: Tensor } {
  const g = new Generator(3);
  const on = (t: Tensor) => (device === 'cpu' ? t : t.to(device));
  const params = [randn([32, 20], { generator: g, std: 0.2 }), randn([32], { generator: g }), randn([5, 32], { generator: g, std: 0.2 }), randn([5], { generator: g })]
    .map((p) => on(p).requiresGrad_());
  return { params, x: on(randn([16, 20], { generator: g })), labels: on(tensor(Int32Array.from({ length: 16 }, (_, i) => i % 5), { dtype: 'int32' })) };
}

forEachGpujsVariant('three training steps need one await on gpujs and equal cpu', async () => {
  const cpu = init('cpu');
  const gpu = init('gpujs');
  for (let i = 0; i < 3; i++) {
    step(cpu.params, cpu.x, cpu.labels);
    step(gpu.params, gpu.x, gpu.labels);
  }
  await sync(); // the one await
  for (let i = 0; i < 4; i++) {
    assertAllClose(gpu.params[i].toTypedArray(), cpu.params[i].toTypedArray(), { rtol: 1e-4, floor: 1e-4, what: `param ${i}` });
  }
});

// Memory stays flat over a long training loop when each step runs inside scope() and parameters are
// updated in place under noGrad: tensor and storage counts after step 10 equal those after step 1000.
// (Its own file: no other test's unreferenced tensors can be collected, and counted down, mid-loop.)
import assert from 'node:assert/strict';
import { F, Generator, memory, noGrad, randn, scope, type DeviceName, type MemoryStats, type Tensor } from '../../engine/index.js';
import { forEachBackend } from '../helpers/backends.js';

forEachBackend('memory() counts stay flat over 1,000 scoped forward + backward + SGD steps of a 2-layer MLP', async (device) => {
  const gen = new Generator(3);
  const init = (shape: number[]) => randn(shape, { generator: gen, std: 0.3, device, requiresGrad: true });
  const params: Tensor[] = [init([16, 8]), init([16]), init([4, 16]), init([4])];
  const x = randn([4, 8], { generator: gen, device });
  const y = randn([4, 4], { generator: gen, device });
  const stats = (): MemoryStats => ({ ...memory()[device as DeviceName]! });

  const step = (): Tensor => scope(() => {
    const [w1, b1, w2, b2] = params;
    const loss = F.mseLoss(F.linear(F.linear(x, w1, b1).relu(), w2, b2), y);
    loss.backward();
    noGrad(() => {
      for (const p of params) {
        p.sub_(p.grad!, 0.05);
        p.grad = null;
      }
    });
    return loss;
  });

  let first = Infinity, last = Infinity;
  let at10: MemoryStats | undefined;
  for (let i = 1; i <= 1000; i++) {
    const loss = step();
    const value = (await loss.data())[0];
    loss.dispose();
    if (i === 1) first = value;
    if (i === 10) at10 = stats();
    last = value;
  }
  const at1000 = stats();
  assert.deepEqual(at1000, at10, `memory after step 1000 ${JSON.stringify(at1000)} differs from after step 10 ${JSON.stringify(at10)}`);
  assert.ok(last < first, `the loop trains (loss ${first} → ${last}), so the steps did real work`);
});

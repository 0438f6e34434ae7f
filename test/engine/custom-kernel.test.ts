// A user op with its own gpu.js kernel: on the gpujs device the forward runs the kernel, elsewhere the
// composed tensor ops; both give the same values, and the backward (tensor ops) reaches the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, defineOp, randn, runGpujsKernel, type GpujsKernel, type Tensor } from '../../engine/index.js';
import { forEachGpujsVariant } from '../helpers/backends.js';
import { assertAllClose, valuesOf } from '../helpers/allclose.js';

// swish(x) = x·σ(x);  d swish = σ(x)·(1 + x·(1 − σ(x)))
const swishKernel: GpujsKernel = {
  name: 'swish',
  body: function (x) {
    const v = x[this.thread.x];
    return v / (1 + Math.exp(-v));
  },
};

const swishOp = defineOp({
  name: 'swish',
  forward: ([x]) => (x.device === 'gpujs' ? runGpujsKernel(swishKernel, [x], x.shape) : x.mul(x.sigmoid())),
  backward: (grad, { inputs: [x] }) => {
    const s = x.sigmoid();
    return [grad.mul(s.mul(x.mul(s.neg().add(1)).add(1)))];
  },
});
const swish = (x: Tensor): Tensor => apply(swishOp, [x], undefined);

forEachGpujsVariant('a user op\'s gpu.js kernel equals its cpu composition, forward and backward', async () => {
  const x = randn([37, 29]);
  const xg = x.detach().to('gpujs').requiresGrad_();
  const xc = x.detach().requiresGrad_();
  const yg = swish(xg), yc = swish(xc);
  assertAllClose(await valuesOf(yg), await valuesOf(yc), { rtol: 1e-5, floor: 1e-6, what: 'swish forward' });
  const g = randn([37, 29]);
  yg.backward(g.to('gpujs'));
  yc.backward(g);
  assertAllClose(await valuesOf(xg.grad!), await valuesOf(xc.grad!), { rtol: 1e-5, floor: 1e-6, what: 'swish backward' });
});

test('runGpujsKernel names the kernel and the problem for a cpu input', () => {
  assert.throws(() => runGpujsKernel(swishKernel, [randn([3])], [3]), /runGpujsKernel\(swish\)/);
});

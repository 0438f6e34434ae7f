// Gradient checks: the engine's gradcheck (float64 central differences on cpu), a sampled variant for
// large inputs, and the cross-backend form (a float32 run's analytic gradient against cpu float64).
import assert from 'node:assert/strict';
import { Generator, gradcheck, noGrad, tensor, type DeviceName, type Tensor } from '../../engine/index.js';
import { assertAllClose, valuesOf } from './allclose.js';
import { workDType } from './backends.js';

export type Fn = (...inputs: Tensor[]) => Tensor;

/**
 * Where the running variant computes in float64 (cpu:float64): gradcheck (float64 central differences).
 * Elsewhere (float32 on cpu's wasm and reference kernels, on gpujs): the forward value and the gradients
 * of ⟨v, fn⟩, computed there in float32, equal cpu float64 (whose gradients the float64 run checks).
 * A gradient present on one side and null on the other fails.
 */
export async function checkGradients(device: DeviceName, fn: Fn, inputs: Tensor[], options: { atol?: number; rtol?: number } = {}): Promise<void> {
  if (workDType(device) === 'float64') {
    gradcheck(fn, inputs, { atol: options.atol ?? 1e-5, rtol: options.rtol ?? 1e-3 });
    return;
  }
  const ref = await forwardBackward(fn, inputs);
  const moved = inputs.map((x) => {
    const t = noGrad(() => x.float().to(device));
    return x.requiresGrad ? t.requiresGrad_(true) : t;
  });
  const got = await forwardBackward(fn, moved, ref.v);
  // float32 against float64: 1e-3 relative, absolute below 1e-2 + 1e-3·max (sums that cancel to ~0)
  const tol = { rtol: 1e-3, floor: 1e-2, floorRel: 1e-3 };
  assertAllClose(got.y, ref.y, { ...tol, what: `forward on ${device}` });
  got.grads.forEach((g, i) => {
    const want = ref.grads[i];
    if (g === null || want === null) {
      assert.equal(g === null, want === null, `gradient of input ${i} on ${device}: ${g === null ? 'null' : 'present'}, but ${want === null ? 'null' : 'present'} on cpu float64`);
      return;
    }
    assertAllClose(g, want, { ...tol, what: `gradient of input ${i} on ${device}` });
  });
}

async function forwardBackward(fn: Fn, inputs: Tensor[], v?: Float64Array): Promise<{ y: Float64Array; v: Float64Array; grads: (Float64Array | null)[] }> {
  const leaves = inputs.map((x) => (x.requiresGrad ? x.detach().requiresGrad_(true) : x));
  const y = fn(...leaves);
  const gen = new Generator(99);
  const proj = v ?? Float64Array.from({ length: y.size }, () => gen.normal());
  const seed = noGrad(() => tensor(y.dtype === 'float64' ? proj : Float32Array.from(proj), { shape: y.shape, dtype: y.dtype, device: y.device }));
  y.backward(seed);
  const grads: (Float64Array | null)[] = [];
  for (const x of leaves) grads.push(x.requiresGrad && x.grad ? await valuesOf(x.grad) : null);
  return { y: await valuesOf(y), v: proj, grads };
}

/**
 * Central differences at `samples` random elements of each input (for inputs too large to check every
 * element: a full check costs two evaluations per element).
 */
export function sampledGradcheck(fn: Fn, inputs: Tensor[], options: { samples?: number; seed?: number; eps?: number; atol?: number; rtol?: number } = {}): void {
  const eps = options.eps ?? 1e-6, atol = options.atol ?? 1e-5, rtol = options.rtol ?? 1e-3;
  const gen = new Generator(options.seed ?? 7);
  const y0 = noGrad(() => fn(...inputs));
  const v = Float64Array.from({ length: y0.size }, () => gen.normal());
  const objective = (): number => noGrad(() => {
    const y = fn(...inputs).toTypedArray();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * v[i];
    return s;
  });
  const leaves = inputs.map((x) => (x.requiresGrad ? x.detach().requiresGrad_(true) : x));
  fn(...leaves).backward(tensor(v, { shape: y0.shape, dtype: 'float64' }));
  inputs.forEach((x, i) => {
    if (!x.requiresGrad) return;
    assert.ok(x.isContiguous() && x.dtype === 'float64', 'sampledGradcheck: inputs must be contiguous float64');
    const analytic = leaves[i].grad!.toTypedArray();
    const data = x.data_;
    for (let s = 0; s < (options.samples ?? 24); s++) {
      const k = gen.int(x.size);
      const orig = data[x.offset + k];
      data[x.offset + k] = orig + eps;
      const fp = objective();
      data[x.offset + k] = orig - eps;
      const fm = objective();
      data[x.offset + k] = orig;
      const numeric = (fp - fm) / (2 * eps);
      const err = Math.abs(numeric - analytic[k]);
      if (!(err <= atol + rtol * Math.abs(numeric))) {
        assert.fail(`sampledGradcheck: input ${i} ${JSON.stringify(x.shape)}, element ${k}: analytic ${analytic[k]} vs numeric ${numeric}`);
      }
    }
  });
}

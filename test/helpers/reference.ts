// Forward values and gradients equal PyTorch's, read from test/reference/fixtures/engine/*.json; each op
// family's test file registers its own fixtures with fixtureTests(family).
// Tolerances (never loosened to make a case pass; a mismatch is an engine bug until shown otherwise):
//   float64: |a − b| ≤ 1e-10 · max(|b|, 1e-30)
//   float32: |a − b| ≤ 1e-5 · max(|b|, 1e-2 · max|ref|), i.e. 1e-5 relative with an absolute floor of
//            1e-7 · max|ref|, one float32 rounding (2⁻²³) at the scale of the tensor's largest element:
//            an element that cancels to near 0 keeps the rounding error of its large terms, in PyTorch's
//            float32 as in ours. An element outside that bound passes only if it is, by the same rule,
//            equal to PyTorch's float64 answer for the case (the _f64 fixture): PyTorch's float32 is then
//            the one that rounded, not us. Example: gelu_tanh_f32 at x = −4.44, torch's float32 gives
//            y = −7.1484e-6 where float64 of the same input gives −7.1347e-6 (ours: −7.1347e-6).
import assert from 'node:assert/strict';
import { F, type DeviceName, type Reduction, type Tensor } from '../../engine/index.js';

/** The fixture name prefixes of each op family (the test file that runs them). */
export const FIXTURE_FAMILIES = {
  elementwise: ['gelu'],
  matmul: ['matmul'],
  softmax: ['softmax', 'log_softmax'],
  layernorm: ['layer_norm'],
  losses: ['cross_entropy', 'kl_div'],
} as const;

export type FixtureFamily = keyof typeof FIXTURE_FAMILIES;

/** The family a fixture file belongs to (the longest matching prefix: log_softmax before softmax), or undefined. */
export function familyOf(file: string): FixtureFamily | undefined {
  let best: FixtureFamily | undefined, length = 0;
  for (const [family, prefixes] of Object.entries(FIXTURE_FAMILIES) as [FixtureFamily, readonly string[]][]) {
    for (const p of prefixes) if (file.startsWith(p) && p.length > length) { best = family; length = p.length; }
  }
  return best;
}
import { activeVariant, forEachBackend } from './backends.js';
import { assertAllClose, valuesOf } from './allclose.js';
import { fixtureTensor, listFixtures, loadFixture, type Fixture } from './fixtures.js';

type Inputs = Record<string, Tensor>;

/** How each fixture family runs in the engine, from its attrs. */
function forwardFor(name: string, attrs: Fixture['attrs']): (x: Inputs) => Tensor {
  if (name.startsWith('matmul')) return (x) => x.a.matmul(x.b);
  if (name.startsWith('log_softmax')) return (x) => x.x.logSoftmax(attrs.dim as number);
  if (name.startsWith('softmax')) return (x) => x.x.softmax(attrs.dim as number);
  if (name.startsWith('layer_norm')) return (x) => F.layerNorm(x.x, attrs.normalized_shape as number[], x.weight, x.bias, attrs.eps as number);
  if (name.startsWith('gelu')) return (x) => x.x.gelu(attrs.approximate as 'none' | 'tanh');
  if (name.startsWith('cross_entropy')) {
    return (x) => F.crossEntropy(x.input, x.target, { labelSmoothing: attrs.label_smoothing as number, reduction: attrs.reduction as Reduction });
  }
  if (name.startsWith('kl_div')) {
    return (x) => F.klDiv(x.input, x.target, { reduction: attrs.reduction as Reduction | 'batchmean', logTarget: attrs.log_target as boolean });
  }
  throw new Error(`reference test: no engine mapping for fixture ${name}`);
}

export const FIXTURE_FILES = listFixtures('engine');

/** 1e-5 · max(|b|, 1e-2 · max|ref|) */
function f32Bound(expected: ArrayLike<number>): (b: number) => number {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(expected[i]));
  return (b) => 1e-5 * Math.max(Math.abs(b), 1e-2 * max);
}

/** The float32 rule above: close to PyTorch's float32 answer, or else to its float64 one. */
function assertCloseF32(actual: ArrayLike<number>, ref32: ArrayLike<number>, ref64: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, ref32.length, `${what}: length`);
  const bound32 = f32Bound(ref32), bound64 = f32Bound(ref64);
  for (let i = 0; i < ref32.length; i++) {
    const a = actual[i];
    if (Math.abs(a - ref32[i]) <= bound32(ref32[i]) || Math.abs(a - ref64[i]) <= bound64(ref64[i])) continue;
    assert.fail(`${what}: element ${i} is ${a}, PyTorch float32 gives ${ref32[i]} (|diff| ${Math.abs(a - ref32[i]).toExponential(3)} > ${bound32(ref32[i]).toExponential(3)}), float64 gives ${ref64[i]}`);
  }
}

async function runFixture(file: string, device: DeviceName): Promise<void> {
  const fx = loadFixture('engine', file);
  const fx64 = fx.dtype === 'float32' ? loadFixture('engine', file.replace(/_f32$/, '_f64')) : fx;
  const check = (actual: Float64Array, key: 'y' | string, isGrad: boolean, what: string): void => {
    const ref32 = isGrad ? fx.grads[key].data : fx.outputs[key].data;
    if (fx.dtype === 'float64') return assertAllClose(actual, ref32, { rtol: 1e-10, floor: 1e-30, what });
    assertCloseF32(actual, ref32, isGrad ? fx64.grads[key].data : fx64.outputs[key].data, what);
  };
  const gradNames = Object.keys(fx.grads);
  const inputs: Inputs = {};
  for (const [k, v] of Object.entries(fx.inputs)) {
    if (k === 'grad_out') continue;
    inputs[k] = fixtureTensor(v, fx.dtype, device);
    if (gradNames.includes(k)) inputs[k].requiresGrad_(true);
  }
  const y = forwardFor(fx.name, fx.attrs)(inputs);
  const want = fx.outputs.y;
  assert.deepEqual(y.shape, want.shape, `${file}: output shape`);
  check(await valuesOf(y), 'y', false, `${file} [${device}] y`);
  y.backward(fixtureTensor(fx.inputs.grad_out, fx.dtype, device));
  for (const k of gradNames) {
    const g = inputs[k].grad;
    assert.ok(g, `${file}: no gradient reached ${k}`);
    assert.deepEqual(g.shape, fx.grads[k].shape, `${file}: shape of grad ${k}`);
    check(await valuesOf(g), k, true, `${file} [${device}] grad ${k}`);
  }
}

/**
 * Registers every fixture of `family`, once per backend variant. A fixture fixes its dtype, so it runs on
 * the variants that compute in that dtype (float64: cpu:float64; float32: cpu, cpu:reference, gpujs) and
 * is reported skipped on the others.
 */
export function fixtureTests(family: FixtureFamily): void {
  const files = FIXTURE_FILES.filter((f) => familyOf(f) === family);
  assert.ok(files.length > 0, `no engine fixtures for the ${family} family`);
  for (const file of files) {
    const dtype = file.endsWith('_f64') ? 'float64' : 'float32';
    forEachBackend(`${file}: forward and gradients equal PyTorch`, async (device, t) => {
      const variant = activeVariant();
      if (variant.dtype !== dtype) return t.skip(`a ${dtype} fixture; ${variant.label} computes in ${variant.dtype}`);
      await runFixture(file, device);
    });
  }
}

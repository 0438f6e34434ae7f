// The backends a test body runs on: cpu with its WebAssembly kernels (float32: the only dtype they
// serve), cpu with the plain TypeScript reference kernels (float32), cpu in float64 (where gradcheck's
// central differences run), and the gpujs device in every gpu.js mode present (webgpu through llvmpipe,
// webasm, cpu). One test is registered per backend; the body receives the device to put its tensors on
// and the test context (for `t.skip('why')` when a case cannot run there).
import { test, type TestContext } from 'node:test';
import { availableGpuModes, initGpujs, noGrad, type DeviceName, type GpuMode, type Tensor } from '../../engine/index.js';
import { cpuKernelsInUse, setCpuKernels } from '../../engine/backend/cpu/fast.js';

export interface BackendVariant {
  label: string;
  device: DeviceName;
  /** The floating-point dtype the body computes in on this variant. */
  dtype: 'float32' | 'float64';
  /** Makes this variant current (switches cpu kernels or the gpujs mode). */
  activate(): Promise<void>;
}

// TLEG_TEST_GPUJS=0 skips the gpujs modes (for quick local runs); CI runs them all.
const gpuModes: GpuMode[] = process.env.TLEG_TEST_GPUJS === '0' ? [] : await availableGpuModes();

const VARIANTS: BackendVariant[] = [
  { label: 'cpu', device: 'cpu', dtype: 'float32', activate: async () => setCpuKernels('wasm') },
  { label: 'cpu:reference', device: 'cpu', dtype: 'float32', activate: async () => setCpuKernels('reference') },
  // float64 never reaches the wasm kernels: one float64 variant covers the TypeScript kernels in float64
  { label: 'cpu:float64', device: 'cpu', dtype: 'float64', activate: async () => setCpuKernels('wasm') },
  ...gpuModes.map((mode): BackendVariant => ({
    label: `gpujs:${mode}`,
    device: 'gpujs',
    dtype: 'float32',
    activate: async () => {
      setCpuKernels('wasm');
      await initGpujs({ mode });
    },
  })),
];

/** The variant whose test is running (forEachBackend sets it). */
let active: BackendVariant = VARIANTS[0];

/** The devices present: 'cpu', plus 'gpujs' when gpu.js can run here. */
export function backendsPresent(): DeviceName[] {
  return gpuModes.length > 0 ? ['cpu', 'gpujs'] : ['cpu'];
}

export function backendVariants(): readonly BackendVariant[] {
  return VARIANTS;
}

/** The variant running now: the body of a forEachBackend test runs on it. */
export function activeVariant(): BackendVariant {
  return active;
}

/**
 * The dtype a body computes in on `device`: the running variant's dtype on its own device (float32 on
 * cpu and cpu:reference, float64 on cpu:float64, float32 on gpujs); elsewhere float64 on cpu, float32 on gpujs.
 */
export function workDType(device: DeviceName): 'float32' | 'float64' {
  if (device === active.device) return active.dtype;
  return device === 'cpu' ? 'float64' : 'float32';
}

/** Registers `name [variant]` once per backend variant, running the same body on each. */
export function forEachBackend(name: string, body: (device: DeviceName, t: TestContext) => void | Promise<void>): void {
  for (const v of VARIANTS) {
    test(`${name} [${v.label}]`, async (t) => {
      await v.activate();
      // without WebAssembly SIMD the cpu kernels fall back to the reference ones: nothing of this variant's own runs
      if (v.label === 'cpu' && cpuKernelsInUse() !== 'wasm') return t.skip('WebAssembly SIMD is not available: the wasm kernels cannot run here');
      active = v;
      try {
        await body(v.device, t);
      } finally {
        active = VARIANTS[0];
        setCpuKernels('wasm');
      }
    });
  }
}

/** A float64 cpu tensor moved to `device` in the running variant's dtype, as a fresh leaf. */
export function on(device: DeviceName, t: Tensor, requiresGrad = false): Tensor {
  const moved = noGrad(() => t.detach().to(workDType(device)).to(device));
  return requiresGrad ? moved.requiresGrad_(true) : moved;
}

/**
 * Registers `name [gpujs:mode]` once per gpu.js mode present; where none is, one test `name [gpujs]`
 * reported skipped (not silently absent).
 */
export function forEachGpujsVariant(name: string, body: (v: BackendVariant) => Promise<void>): void {
  const gpujs = VARIANTS.filter((v) => v.device === 'gpujs');
  if (gpujs.length === 0) {
    const why = process.env.TLEG_TEST_GPUJS === '0' ? 'TLEG_TEST_GPUJS=0' : 'no gpu.js mode can run here';
    test(`${name} [gpujs]`, { skip: why }, () => {});
    return;
  }
  for (const v of gpujs) {
    test(`${name} [${v.label}]`, async () => {
      await v.activate();
      active = v;
      try {
        await body(v);
      } finally {
        active = VARIANTS[0];
        setCpuKernels('wasm');
      }
    });
  }
}

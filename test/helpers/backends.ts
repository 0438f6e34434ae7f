// The backends a test body runs on: cpu with its WebAssembly kernels, cpu with the plain TypeScript
// reference kernels, and the gpujs device in every gpu.js mode present (webgpu through llvmpipe, webasm,
// cpu). One test is registered per backend; the body receives the device to put its tensors on.
import { test } from 'node:test';
import { availableGpuModes, initGpujs, type DeviceName, type GpuMode } from '../../engine/index.js';
import { setCpuKernels } from '../../engine/backend/cpu/fast.js';

export interface BackendVariant {
  label: string;
  device: DeviceName;
  /** Makes this variant current (switches cpu kernels or the gpujs mode). */
  activate(): Promise<void>;
}

// TLEG_TEST_GPUJS=0 skips the gpujs modes (for quick local runs); CI runs them all.
const gpuModes: GpuMode[] = process.env.TLEG_TEST_GPUJS === '0' ? [] : await availableGpuModes();

const VARIANTS: BackendVariant[] = [
  { label: 'cpu', device: 'cpu', activate: async () => setCpuKernels('wasm') },
  { label: 'cpu:reference', device: 'cpu', activate: async () => setCpuKernels('reference') },
  ...gpuModes.map((mode): BackendVariant => ({
    label: `gpujs:${mode}`,
    device: 'gpujs',
    activate: async () => {
      setCpuKernels('wasm');
      await initGpujs({ mode });
    },
  })),
];

/** The devices present: 'cpu', plus 'gpujs' when gpu.js can run here. */
export function backendsPresent(): DeviceName[] {
  return gpuModes.length > 0 ? ['cpu', 'gpujs'] : ['cpu'];
}

export function backendVariants(): readonly BackendVariant[] {
  return VARIANTS;
}

/** Dtype a backend computes in for the cross-backend checks: cpu is checked in float64, the others in float32. */
export function workDType(device: DeviceName): 'float32' | 'float64' {
  return device === 'cpu' ? 'float64' : 'float32';
}

/** Registers `name [variant]` once per backend variant, running the same body on each. */
export function forEachBackend(name: string, body: (device: DeviceName) => void | Promise<void>): void {
  for (const v of VARIANTS) {
    test(`${name} [${v.label}]`, async () => {
      await v.activate();
      try {
        await body(v.device);
      } finally {
        setCpuKernels('wasm');
      }
    });
  }
}

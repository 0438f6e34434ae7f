// Choosing backends: per process (setBackend) and per tensor (t.to('gpujs')).
import { getDevice, registerDevice, setDefaultDevice, type DeviceName } from './device.js';
import type { GpujsBackend, GpuMode } from './backend/gpujs/index.js';

export interface GpujsOptions {
  /** 'webgpu' when an adapter answers, else 'webasm'; 'cpu' is gpu.js's JavaScript reference mode. */
  mode?: GpuMode;
}

/** The gpujs backend the 'gpujs' device runs now (null until initGpujs). */
let active: GpujsBackend | null = null;
/** One backend per mode, kept when switching so compiled kernels survive (tests run every mode). */
const gpujsBackends = new Map<GpuMode, GpujsBackend>();

/** Creates the gpujs device, or switches it to another mode. */
export async function initGpujs(options: GpujsOptions = {}): Promise<GpuMode> {
  // gpu.js loads only when asked for, so cpu-only users never pay for it
  const { createGpujsBackend, availableGpuModes: modes } = await import('./backend/gpujs/index.js');
  const mode = options.mode ?? ((await modes()).includes('webgpu') ? 'webgpu' : 'webasm');
  let backend = gpujsBackends.get(mode);
  if (!backend) {
    backend = await createGpujsBackend(mode);
    gpujsBackends.set(mode, backend);
  }
  registerDevice('gpujs', backend);
  active = backend;
  return mode;
}

/** The gpujs backend in use (its mode, its user-kernel runner), or null before initGpujs. */
export function gpujsBackendInUse(): GpujsBackend | null {
  return active;
}

export function gpujsModeInUse(): GpuMode | null {
  return active?.mode ?? null;
}

/** Sets the default device of new tensors; initialises gpujs on first use. */
export async function setBackend(name: DeviceName, options: GpujsOptions = {}): Promise<void> {
  if (name !== 'cpu' && name !== 'gpujs') throw new Error(`setBackend: unknown backend ${JSON.stringify(name)}; expected 'cpu' or 'gpujs'`);
  if (name === 'gpujs' && (active === null || (options.mode && options.mode !== active.mode))) await initGpujs(options);
  setDefaultDevice(name);
}

export function describeBackend(name: DeviceName): string {
  return getDevice(name).backend.describe();
}

/** The gpu.js modes that can run here (webgpu only when an adapter answers). */
export async function availableGpuModes(): Promise<GpuMode[]> {
  const m = await import('./backend/gpujs/index.js');
  return m.availableGpuModes();
}

export type { GpuMode };

// Choosing backends: per process (setBackend) and per tensor (t.to('gpujs')).
import { getDevice, registerDevice, setDefaultDevice, type DeviceName } from './device.js';
import type { Backend } from './backend/interface.js';
import { setGpujsRunner } from './custom-kernel.js';
import type { GpuMode } from './backend/gpujs-backend.js';

export interface GpujsOptions {
  /** 'webgpu' when an adapter answers, else 'webasm'; 'cpu' is gpu.js's JavaScript reference mode. */
  mode?: GpuMode;
}

let gpujsMode: GpuMode | null = null;
/** One backend per mode, kept when switching so compiled kernels survive (tests run every mode). */
const gpujsBackends = new Map<GpuMode, Backend>();

/** Creates the gpujs device, or switches it to another mode. */
export async function initGpujs(options: GpujsOptions = {}): Promise<GpuMode> {
  // gpu.js loads only when asked for, so cpu-only users never pay for it
  const { createGpujsBackend, availableGpuModes: modes } = await import('./backend/gpujs-backend.js');
  const mode = options.mode ?? ((await modes()).includes('webgpu') ? 'webgpu' : 'webasm');
  let backend = gpujsBackends.get(mode);
  if (!backend) {
    backend = await createGpujsBackend(mode);
    gpujsBackends.set(mode, backend);
  }
  setGpujsRunner(await import('./backend/gpujs/custom.js'));
  registerDevice('gpujs', backend);
  gpujsMode = mode;
  return mode;
}

export function gpujsModeInUse(): GpuMode | null {
  return gpujsMode;
}

/** Sets the default device of new tensors; initialises gpujs on first use. */
export async function setBackend(name: DeviceName, options: GpujsOptions = {}): Promise<void> {
  if (name !== 'cpu' && name !== 'gpujs') throw new Error(`setBackend: unknown backend ${JSON.stringify(name)}; expected 'cpu' or 'gpujs'`);
  if (name === 'gpujs' && (gpujsMode === null || (options.mode && options.mode !== gpujsMode))) await initGpujs(options);
  setDefaultDevice(name);
}

export function describeBackend(name: DeviceName): string {
  return getDevice(name).backend.describe();
}

/** The gpu.js modes that can run here (webgpu only when an adapter answers). */
export async function availableGpuModes(): Promise<GpuMode[]> {
  const m = await import('./backend/gpujs-backend.js');
  return m.availableGpuModes();
}

export type { GpuMode };

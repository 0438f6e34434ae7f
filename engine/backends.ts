// Choosing backends: per process (setBackend) and per tensor (t.to('gpujs')).
import { checkOptions } from './options.js';
import { getDevice, registerDevice, setDefaultDevice, type DeviceName } from './device.js';
import type { GpujsBackend, GpujsStats, GpuMode } from './backend/gpujs/index.js';
import { isMissingPackage, missingPackageError } from './optional-package.js';

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
  checkOptions('initGpujs', options, ['mode']);
  // gpu.js loads only when asked for, so cpu-only users never pay for it (it is an optional peer dependency)
  const gpujsBackend = await loadGpujsBackend();
  if (!gpujsBackend) throw missingPackageError(`initGpujs(${options.mode ?? ''})`, 'gpu.js', GPUJS_INSTALL);
  const { createGpujsBackend, availableGpuModes: modes } = gpujsBackend;
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

/**
 * The gpujs backend's counters (kernels launched, host uploads, host reads, cpu fallbacks by kernel; counted on
 * webgpu, where data stays on the device), live: read twice and subtract to count a step. Null before initGpujs.
 */
export function gpujsStats(): GpujsStats | null {
  return active?.stats ?? null;
}

export function gpujsModeInUse(): GpuMode | null {
  return active?.mode ?? null;
}

/** Sets the default device of new tensors; initialises gpujs on first use. */
export async function setBackend(name: DeviceName, options: GpujsOptions = {}): Promise<void> {
  checkOptions('setBackend', options, ['mode']);
  if (name !== 'cpu' && name !== 'gpujs') throw new Error(`setBackend: unknown backend ${JSON.stringify(name)}; expected 'cpu' or 'gpujs'`);
  if (name === 'gpujs' && (active === null || (options.mode && options.mode !== active.mode))) await initGpujs(options);
  setDefaultDevice(name);
}

export function describeBackend(name: DeviceName): string {
  return getDevice(name).backend.describe();
}

/** The gpu.js modes that can run here (webgpu only when an adapter answers). */
export async function availableGpuModes(): Promise<GpuMode[]> {
  const m = await loadGpujsBackend();
  return m ? m.availableGpuModes() : [];
}

/** What a user installs to get the gpujs backend (webgpu 0.6.2 loads on glibc 2.34; the 0.2.9 gpu.js asks for needs 2.38). */
const GPUJS_INSTALL = 'gpu.js@2.24.1 webgpu@^0.6.2';

/** The gpujs backend module, or null when the gpu.js package is not installed. */
async function loadGpujsBackend(): Promise<typeof import('./backend/gpujs/index.js') | null> {
  try {
    return await import('./backend/gpujs/index.js');
  } catch (e) {
    if (isMissingPackage(e, 'gpu.js')) return null;
    throw e;
  }
}

export type { GpuMode };

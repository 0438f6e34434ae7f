// Choosing backends: per process (setBackend) and per tensor (t.to('gpujs')).
import { checkOptions } from './options.js';
import { getDevice, registerDevice, setDefaultDevice, type DeviceName } from './device.js';
import type { Backend } from './backend/interface.js';
import { setGpujsRunner } from './custom-kernel.js';
import type { GpuMode } from './backend/gpujs-backend.js';
import { isMissingPackage, missingPackageError } from './optional-package.js';

export interface GpujsOptions {
  /** 'webgpu' when an adapter answers, else 'webasm'; 'cpu' is gpu.js's JavaScript reference mode. */
  mode?: GpuMode;
}

let gpujsMode: GpuMode | null = null;
/** One backend per mode, kept when switching so compiled kernels survive (tests run every mode). */
const gpujsBackends = new Map<GpuMode, Backend>();

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
  checkOptions('setBackend', options, ['mode']);
  if (name !== 'cpu' && name !== 'gpujs') throw new Error(`setBackend: unknown backend ${JSON.stringify(name)}; expected 'cpu' or 'gpujs'`);
  if (name === 'gpujs' && (gpujsMode === null || (options.mode && options.mode !== gpujsMode))) await initGpujs(options);
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
async function loadGpujsBackend(): Promise<typeof import('./backend/gpujs-backend.js') | null> {
  try {
    return await import('./backend/gpujs-backend.js');
  } catch (e) {
    if (isMissingPackage(e, 'gpu.js')) return null;
    throw e;
  }
}

export type { GpuMode };

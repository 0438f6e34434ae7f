// The gpujs backend: in webgpu mode its kernels keep tensors' data on the device (resident-kernels.ts) and answer with
// Promises; in webasm and gpu.js's cpu mode its kernels (kernels.ts) run synchronously on host arrays. Also the
// runner of user kernels (runGpujsKernel).
import type { Backend, ClaimedKernels } from '../interface.js';
import { disposeGpuKernels, gpuKernelCompileCount, runSync } from './cache.js';
import { runUserKernel, type UserKernelBody } from './custom.js';
import { gpujsKernels, type GpujsClaim } from './kernels.js';
import { residentKernels } from './resident-kernels.js';
import { emptyStats, ResidentStore, type GpujsStats } from './resident.js';
import { availableGpuModes, webGpuAdapterName, type GpuMode } from './setup.js';

export { availableGpuModes, disposeGpuKernels, gpuKernelCompileCount, type GpujsStats, type GpuMode, type UserKernelBody };

export interface GpujsBackend extends Backend {
  readonly name: 'gpujs';
  readonly mode: GpuMode;
  readonly kernels: ClaimedKernels<GpujsClaim>;
  /** Kernels launched, host transfers and cpu fallbacks (counted on webgpu, where data stays on the device). */
  readonly stats: GpujsStats;
  /** Runs a user kernel body over flat float32 inputs in this backend's mode (see engine/custom-kernel.ts). */
  runUserKernel(name: string, body: UserKernelBody, inputs: Float32Array[], size: number, constants: Record<string, number>): Float32Array | Promise<Float32Array>;
}

/** The backend for one mode; rejects when the mode cannot run here (see availableGpuModes). */
export async function createGpujsBackend(mode: GpuMode): Promise<GpujsBackend> {
  const modes = await availableGpuModes();
  if (!modes.includes(mode)) throw new Error(`gpujs: mode '${mode}' is not available here; available: ${modes.join(', ')}`);
  const stats = emptyStats();
  // webgpu keeps tensors' data in device buffers between kernels; webasm and cpu run on host arrays
  const store = mode === 'webgpu' ? new ResidentStore(stats) : null;
  return {
    name: 'gpujs',
    mode,
    async: mode === 'webgpu',
    kernels: store ? residentKernels(store) : gpujsKernels(mode, runSync),
    stats,
    ...(store ? { residency: store } : {}),
    runUserKernel: (name, body, inputs, size, constants) => {
      if (!store) return runUserKernel(mode, name, body, inputs, size, constants);
      // a user kernel reads host arrays: inputs still on the device are read back first (counted in stats.hostReads)
      return (async () => {
        for (const a of inputs) await store.download(a);
        return runUserKernel(mode, name, body, inputs, size, constants);
      })();
    },
    describe: () => (mode === 'webgpu' ? `gpu.js webgpu on ${webGpuAdapterName() ?? 'an unnamed adapter'}` : `gpu.js ${mode}`),
    dispose: () => disposeGpuKernels(),
  };
}

export type { GpujsClaim };

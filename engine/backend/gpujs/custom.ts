// User kernels on the gpujs device: a gpu.js kernel body over flat float32 inputs, compiled once per
// (name, mode, size, constants) and run through the same sync/async driver as the built-in kernels.
import { cachedKernel, launch, runAsync, runSync, type KernelConstants, type KernelThis, type Op } from './cache.js';
import type { GpuMode } from './setup.js';

/** One output element per thread: `this.thread.x` is its flat index; inputs are flat Float32Arrays. */
export type UserKernelBody = (this: KernelThis<KernelConstants>, ...inputs: Float32Array[]) => number;

export function runUserKernel(mode: GpuMode, name: string, body: UserKernelBody, inputs: Float32Array[], size: number, constants: KernelConstants): Float32Array | Promise<Float32Array> {
  function* op(): Op<Float32Array> {
    const kernel = cachedKernel(mode, `user:${name}`, body as never, [size], constants);
    return yield launch(kernel, inputs, size);
  }
  return mode === 'webgpu' ? runAsync(op()) : runSync(op());
}

// The extension point for user kernels on the gpujs device, to be called from a custom op's forward
// (see README "Adding an op"): tensors in, a new float32 tensor out, queued like every other kernel.
import { getDevice } from './device.js';
import { shapeStr } from './layout.js';
import { gpujsBackendInUse } from './backends.js';
import { Tensor } from './tensor.js';
import type { UserKernelBody } from './backend/gpujs/index.js';

export interface GpujsKernel {
  /** A name unique to this kernel body (kernels are cached by name, mode, size and constants). */
  readonly name: string;
  /** gpu.js kernel body: returns element `this.thread.x` of the flat output from flat float32 inputs. */
  readonly body: UserKernelBody;
  /** Numbers baked into the compiled kernel, read as `this.constants.name` (e.g. a row length). */
  readonly constants?: Record<string, number>;
}

/** Runs `kernel` on the gpujs device over contiguous float32 `inputs`, producing a tensor of `outShape`. */
export function runGpujsKernel(kernel: GpujsKernel, inputs: readonly Tensor[], outShape: readonly number[]): Tensor {
  const backend = gpujsBackendInUse();
  if (backend === null) {
    throw new Error(`runGpujsKernel(${kernel.name}): the gpujs device is not initialised; call \`await initGpujs()\` first`);
  }
  inputs.forEach((t, i) => {
    if (t.device !== 'gpujs') throw new Error(`runGpujsKernel(${kernel.name}): input ${i} is on ${t.device}; move it with .to('gpujs')`);
    if (t.dtype !== 'float32') throw new Error(`runGpujsKernel(${kernel.name}): input ${i} is ${t.dtype}; gpu.js kernels take float32`);
  });
  const device = getDevice('gpujs');
  const out = Tensor.uninit(outShape, 'float32', device);
  if (out.size === 0) return out;
  const arrays = inputs.map((t) => {
    const c = t.contiguous().view_();
    return c.data.subarray(c.layout.offset, c.layout.offset + t.size) as Float32Array;
  });
  const o = out.data_;
  device.run(() => {
    const r = backend.runUserKernel(kernel.name, kernel.body, arrays, out.size, kernel.constants ?? {});
    if (r instanceof Promise) return r.then((v) => { o.set(v); });
    if (r.length !== o.length) throw new Error(`runGpujsKernel(${kernel.name}): kernel gave ${r.length} values for output ${shapeStr(outShape)}`);
    o.set(r);
  });
  return out;
}

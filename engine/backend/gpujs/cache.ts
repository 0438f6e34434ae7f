// Compiled gpu.js kernels, cached by (mode, op, shape), and the driver that runs an op's kernels
// synchronously (webasm, cpu) or asynchronously (webgpu) from one body.
import gpujs from 'gpu.js';
import type { GpuMode } from './setup.js';

/** What a kernel body sees as `this`; gpu.js inlines `constants` into the compiled source. */
export interface KernelThis<C> {
  readonly thread: { readonly x: number; readonly y: number; readonly z: number };
  readonly constants: C;
}
export type KernelConstants = Record<string, number>;
type KernelBody = (...args: Float32Array[]) => number;
/** pipeline: results stay on the device (webgpu); returnType 'Array(4)': each thread returns four floats. */
export interface KernelOptions {
  readonly pipeline?: boolean;
  readonly returnType?: 'Array(4)';
}
export type CompiledKernel = ((...args: Float32Array[]) => unknown) & { destroy(removeCanvasReferences?: boolean): void };

/** One kernel launch an op asks for: the kernel, its inputs, and how many floats it returns. */
export interface Launch {
  readonly kernel: CompiledKernel;
  readonly args: Float32Array[];
  readonly size: number;
}
/** An op is a generator of launches; each `yield` receives that launch's output, flat and copied. */
export type Op<R> = Generator<Launch, R, Float32Array>;

// webgpu and webasm index flat arrays in f32, exact only up to 2^24; ops split work to stay under it.
const F32_EXACT_INTEGERS = 2 ** 24;
// Every loop bound is an inlined constant (gpu.js then emits an exact loop); this is the backstop
// for gpu.js's default cap of 1000 iterations, which would silently cut longer loops.
const LOOP_MAX_ITERATIONS = 2 ** 30;

const gpus = new Map<GpuMode, InstanceType<typeof gpujs.GPU>>();
const kernels = new Map<string, CompiledKernel>();
let compileCount = 0;

/** How many kernels were compiled since the process started; flat across repeated same-shape calls. */
export function gpuKernelCompileCount(): number {
  return compileCount;
}

/** The most floats one launch may index on this mode. */
export function maxIndexedFloats(mode: GpuMode): number {
  return mode === 'cpu' ? Number.MAX_SAFE_INTEGER : F32_EXACT_INTEGERS;
}

/**
 * The compiled kernel for `body` over `output` ([x] or [x, y] or [x, y, z], x fastest) with these
 * constants; compiled once per distinct (mode, op, output, constants).
 */
export function cachedKernel(mode: GpuMode, op: string, body: KernelBody | string, output: number[], constants: KernelConstants, options: KernelOptions = {}): CompiledKernel {
  const flags = `${options.pipeline ? 'pipeline' : ''}${options.returnType ?? ''}`;
  const key = `${mode}|${flags}|${op}|${output.join('x')}|${Object.entries(constants).map(([k, v]) => `${k}=${v}`).join(',')}`;
  let kernel = kernels.get(key);
  if (!kernel) {
    const gpu = gpuFor(mode);
    // pipeline + immutable: each call returns its own device buffer, which the next kernel takes as an argument
    // dynamicArguments: a generated kernel's inputs are storages of any length (only the read pattern is inlined)
    const resident = options.pipeline ? { pipeline: true, immutable: true, dynamicArguments: true } : {};
    const returnType = options.returnType ? { returnType: options.returnType } : {};
    const settings = { output, constants, loopMaxIterations: LOOP_MAX_ITERATIONS, ...resident, ...returnType };
    kernel = gpu.createKernel(body as never, settings) as unknown as CompiledKernel;
    kernels.set(key, kernel);
    compileCount++;
  }
  return kernel;
}

function gpuFor(mode: GpuMode): InstanceType<typeof gpujs.GPU> {
  let gpu = gpus.get(mode);
  if (!gpu) {
    gpu = new gpujs.GPU({ mode });
    gpus.set(mode, gpu);
  }
  return gpu;
}

export function launch(kernel: CompiledKernel, args: Float32Array[], size: number): Launch {
  return { kernel, args, size };
}

export function runSync<R>(op: Op<R>): R {
  let step = op.next();
  while (!step.done) {
    const { kernel, args, size } = step.value;
    step = op.next(flatten(kernel(...args), size));
  }
  return step.value;
}

export async function runAsync<R>(op: Op<R>): Promise<R> {
  let step = op.next();
  while (!step.done) {
    const { kernel, args, size } = step.value;
    step = op.next(flatten(await kernel(...args), size));
  }
  return step.value;
}

/**
 * gpu.js returns a Float32Array for 1-D output, and arrays of rows (and of planes) otherwise, often
 * views of one buffer it reuses on the next call; we copy them, row-major, into a fresh array.
 * `padded`: a read-back texture may hold more floats than the tensor; the first `size` are its values.
 */
export function flatten(result: unknown, size: number, padded = false): Float32Array {
  const out = new Float32Array(size);
  let offset = 0;
  const walk = (node: unknown): void => {
    if (node instanceof Float32Array) {
      out.set(padded ? node.subarray(0, Math.max(0, Math.min(node.length, size - offset))) : node, offset);
      offset += node.length;
    } else if (Array.isArray(node)) {
      for (const child of node) walk(child);
    } else {
      throw new TypeError(`gpu.js kernel: expected Float32Array rows, got ${Object.prototype.toString.call(node)}`);
    }
  };
  walk(result);
  if (padded ? offset < size : offset !== size) throw new RangeError(`gpu.js kernel: expected ${size} floats, got ${offset}`);
  return out;
}

/** Destroys every compiled kernel (and its device buffers), then the shared WebGPU device. */
export function disposeGpuKernels(): void {
  // kernel.destroy() is synchronous and unlinks the kernel from its GPU, so the instances hold nothing after.
  for (const kernel of kernels.values()) kernel.destroy();
  kernels.clear();
  gpus.clear();
  // Forgets the device at once (a later kernel acquires a fresh one) and destroys it when it settles.
  const { WebGPUContext } = gpujs as unknown as { WebGPUContext?: { destroy(): Promise<void> } };
  void WebGPUContext?.destroy().catch(() => undefined);
}

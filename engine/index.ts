// The public face of the engine.
export { Tensor, type NestedArray, type TensorLike } from './tensor.js';
export {
  tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, truncNormal, randint,
  type CreateOptions, type RandomOptions, type ShapeLike,
} from './creation.js';
export { type DType, type TypedArray } from './dtype.js';
export { sameShape, type Layout } from './layout.js';
export { Generator, defaultGenerator, manualSeed, type GeneratorState } from './random.js';
export { noGrad, enableGrad, isGradEnabled, setAnomalyDetection, isAnomalyDetectionEnabled, detectAnomaly } from './grad-mode.js';
export { scope, keep } from './scope.js';
export { memory, sync } from './memory.js';
export { gradcheck, type GradcheckOptions } from './gradcheck.js';
export { F, type Reduction, type CrossEntropyOptions, type KlDivOptions } from './functional.js';
export { where, maximum, minimum } from './ops/elementwise.js';
export { cat, stack } from './ops/movement.js';
export { matmul } from './ops/matmul.js';
export { softmaxComposed, logSoftmaxComposed } from './ops/softmax.js';
export { layerNormComposed } from './ops/layernorm.js';
export { attention, attentionComposed } from './ops/attention.js';
export { defineOp, notDifferentiable, type Op, type BackwardContext, type BackwardFn, type Grads } from './ops/op.js';
export { apply, graphScope } from './autograd.js';
export { profile, recordFunction, formatProfile, type ProfileReport, type ProfileRow, type ProfilePhase, type ProfileTableOptions } from './profiler.js';
export { getDevice, getDefaultDevice, setDefaultDevice, registerDevice, type DeviceName, type MemoryStats } from './device.js';
export type { AttentionShape, Backend, FusedKernels, Kernels, View } from './backend/interface.js';
export { initGpujs, setBackend, describeBackend, gpujsModeInUse, gpujsStats, availableGpuModes, type GpujsOptions, type GpuMode } from './backends.js';
export type { GpujsStats } from './backend/gpujs/resident.js';
export { runGpujsKernel, type GpujsKernel } from './custom-kernel.js';
export { setNumThreads, getNumThreads, threadsReady } from './threads.js';
export { checkOptions } from './options.js';

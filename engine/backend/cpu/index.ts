// The cpu backend: every kernel, synchronous, over typed arrays. It is the reference for the others.
import type { Backend, SyncKernels } from '../interface.js';
import { binaryKernel, unaryKernel, whereKernel } from './elementwise.js';
import { gatherKernel, scatterAddKernel } from './gather.js';
import { argReduceKernel, reduceKernel } from './reduce.js';
import { copyStrided } from './strided.js';
import { copyFast, cpuKernelsInUse, fastKernels, fusedKernels, geluWithGradFast } from './fast.js';
import { freeResidentF32, residentF32 } from './wasm/index.js';

/** float32 storages from this many elements live in wasm memory, where the kernels use them without copies. */
const RESIDENT_MIN_ELEMENTS = 1024;

export const cpuKernels: SyncKernels = {
  copy: (src, dst) => { if (!copyFast(src, dst)) copyStrided(src, dst); },
  unary: unaryKernel,
  geluWithGrad: (x, out, grad) => {
    if (geluWithGradFast(x, out, grad)) return;
    unaryKernel('gelu', x, out);
    unaryKernel('geluGrad', x, grad);
  },
  binary: binaryKernel,
  where: whereKernel,
  reduce: reduceKernel,
  argReduce: argReduceKernel,
  ...fastKernels,
  gather: gatherKernel,
  scatterAdd: scatterAddKernel,
};

export const cpuBackend: Backend = {
  name: 'cpu',
  async: false,
  kernels: cpuKernels,
  fused: fusedKernels,
  describe: () => `cpu (${cpuKernelsInUse() === 'wasm' ? 'WebAssembly SIMD' : 'TypeScript'})`,
  alloc: (dtype, length) => (dtype === 'float32' && length >= RESIDENT_MIN_ELEMENTS ? residentF32(length) : null),
  free: (a) => a instanceof Float32Array && freeResidentF32(a),
};

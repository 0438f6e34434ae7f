// The cpu backend: every kernel, synchronous, over typed arrays. It is the reference for the others.
import type { Backend, SyncKernels } from '../interface.js';
import { binaryKernel, unaryKernel, whereKernel } from './elementwise.js';
import { gatherKernel, scatterAddKernel } from './gather.js';
import { argReduceKernel, reduceKernel } from './reduce.js';
import { copyStrided } from './strided.js';
import { copyFast, cpuKernelsInUse, fastKernels } from './fast.js';

export const cpuKernels: SyncKernels = {
  copy: (src, dst) => { if (!copyFast(src, dst)) copyStrided(src, dst); },
  unary: unaryKernel,
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
  describe: () => `cpu (${cpuKernelsInUse() === 'wasm' ? 'WebAssembly SIMD' : 'TypeScript'})`,
};

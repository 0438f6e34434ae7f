// The cpu backend: every kernel, synchronous, over typed arrays. It is the reference for the others.
import type { Backend, SyncKernels } from '../interface.js';
import { binaryKernel, unaryKernel, whereKernel } from './elementwise.js';
import { gatherKernel, scatterAddKernel } from './gather.js';
import { matmulReference } from './matmul.js';
import { argReduceKernel, reduceKernel } from './reduce.js';
import { layerNormBackwardRows, layerNormRows, softmaxBackwardRows, softmaxRows } from './rows.js';
import { copyStrided } from './strided.js';

export const cpuKernels: SyncKernels = {
  copy: copyStrided,
  unary: unaryKernel,
  binary: binaryKernel,
  where: whereKernel,
  reduce: reduceKernel,
  argReduce: argReduceKernel,
  matmul: matmulReference,
  softmax: softmaxRows,
  softmaxBackward: softmaxBackwardRows,
  layerNorm: layerNormRows,
  layerNormBackward: layerNormBackwardRows,
  gather: gatherKernel,
  scatterAdd: scatterAddKernel,
};

export const cpuBackend: Backend = {
  name: 'cpu',
  async: false,
  kernels: cpuKernels,
  describe: () => 'cpu (TypeScript)',
};

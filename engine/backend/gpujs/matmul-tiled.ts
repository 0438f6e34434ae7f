// Batched matmul on the resident webgpu backend: C[z, m, n] = Σ_k A[z, m, k] B[z, k, n] over strided views
// (any batch, row and column strides and an offset, inlined as constants), so transposed and broadcast
// operands are read in place.
//
// Register tiling: when N is a multiple of 4, each thread computes four neighbouring outputs C[z, m, 4x..4x+3]
// and returns them as one Array(4); A[z, m, k] is loaded once per k and used four times. gpu.js lays an Array(4)
// output out as four packed floats per thread, which is C row-major, so the result is read as a plain [N, M, batch]
// buffer. gpu.js exposes no workgroup memory or barriers, so tiles shared across threads are not expressible;
// a thread's tile is the block it can hold in registers.
import type { KernelThis } from './cache.js';

export interface StridedMatmulConstants {
  K: number;
  aOff: number;
  aBatch: number; // 0 when a broadcasts over the batch
  aM: number;
  aK: number;
  bOff: number;
  bBatch: number;
  bN: number;
  bK: number;
}

/** One output per thread: the odd-N form. */
export function matmulStrided(this: KernelThis<StridedMatmulConstants>, a: Float32Array, b: Float32Array): number {
  const ia = this.constants.aOff + this.thread.z * this.constants.aBatch + this.thread.y * this.constants.aM;
  const ib = this.constants.bOff + this.thread.z * this.constants.bBatch + this.thread.x * this.constants.bN;
  let sum = 0;
  for (let k = 0; k < this.constants.K; k++) {
    sum += a[ia + k * this.constants.aK] * b[ib + k * this.constants.bK];
  }
  return sum;
}

/** Four outputs per thread, C[z, m, 4x..4x+3], sharing each load of A. */
export function matmulTiled4(this: KernelThis<StridedMatmulConstants>, a: Float32Array, b: Float32Array): number[] {
  const ia = this.constants.aOff + this.thread.z * this.constants.aBatch + this.thread.y * this.constants.aM;
  const ib = this.constants.bOff + this.thread.z * this.constants.bBatch + this.thread.x * 4 * this.constants.bN;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let k = 0; k < this.constants.K; k++) {
    const av = a[ia + k * this.constants.aK];
    const kb = ib + k * this.constants.bK;
    s0 += av * b[kb];
    s1 += av * b[kb + this.constants.bN];
    s2 += av * b[kb + 2 * this.constants.bN];
    s3 += av * b[kb + 3 * this.constants.bN];
  }
  return [s0, s1, s2, s3];
}

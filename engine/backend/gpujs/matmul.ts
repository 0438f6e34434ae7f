// Batched matmul as one gpu.js kernel: thread (x, y, z) = (n, m, batch), C[z, m, n] = Σ_k A[z, m, k] B[z, k, n].
//
// Transposes and batch broadcast are strides inlined as constants, so all four layouts share one body;
// index arithmetic walks flat arrays (gpu.js's nested-array Input indexing measured 2.5× slower on webasm).
// How the index advances matters, in opposite directions (512², 2 cores): webasm runs a running index
// (ia += aK) in 135 ms and a recomputed one (base + k * aK) in 255 ms; webgpu on llvmpipe runs the
// recomputed one in 190 ms and the running one in 365 ms. Operand layout (transposes) and thread
// orientation made no difference on either, so we never copy an operand into a preferred layout.
import { cachedKernel, launch, maxIndexedFloats, type KernelThis, type Op } from './cache.js';
import type { GpuMode } from './setup.js';

export interface MatmulConstants {
  K: number;
  aBatch: number; // stride between batches of a, 0 when a broadcasts
  aM: number;
  aK: number;
  bBatch: number;
  bN: number;
  bK: number;
}

/** The index steps by a stride each iteration: webasm's (and cpu's) fast form. */
function matmulStepping(this: KernelThis<MatmulConstants>, a: Float32Array, b: Float32Array): number {
  let ia = this.thread.z * this.constants.aBatch + this.thread.y * this.constants.aM;
  let ib = this.thread.z * this.constants.bBatch + this.thread.x * this.constants.bN;
  let sum = 0;
  for (let k = 0; k < this.constants.K; k++) {
    sum += a[ia] * b[ib];
    ia += this.constants.aK;
    ib += this.constants.bK;
  }
  return sum;
}

/** The index is recomputed from k each iteration: webgpu's fast form. */
export function matmulIndexed(this: KernelThis<MatmulConstants>, a: Float32Array, b: Float32Array): number {
  const ia = this.thread.z * this.constants.aBatch + this.thread.y * this.constants.aM;
  const ib = this.thread.z * this.constants.bBatch + this.thread.x * this.constants.bN;
  let sum = 0;
  for (let k = 0; k < this.constants.K; k++) {
    sum += a[ia + k * this.constants.aK] * b[ib + k * this.constants.bK];
  }
  return sum;
}

export interface MatmulShape {
  aBatch: number;
  bBatch: number;
  M: number;
  K: number;
  N: number;
  transA: boolean;
  transB: boolean;
}

export function* matmulOp(mode: GpuMode, a: Float32Array, b: Float32Array, s: MatmulShape): Op<Float32Array> {
  const { aBatch, bBatch, M, K, N } = s;
  const batch = checkMatmul(a, b, s);
  const out = new Float32Array(batch * M * N);
  if (out.length === 0 || K === 0) return out;

  const limit = maxIndexedFloats(mode);
  const perMatrix = Math.max(M * K, K * N, M * N);
  if (perMatrix > limit) {
    throw new RangeError(`gpujs matmul (${mode}): one [${M}, ${K}] @ [${K}, ${N}] product indexes ${perMatrix} floats, more than the ${limit} this mode indexes exactly`);
  }
  // Split the batch so no launch indexes past the limit; at most two chunk sizes, so two kernels.
  const body = mode === 'webgpu' ? matmulIndexed : matmulStepping;
  const chunk = Math.max(1, Math.min(batch, Math.floor(limit / perMatrix)));
  for (let start = 0; start < batch; start += chunk) {
    const count = Math.min(chunk, batch - start);
    const aPart = aBatch === 1 ? a : a.subarray(start * M * K, (start + count) * M * K);
    const bPart = bBatch === 1 ? b : b.subarray(start * K * N, (start + count) * K * N);
    const constants: MatmulConstants = {
      K,
      aBatch: aBatch === 1 ? 0 : M * K,
      aM: s.transA ? 1 : K,
      aK: s.transA ? M : 1,
      bBatch: bBatch === 1 ? 0 : K * N,
      bN: s.transB ? K : 1,
      bK: s.transB ? 1 : N,
    };
    const kernel = cachedKernel(mode, 'matmul', body, [N, M, count], { ...constants });
    out.set(yield launch(kernel, [aPart, bPart], count * M * N), start * M * N);
  }
  return out;
}

/** The batch size of the product; throws when a length or a batch disagrees with the shape. */
function checkMatmul(a: Float32Array, b: Float32Array, s: MatmulShape): number {
  const { aBatch, bBatch, M, K, N } = s;
  const batch = Math.max(aBatch, bBatch);
  const where = `gpujs matmul [${aBatch}, ${s.transA ? `${K}, ${M}` : `${M}, ${K}`}] @ [${bBatch}, ${s.transB ? `${N}, ${K}` : `${K}, ${N}`}]`;
  if ((aBatch !== 1 && aBatch !== batch) || (bBatch !== 1 && bBatch !== batch)) {
    throw new RangeError(`${where}: batches must match or be 1, got ${aBatch} and ${bBatch}`);
  }
  if (a.length !== aBatch * M * K) throw new RangeError(`${where}: a has ${a.length} floats, expected ${aBatch * M * K}`);
  if (b.length !== bBatch * K * N) throw new RangeError(`${where}: b has ${b.length} floats, expected ${bBatch * K * N}`);
  return batch;
}

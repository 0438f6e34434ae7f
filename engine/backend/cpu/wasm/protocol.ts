// The job protocol shared by the main thread and the workers: the Int32 control block at address 0 of the
// shared memory (one job at a time), the job kinds, and where staged operands begin.

/** Int32 slots of the control block at address 0 of the shared memory. */
export const enum Ctl {
  gen, counter, done, total, failed, jobId,
  /** threads the job may run on: a worker past them (left from a larger thread count) takes no chunk */
  jobThreads, kernel, aBase, aBS, aRS, aCS, bBase, bBS, bRS, bCS,
  /**
   * biasBase: a GEMM's bias (N floats, padded to whole panels), 0 for none; resBase: a residual [batch·M, N]
   * added to each finished output (after the bias), 0 for none
   */
  outBase, biasBase, resBase, batch, M, N, K, MC, KC, chunksPerBatch, scratchBase, scratchBytes, quit, workerChunks,
  /** JobKind of the job in the block; the ew* slots describe an elementwise job (elementwise-kernel.ts) */
  kind, ewOp, ewIn0, ewIn1, ewOut, ewCount, ewChunk,
  /**
   * a row job (rows-kernel.ts): RowOp, input addresses, output address, rows, cols, rows per chunk, and how
   * many rows the main thread has staged so far (it copies them in while the workers start computing)
   */
  rowOp, rowIn0, rowIn1, rowOut, rows, cols, rowChunk, rowReady,
  /** a layernorm row job's other operands (runLayerNormRows in rows-kernel.ts) */
  rowArg0, rowArg1, rowArg2, rowArg3, rowArg4,
  /** a planes job (broadcast-kernel.ts): kernel id, dims [outer, planes, rows, cols], the chunked dim and its chunk, operand strides */
  pKernel, pOuter, pPlanes, pRows, pCols, pSplit, pChunk, pA, pAOS, pAPS, pARS, pACS, pB, pBOS, pBPS, pBRS, pOut,
  /**
   * an attention job (attention-kernel.ts), one chunk per atGroup heads of a batch element: forward (atBackward 0) reads q, k, v and writes
   * out and, when atP is not 0, the probabilities; backward reads dy (in atOut), q, k, v and p, and writes dq, dk,
   * dv where their slots are not 0. Shapes [B, N, H·hd], q, k, v rows atInRow floats apart; the scale as float32 bits.
   */
  atBackward, atQ, atK, atV, atOut, atP, atDq, atDk, atDv, atHeads, atSeq, atHeadSize, atScale, atScratch, atScratchBytes, atInRow, atGroup,
  size,
}
export const enum JobKind { matmul = 0, elementwise = 1, rows = 2, planes = 3, attention = 4 }
export const CTRL_BYTES = 512;
// an engine bug, caught at load: a slot past the block would overlap the kernels' constants
if (Ctl.size * 4 > CTRL_BYTES) throw new Error(`wasm protocol: ${Ctl.size} control slots do not fit in CTRL_BYTES = ${CTRL_BYTES}`);
/** The elementwise kernels' constant table sits after the control block; operands are staged after it. */
export const CONST_BYTES = 4096;
export const DATA_BASE = CTRL_BYTES + CONST_BYTES;
export const LOCKED = 1 << 30;

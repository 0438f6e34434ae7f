// The job protocol shared by the main thread and the workers: the Int32 control block at address 0 of the
// shared memory (one job at a time), the job kinds, and where staged operands begin.

/** Int32 slots of the control block at address 0 of the shared memory. */
export const enum Ctl {
  gen, counter, done, total, failed, jobId, kernel, aBase, aBS, aRS, aCS, bBase, bBS, bRS, bCS,
  outBase, batch, M, N, K, MC, KC, chunksPerBatch, scratchBase, scratchBytes, quit, workerChunks,
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
  pKernel, pOuter, pPlanes, pRows, pCols, pSplit, pChunk, pA, pAOS, pAPS, pARS, pACS, pB, pBOS, pBPS, pBRS, pOut, size,
}
export const enum JobKind { matmul = 0, elementwise = 1, rows = 2, planes = 3 }
export const CTRL_BYTES = 256;
/** The elementwise kernels' constant table sits after the control block; operands are staged after it. */
export const CONST_BYTES = 4096;
export const DATA_BASE = CTRL_BYTES + CONST_BYTES;
export const LOCKED = 1 << 30;

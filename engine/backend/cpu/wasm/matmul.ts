// GEMM driver, run by the main thread and by every worker over the shared memory.
// A job is split into chunks (one batch item × up to MC rows of C); a thread takes chunks from a shared
// counter, packs what the chunk needs into its own scratch, runs the kernel, and copies its rows of C out.
import { Exports, KERNELS } from './runtime.js';
import { GemmFlags, UNROLL } from './matmul-kernel.js';
import { Ctl } from './protocol.js';

export interface Plan {
  kernel: number; MC: number; KC: number; kBlocks: number; Np: number; chunksPerBatch: number; scratchBytes: number;
}

/** Tuning knobs (exported for the bench script). */
export const tuning = { kernel: -1, MC: 0, KCMAX: 256 };

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/**
 * Blocks of A or B smaller than this are packed without touching them first (touchRows): a call's cost is
 * more than a small block's misses (the batched [50, 48]·[48, 50] products ran 3 % slower with the touch).
 */
const TOUCH_MIN_BYTES = 32 << 10;

/** Whether to touch a block of `bytes` before packing it: one-thread jobs only (on two the ViT gained nothing and warm 256² products lost 4–5 %). */
const touches = (c: Int32Array, bytes: number): boolean => c[Ctl.jobThreads] === 1 && bytes >= TOUCH_MIN_BYTES;

/** The kernel with the least padded work per unit of speed. */
export function pickKernel(M: number, N: number): number {
  if (tuning.kernel >= 0) return tuning.kernel;
  // a plain loop: this runs for every GEMM and twice for every attention head
  let best = 0, bestCost = Infinity;
  for (let id = 0; id < KERNELS.length; id++) {
    const { mr, nr, gflops } = KERNELS[id];
    const cost = (Math.ceil(M / mr) * mr * Math.ceil(N / nr) * nr) / gflops;
    if (cost < bestCost * 0.999) { best = id; bestCost = cost; }
  }
  return best;
}

export function plan(batch: number, M: number, N: number, K: number, threads: number): Plan {
  const kernel = pickKernel(M, N);
  const { mr, nr } = KERNELS[kernel];
  const kBlocks = Math.ceil(K / tuning.KCMAX);
  const KC = roundUp(Math.ceil(K / kBlocks), UNROLL);
  const Np = roundUp(N, nr);
  let MC = tuning.MC || 192;
  // enough chunks to keep every thread busy
  if (batch < 4 * threads) MC = Math.min(MC, Math.ceil(M / (4 * threads / batch)));
  MC = Math.min(roundUp(Math.max(MC, 1), mr), roundUp(M, mr));
  const chunksPerBatch = Math.ceil(M / MC);
  const scratchBytes = roundUp((kBlocks * KC * Np + MC * KC + MC * Np) * 4, 64);
  return { kernel, MC, KC, kBlocks, Np, chunksPerBatch, scratchBytes };
}

/** Per-thread memory of which B is already packed in this thread's scratch. */
export interface ThreadState { jobId: number; packedBatch: number }

/** Runs chunk `chunk` of the GEMM job in the control block: one batch item × up to MC rows of C. */
export function runMatmulChunk(ex: Exports, c: Int32Array, chunk: number, thread: number, st: ThreadState): void {
  const kernel = c[Ctl.kernel], { mr, nr } = KERNELS[kernel];
  const M = c[Ctl.M], N = c[Ctl.N], K = c[Ctl.K], MC = c[Ctl.MC], KC = c[Ctl.KC];
  const cpb = c[Ctl.chunksPerBatch];
  const bi = Math.floor(chunk / cpb), i0 = (chunk - bi * cpb) * MC, rows = Math.min(MC, M - i0);
  const Np = roundUp(N, nr), kBlocks = Math.ceil(K / KC);
  const base = c[Ctl.scratchBase] + thread * c[Ctl.scratchBytes];
  const bPack = base, aPack = bPack + kBlocks * KC * Np * 4, cBuf = aPack + MC * KC * 4;
  const aRS = c[Ctl.aRS], aCS = c[Ctl.aCS], bRS = c[Ctl.bRS], bCS = c[Ctl.bCS], bias = c[Ctl.biasBase], res = c[Ctl.resBase];
  const resDelta = res - c[Ctl.outBase]; // the residual's address less the output's (same layout)
  const packA = ex.pack.get(mr)!, packB = ex.pack.get(nr)!, gemm = ex.gemm[kernel];

  const bKey = c[Ctl.bBS] === 0 ? 0 : bi;
  if (st.jobId !== c[Ctl.jobId] || st.packedBatch !== bKey) {
    const bSrc = c[Ctl.bBase] + bKey * c[Ctl.bBS];
    for (let q = 0; q < kBlocks; q++) {
      const k0 = q * KC, kc = Math.min(KC, K - k0);
      // touched first, as A's blocks below (the backward's dW = Gᵀ x packs all of x here)
      if (touches(c, kc * N * 4)) {
        if (bCS === 4) ex.touchRows(bSrc + k0 * bRS, bRS, kc, N * 4);
        else if (bRS === 4) ex.touchRows(bSrc + k0 * bRS, bCS, N, kc * 4);
      }
      packB(bSrc + k0 * bRS, bCS, bRS, N, kc, roundUp(kc, UNROLL), bPack + q * KC * Np * 4);
    }
    st.jobId = c[Ctl.jobId];
    st.packedBatch = bKey;
  }
  const aSrc = c[Ctl.aBase] + bi * c[Ctl.aBS] + i0 * aRS;
  const mPanels = Math.ceil(rows / mr), nPanels = Np / nr;
  const cOut = c[Ctl.outBase] + (bi * M + i0) * N * 4;
  // whole tiles write straight into the output rows; ragged edges go through the padded buffer
  const direct = N === Np && rows % mr === 0;
  for (let q = 0; q < kBlocks; q++) {
    const k0 = q * KC, kc = Math.min(KC, K - k0), kcPad = roundUp(kc, UNROLL);
    // this block of A first touched by independent loads (touchRows), its cache misses overlapped: the pack's
    // own reads would wait on them in turn (−1.2 ms of 66 on the reference ViT's inference, one thread)
    if (touches(c, rows * kc * 4)) {
      if (aCS === 4) ex.touchRows(aSrc + k0 * aCS, aRS, rows, kc * 4);
      else if (aRS === 4) ex.touchRows(aSrc + k0 * aCS, aCS, kc, rows * 4);
    }
    packA(aSrc + k0 * aCS, aRS, aCS, rows, kc, kcPad, aPack);
    const last = q === kBlocks - 1;
    // the residual (same layout as the output) in the store where the tiles are the output's, else after the copy
    const flags = (q > 0 ? GemmFlags.accumulate : 0) | (last && bias !== 0 ? GemmFlags.bias : 0) | (last && direct && res !== 0 ? GemmFlags.residual : 0);
    gemm(aPack, bPack + q * KC * Np * 4, kcPad / UNROLL, mPanels, nPanels, direct ? cOut : cBuf, direct ? N * 4 : Np * 4, flags, bias, resDelta);
  }
  if (direct) return;
  ex.copyRows(cBuf, Np * 4, cOut, N * 4, rows, N * 4);
  if (res !== 0) ex.binary.get('add_vv')!(cOut, 0, N * 4, cOut + resDelta, 0, N * 4, cOut, 1, rows, N);
}

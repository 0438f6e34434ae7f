// Fused multi-head attention on the GEMM kernels: one job, a chunk per group of heads of a batch element (its
// operands' rows touched first). A thread reads each head's slices of q, k, v straight out of the [B, N, H·hd]
// tensors (the head split is a stride: A operands in place, B operands packed), runs the products and the
// softmax in its own scratch, and writes its head's columns of the output (the head merge is copyRows'
// stride): no split or merge copies, no [B·H, N, N] scores, one job instead of five; a forward head whose
// products fit one k block is one wasm call (attention-head-kernel.ts). The products use the multiply-add and
// k blocking that the batched matmul uses for the same shapes, so the results equal the composed path's bit
// for bit.
import { Ctl } from './protocol.js';
import { KERNELS, STRIDED_KERNELS, type Exports } from './runtime.js';
import { GemmFlags, UNROLL } from './matmul-kernel.js';
import { bitsF32 } from './rows-kernel.js';
import { pickKernel, tuning } from './matmul.js';
import { HeadFlags } from './attention-head-kernel.js';

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;
/** The strided-A kernels' tile. */
const STRIDED = STRIDED_KERNELS[0];
const MAX_MR = STRIDED.mr, MAX_NR = STRIDED.nr;
/** Floats of slack after each scratch buffer (a kernel may read a vector past its panel's last float). */
const SLACK = 16;

/** An operand of a product: byte address of element (0, 0), and the byte strides of its rows and columns. */
interface Operand { at: number; rs: number; cs: number }

/** One thread's scratch: a packed B block, the padded score tile, a contiguous [N, N], the output tile, a scaled q slice. */
interface Scratch { bPack: number; scores: number; square: number; tile: number; qCopy: number }

function kcBound(k: number): number {
  return roundUp(Math.min(tuning.KCMAX, k), UNROLL);
}

/** Scratch bytes a thread needs for sequences of n and heads of hd. */
export function attentionScratchBytes(n: number, hd: number): number {
  const kc = kcBound(Math.max(n, hd)), rows = n + MAX_MR, wide = Math.max(n, hd) + MAX_NR;
  const floats = kc * wide + rows * (n + MAX_NR) + n * n + rows * (hd + MAX_NR) + n * hd + 5 * SLACK;
  return roundUp(floats * 4, 64);
}

function layout(base: number, n: number, hd: number): Scratch {
  const kc = kcBound(Math.max(n, hd)), rows = n + MAX_MR, wide = Math.max(n, hd) + MAX_NR;
  let at = base;
  const take = (floats: number) => { const a = at; at += (floats + SLACK) * 4; return a; };
  return { bPack: take(kc * wide), scores: take(rows * (n + MAX_NR)), square: take(n * n), tile: take(rows * (hd + MAX_NR)), qCopy: take(n * hd) };
}

/** x[0, n) *= s in place, s read from the control block's scale slot: the rounding of a tensor times a scalar. */
function scale(ex: Exports, at: number, n: number): void {
  ex.binary.get('mul_vs')!(at, 0, 0, Ctl.atScale * 4, 0, 0, at, 1, 1, n);
}

/**
 * C (ldc bytes a row, whole tiles: room for M rounded up to STRIDED.mr rows and N to STRIDED.nr columns) = A·B
 * for [M, K] A, read in place, and [K, N] B, packed; scaleB multiplies B's packed copy by the scale in the
 * control block (as scaling B first would). Uses the fused multiply-add exactly where the batched matmul would
 * for the same shapes, and its k blocking, so the bits agree. Returns the row stride of C.
 */
function product(ex: Exports, sc: Scratch, a: Operand, b: Operand, M: number, N: number, K: number, c: number, scaleB = false): number {
  const relaxed = KERNELS[pickKernel(M, N)].relaxed === true;
  const kBlocks = Math.ceil(K / tuning.KCMAX), KC = roundUp(Math.ceil(K / kBlocks), UNROLL);
  const Np = roundUp(N, STRIDED.nr);
  const packB = ex.pack.get(STRIDED.nr)!, gemm = ex.gemmA.get(relaxed)!;
  for (let q = 0; q < kBlocks; q++) {
    const k0 = q * KC, kc = Math.min(KC, K - k0), kcPad = roundUp(kc, UNROLL);
    packB(b.at + k0 * b.rs, b.cs, b.rs, N, kc, kcPad, sc.bPack);
    if (scaleB) scale(ex, sc.bPack, Np * kcPad);
    gemm(a.at + k0 * a.cs, a.rs, a.cs, M, sc.bPack, kc, kcPad, Np / STRIDED.nr, c, Np * 4, q > 0 ? GemmFlags.accumulate : 0);
  }
  return Np * 4;
}

/** Whether s is a power of two: then (s·q) kᵀ = q (s·k)ᵀ exactly (the scale moves to the packed B). */
const powerOfTwo = (s: number): boolean => s > 0 && Number.isFinite(s) && Math.log2(s) === Math.round(Math.log2(s));

/**
 * Runs chunk `chunk` (atGroup heads of one batch element) of the attention job in the control block, on any thread.
 *   forward:  P = softmax((s·q) kᵀ);  y = P v
 *   backward: dv = Pᵀ dy;  dP = dy vᵀ;  dS = P (dP − Σ dP·P);  dq = s · dS k;  dk = dSᵀ (s·q)
 */
export function runAttentionChunk(ex: Exports, c: Int32Array, chunk: number, thread: number): void {
  const group = c[Ctl.atGroup], first = chunk * group, heads = c[Ctl.atHeads], n = c[Ctl.atSeq], hd = c[Ctl.atHeadSize];
  const b = Math.floor(first / heads), h0 = first % heads;
  touchGroup(ex, c, b, h0);
  if (c[Ctl.atBackward] === 0 && hd <= tuning.KCMAX && n <= tuning.KCMAX) {
    // both products in one k block: each head in one wasm call (attention-head-kernel.ts), the steps runHead takes
    const sc = layout(c[Ctl.atScratch] + thread * c[Ctl.atScratchBytes], n, hd);
    const d = heads * hd, inRow = c[Ctl.atInRow] * 4, flags = headFlags(c, n, hd);
    const inAt = b * n * inRow, outAt = b * n * d * 4;
    for (let h = h0; h < h0 + group; h++) {
      const pAt = c[Ctl.atP] === 0 ? sc.square : c[Ctl.atP] + (b * heads + h) * n * n * 4;
      ex.attentionHead(c[Ctl.atQ] + inAt + h * hd * 4, c[Ctl.atK] + inAt + h * hd * 4, c[Ctl.atV] + inAt + h * hd * 4,
        c[Ctl.atOut] + outAt + h * hd * 4, pAt, inRow, d * 4, n, hd, sc.bPack, sc.scores, sc.tile, sc.qCopy,
        flags, roundUp(hd, UNROLL), roundUp(n, UNROLL), roundUp(n, STRIDED.nr), roundUp(hd, STRIDED.nr));
    }
    return;
  }
  for (let i = 0; i < group; i++) runHead(ex, c, first + i, thread);
}

/** attentionHead's flags: the scale's exactness (a power of two) and each product's multiply-add, as product() picks them. */
function headFlags(c: Int32Array, n: number, hd: number): number {
  return (powerOfTwo(bitsF32(c[Ctl.atScale])) ? HeadFlags.exactScale : 0) | (KERNELS[pickKernel(n, n)].relaxed ? HeadFlags.relaxedQK : 0) |
    (KERNELS[pickKernel(n, hd)].relaxed ? HeadFlags.relaxedPV : 0);
}

/**
 * Brings the group's columns of every tensor the job reads or writes into cache first, all lines' misses at
 * once (see touchRows): the kernels below read them along strided rows, where each miss would stall in turn.
 */
function touchGroup(ex: Exports, c: Int32Array, b: number, h: number): void {
  const heads = c[Ctl.atHeads], n = c[Ctl.atSeq], hd = c[Ctl.atHeadSize], group = c[Ctl.atGroup];
  const d = heads * hd, inRow = c[Ctl.atInRow];
  const slots = c[Ctl.atBackward] === 0 ? [Ctl.atQ, Ctl.atK, Ctl.atV, Ctl.atOut] : [Ctl.atOut, Ctl.atQ, Ctl.atK, Ctl.atV, Ctl.atDq, Ctl.atDk, Ctl.atDv];
  for (const slot of slots) {
    if (c[slot] === 0) continue;
    const row = (slot === Ctl.atQ || slot === Ctl.atK || slot === Ctl.atV ? inRow : d) * 4;
    ex.touchRows(c[slot] + b * n * row + h * hd * 4, row, n, group * hd * 4);
  }
}

/** Runs the attention of one (batch, head) pair, `chunk` = batch · heads + head: the backward, and products past one k block. */
function runHead(ex: Exports, c: Int32Array, chunk: number, thread: number): void {
  const heads = c[Ctl.atHeads], n = c[Ctl.atSeq], hd = c[Ctl.atHeadSize];
  const d = heads * hd, b = Math.floor(chunk / heads), h = chunk - b * heads, inRow = c[Ctl.atInRow];
  const sc = layout(c[Ctl.atScratch] + thread * c[Ctl.atScratchBytes], n, hd);
  // q, k, v rows are inRow floats apart (D, or 3D for the thirds of one qkv tensor); every other tensor's D
  const isInput = (slot: Ctl): boolean => slot === Ctl.atQ || slot === Ctl.atK || slot === Ctl.atV;
  const rowOf = (slot: Ctl): number => (isInput(slot) ? inRow : d) * 4;
  const at = (slot: Ctl): number => c[slot] + (b * n * rowOf(slot) + h * hd * 4);
  // a head's [N, hd] slice, and its transpose, as operands
  const slice = (slot: Ctl): Operand => ({ at: at(slot), rs: rowOf(slot), cs: 4 });
  const sliceT = (slot: Ctl): Operand => ({ at: at(slot), rs: 4, cs: rowOf(slot) });
  const pAt = c[Ctl.atP] === 0 ? sc.square : c[Ctl.atP] + chunk * n * n * 4;
  const square: Operand = { at: pAt, rs: n * 4, cs: 4 }, squareT: Operand = { at: pAt, rs: 4, cs: n * 4 };
  /** the [N, hd] result in the tile, to this head's columns of the tensor in `slot` */
  const writeOut = (slot: Ctl, ld: number) => ex.copyRows(sc.tile, ld, at(slot), d * 4, n, hd * 4);

  if (c[Ctl.atBackward] === 0) {
    // S = (s·q) kᵀ, with the scale on the packed kᵀ when that is exact, else on a copy of q's slice
    let q = slice(Ctl.atQ);
    const exact = powerOfTwo(bitsF32(c[Ctl.atScale]));
    if (!exact) {
      ex.copyRows(q.at, q.rs, sc.qCopy, hd * 4, n, hd * 4);
      scale(ex, sc.qCopy, n * hd);
      q = { at: sc.qCopy, rs: hd * 4, cs: 4 };
    }
    const ld = product(ex, sc, q, sliceT(Ctl.atK), n, n, hd, sc.scores, exact);
    ex.softmax(sc.scores, ld, pAt, n, n);
    writeOut(Ctl.atOut, product(ex, sc, square, slice(Ctl.atV), n, hd, n, sc.tile));
    return;
  }
  if (c[Ctl.atDv] !== 0) writeOut(Ctl.atDv, product(ex, sc, squareT, slice(Ctl.atOut), n, hd, n, sc.tile));
  if (c[Ctl.atDq] === 0 && c[Ctl.atDk] === 0) return;
  const ld = product(ex, sc, slice(Ctl.atOut), sliceT(Ctl.atV), n, n, hd, sc.scores);
  const ds = sc.square;
  ex.copyRows(sc.scores, ld, ds, n * 4, n, n * 4);
  ex.softmaxBackward(pAt, ds, ds, n, n);
  const dS: Operand = { at: ds, rs: n * 4, cs: 4 }, dST: Operand = { at: ds, rs: 4, cs: n * 4 };
  if (c[Ctl.atDq] !== 0) {
    const ldq = product(ex, sc, dS, slice(Ctl.atK), n, hd, n, sc.tile);
    scale(ex, sc.tile, n * (ldq / 4));
    writeOut(Ctl.atDq, ldq);
  }
  if (c[Ctl.atDk] !== 0) writeOut(Ctl.atDk, product(ex, sc, dST, slice(Ctl.atQ), n, hd, n, sc.tile, true));
}

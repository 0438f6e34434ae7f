// One attention head's forward as one wasm function, calling the kernels the JavaScript driver would call in
// turn (attention-kernel.ts: runHead), with the same arguments: one call from JavaScript a head instead of
// eight (each crossing costs about as much as a small kernel). The single-k-block case (N and the head size
// within the GEMM's k block); runHead keeps the general one.
import { Code, FuncDef, T } from './emitter.js';
import { Ctl } from './protocol.js';

/** Bits of attentionHead's `flags`. */
export const enum HeadFlags { exactScale = 1, relaxedQK = 2, relaxedPV = 4 }

/** Byte address of the scale (float32 bits) in the control block: the mul_vs kernel reads its scalar there. */
const SCALE_AT = Ctl.atScale * 4;

/**
 * attentionHead(q, k, v, out, p, inRow, dRow, n, hd, bPack, scores, tile, qCopy, flags, kPadQK, kPadPV, npQK, npPV):
 * byte addresses and row strides (inRow: q, k, v; dRow: out); scratch blocks as attention-kernel.ts lays them
 * out; kPad* the padded k of each product, np* its N rounded to the tile's columns. `index(name)` gives a
 * function's index in the module; `nr` is the strided-A kernels' tile width.
 *   S = (s·q) kᵀ (s on the packed kᵀ when exactScale, else on a copy of q);  P = softmax(S) into p;  out = P v
 */
export function emitAttentionHead(index: (name: string) => number, gemmA: string, gemmAr: string, nr: number): FuncDef {
  const [q, kk, v, out, p, inRow, dRow, n, hd, bPack, scores, tile, qCopy, flags, kPadQK, kPadPV, npQK, npPV] = Array.from({ length: 18 }, (_, i) => i);
  const aAt = 18, aRs = 19;
  const shift = Math.log2(nr); // panels = np / nr
  if (!Number.isInteger(shift)) throw new Error(`attentionHead: tile width ${nr} is not a power of two`);
  const k = new Code();
  const pack = index(`pack${nr}`), mulVs = index('bin_mul_vs'), copyRows = index('copyRows'), softmax = index('softmax');
  const plain = index(gemmA), relaxed = index(gemmAr);
  const scale = (at: number, count: () => void) => { k.get(at).i32(0).i32(0).i32(SCALE_AT).i32(0).i32(0).get(at).i32(1).i32(1); count(); k.call(mulVs); };
  /** gemmA(a, ars, acs = 4, M = n, bPack, K, kPad, panels, c, ldc, 0), the fused multiply-add kernel when `bit` is set */
  const gemm = (bit: HeadFlags, args: () => void) => {
    k.get(flags).i32(bit).and_().if_(); args(); k.call(relaxed); k.else_(); args(); k.call(plain); k.end();
  };
  // the A operand of S: q in place, or a scaled copy of its slice
  k.get(q).set(aAt).get(inRow).set(aRs);
  k.get(flags).i32(HeadFlags.exactScale).and_().i32Eqz().if_();
  k.get(q).get(inRow).get(qCopy).get(hd).i32(4).i32Mul().get(n).get(hd).i32(4).i32Mul().call(copyRows);
  scale(qCopy, () => k.get(n).get(hd).i32Mul());
  k.get(qCopy).set(aAt).get(hd).i32(4).i32Mul().set(aRs);
  k.end();
  // kᵀ packed [hd, npQK] (its columns are k's rows), scaled there when exact
  k.get(kk).get(inRow).i32(4).get(n).get(hd).get(kPadQK).get(bPack).call(pack);
  k.get(flags).i32(HeadFlags.exactScale).and_().if_();
  scale(bPack, () => k.get(npQK).get(kPadQK).i32Mul());
  k.end();
  gemm(HeadFlags.relaxedQK, () => k.get(aAt).get(aRs).i32(4).get(n).get(bPack).get(hd).get(kPadQK).get(npQK).i32(shift).i32Shr().get(scores).get(npQK).i32(4).i32Mul().i32(0));
  k.get(scores).get(npQK).i32(4).i32Mul().get(p).get(n).get(n).call(softmax);
  // v packed [n, npPV]; out tile = P v, then to this head's columns of out
  k.get(v).i32(4).get(inRow).get(hd).get(n).get(kPadPV).get(bPack).call(pack);
  gemm(HeadFlags.relaxedPV, () => k.get(p).get(n).i32(4).i32Mul().i32(4).get(n).get(bPack).get(n).get(kPadPV).get(npPV).i32(shift).i32Shr().get(tile).get(npPV).i32(4).i32Mul().i32(0));
  k.get(tile).get(npPV).i32(4).i32Mul().get(out).get(dRow).get(n).get(hd).i32(4).i32Mul().call(copyRows);
  return { name: 'attentionHead', params: Array(18).fill(T.i32), locals: [T.i32, T.i32], body: k };
}

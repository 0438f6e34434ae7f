// A GEMM micro-kernel that reads A in place, through strides, instead of from packed panels: for the small
// products of attention (K = the head size or the sequence length, a few dozen), where packing A costs as
// much as the product. B is packed as for emitGemm. Each element's sum runs over k in order with the same
// multiply-add as the packed kernel of the same `relaxed`, so the two give the same bits.
import { Code, FuncDef, T } from './emitter.js';
import { emitTileStart, emitTileStore } from './matmul-kernel.js';

export interface StridedShape { mr: number; nr: number; relaxed: boolean }

export const stridedKernelName = (s: StridedShape) => `gemmA${s.mr}x${s.nr}${s.relaxed ? 'r' : ''}`;

/**
 * gemmA(a, ars, acs, M, bp, K, kPad, nPanels, c, ldc, flags): element (r, k) of A at a + r·ars + k·acs (bytes);
 * B packed in panels of NR columns, each [kPad][NR]; for every panel and every MR rows of A (the rows past M
 * read row M − 1, whose results land in C's padding), C[tile] (+)= A·B over K, stored with row stride ldc.
 */
export function emitGemmStridedA(shape: StridedShape): FuncDef {
  const { mr, nr, relaxed } = shape, nv = nr / 4;
  const [a, ars, acs, M, bp, K, kPad, nPanels, c, ldc, flags] = Array.from({ length: 11 }, (_, i) => i);
  let next = 11;
  const jp = next++, row = next++, apan = next++, bpan = next++, cpan = next++, ctile = next++, bcur = next++, kk = next++;
  const crow = next++, last = next++;
  const ptr: number[] = [];
  for (let r = 0; r < mr; r++) ptr.push(next++);
  const i32Count = next - 11;
  const acc: number[][] = [];
  for (let r = 0; r < mr; r++) { acc.push([]); for (let v = 0; v < nv; v++) acc[r].push(next++); }
  const bv: number[] = [];
  for (let v = 0; v < nv; v++) bv.push(next++);
  const av = next++;
  const locals: T[] = [...Array(i32Count).fill(T.i32), ...Array(next - 11 - i32Count).fill(T.v128)];

  const k = new Code();
  // last = a + (M − 1)·ars: where the rows past M read
  k.get(a).get(M).i32(1).i32Sub().get(ars).i32Mul().i32Add().set(last);
  k.get(nPanels).set(jp).get(bp).set(bpan).get(c).set(cpan);
  k.loop(); // over column panels
  k.i32(0).set(row).get(a).set(apan).get(cpan).set(ctile);
  k.loop(); // over row panels
  for (let r = 0; r < mr; r++) {
    // ptr[r] = row + r < M ? apan + r·ars : last
    k.get(apan).get(ars).i32(r).i32Mul().i32Add().get(last).get(row).i32(r).i32Add().get(M).i32LtS().select().set(ptr[r]);
  }
  const tile = { flags, ctile, crow, ldc, acc };
  emitTileStart(k, tile);
  k.get(bpan).set(bcur).get(K).set(kk);
  k.loop(); // over k
  for (let v = 0; v < nv; v++) k.get(bcur).v128Load(v * 16).set(bv[v]);
  for (let r = 0; r < mr; r++) {
    k.get(ptr[r]).v128Load32Splat().set(av);
    for (let v = 0; v < nv; v++) {
      if (relaxed) k.get(av).get(bv[v]).get(acc[r][v]).f32x4RelaxedMadd().set(acc[r][v]);
      else k.get(acc[r][v]).get(av).get(bv[v]).f32x4Mul().f32x4Add().set(acc[r][v]);
    }
    k.get(ptr[r]).get(acs).i32Add().set(ptr[r]);
  }
  k.get(bcur).i32(nr * 4).i32Add().set(bcur);
  k.get(kk).i32(1).i32Sub().tee(kk).brIf(0);
  k.end();
  emitTileStore(k, tile);
  k.get(apan).get(ars).i32(mr).i32Mul().i32Add().set(apan);
  k.get(ctile).get(ldc).i32(mr).i32Mul().i32Add().set(ctile);
  k.get(row).i32(mr).i32Add().tee(row).get(M).i32LtS().brIf(0);
  k.end();
  k.get(bpan).get(kPad).i32(nr * 4).i32Mul().i32Add().set(bpan);
  k.get(cpan).i32(nr * 4).i32Add().set(cpan);
  k.get(jp).i32(1).i32Sub().tee(jp).brIf(0);
  k.end();
  return { name: stridedKernelName(shape), params: Array(11).fill(T.i32), locals, body: k };
}

// Emitted wasm for the GEMM: panel packing and a register-blocked MR×NR micro-kernel.
// Packed layouts (all f32, k padded with zeros to a multiple of UNROLL):
//   A block: panels of MR rows, each [kcPad][MR];  B block: panels of NR columns, each [kcPad][NR].
import { Code, FuncDef, T } from './emitter.js';

export const UNROLL = 4;

/**
 * mr×nr accumulator tile. aBcast: how A(r,k) is broadcast: 'load' = v128.load32_splat per element, 'shuffle' =
 * one v128.load of 4 rows then a lane-broadcast shuffle per row (cheaper on x64). bInReg: keep the B vectors
 * of a k step in locals (else each use loads from memory, saving registers).
 */
export interface KernelShape {
  mr: number; nr: number; aBcast?: 'load' | 'shuffle'; bInReg?: boolean; relaxed?: boolean; unroll?: 1 | 2 | 4;
}

export const kernelName = (s: KernelShape) =>
  `gemm${s.mr}x${s.nr}${s.aBcast === 'shuffle' ? 's' : ''}${s.bInReg === false ? 'm' : ''}${s.relaxed ? 'r' : ''}u${s.unroll ?? 4}`;

const laneBroadcast = (l: number) => Array.from({ length: 16 }, (_, i) => l * 4 + (i & 3));

/**
 * gemm's `flags`: add to C's tile instead of overwriting it; add bias[j] to column j before storing; then add
 * the residual's tile (at C's tile address + resDelta, C's row stride) before storing.
 */
export const enum GemmFlags { accumulate = 1, bias = 2, residual = 4 }

/** Locals of a micro-kernel's C tile: the flags param, the tile's address, a row pointer, the row stride, acc[row][vector]. */
export interface TileLocals { flags: number; ctile: number; crow: number; ldc: number; acc: number[][] }

/**
 * Walks a tile's rows ldc bytes apart from the address first() pushes, crow pointing at each row in turn:
 * each(a, v) for accumulator a, vector v of the row.
 */
function emitTileRows(k: Code, { crow, ldc, acc }: TileLocals, first: () => void, each: (a: number, v: number) => void): void {
  first();
  k.set(crow);
  acc.forEach((row, r) => {
    row.forEach((a, v) => each(a, v));
    if (r < acc.length - 1) k.get(crow).get(ldc).i32Add().set(crow);
  });
}

/** Sets the accumulators to C's tile when the flags ask to accumulate, else to zeros. */
export function emitTileStart(k: Code, tile: TileLocals): void {
  k.get(tile.flags).i32(GemmFlags.accumulate).and_().if_();
  emitTileRows(k, tile, () => k.get(tile.ctile), (a, v) => k.get(tile.crow).v128Load(v * 16).set(a));
  k.else_();
  for (const row of tile.acc) for (const a of row) k.v128Const([0, 0, 0, 0]).set(a);
  k.end();
}

/** Adds the tile of the same layout `delta` bytes from C's (a local) to the accumulators. */
function emitTileAdd(k: Code, tile: TileLocals, delta: number): void {
  emitTileRows(k, tile, () => k.get(tile.ctile).get(delta).i32Add(), (a, v) => k.get(a).get(tile.crow).v128Load(v * 16).f32x4Add().set(a));
}

/** Stores the accumulators to C's tile. */
export function emitTileStore(k: Code, tile: TileLocals): void {
  emitTileRows(k, tile, () => k.get(tile.ctile), (a, v) => k.get(tile.crow).get(a).v128Store(v * 16));
}

/**
 * gemm(ap, bp, kSteps, mPanels, nPanels, c, ldc, flags, bias, resDelta): for every NR-column panel of B and
 * every MR-row panel of A, C[tile] (+)= Apanel · Bpanel over kSteps*UNROLL k, then (+ bias, flags & bias)
 * (+ residual, flags & residual: the tile at C's + resDelta bytes) stored. c, ldc and bias (NR-padded, one
 * float a column) are byte addresses/strides. Bias and residual are added to the finished float32 sum, in that
 * order, so the result rounds as the separate adds would.
 */
export function emitGemm(shape: KernelShape): FuncDef {
  const { mr, nr, relaxed } = shape, unroll = shape.unroll ?? UNROLL, shuffle = shape.aBcast === 'shuffle', bInReg = shape.bInReg !== false;
  const nv = nr / 4;
  const [ap, bp, kSteps, mPanels, nPanels, c, ldc, accum, bias, resDelta] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  let next = 10;
  const jp = next++, ip = next++, apan = next++, bpan = next++, cpan = next++, ctile = next++;
  const acur = next++, bcur = next++, kk = next++, crow = next++, aPanelBytes = next++, bPanelBytes = next++;
  const i32Locals = next - 10;
  const acc: number[][] = [];
  for (let r = 0; r < mr; r++) { acc.push([]); for (let v = 0; v < nv; v++) acc[r].push(next++); }
  const bv: number[] = [];
  for (let v = 0; v < nv; v++) bv.push(next++);
  const av = next++, a4 = next++;
  const locals: T[] = [...Array(i32Locals).fill(T.i32), ...Array(next - 10 - i32Locals).fill(T.v128)];

  const k = new Code();
  k.get(kSteps).i32(UNROLL * mr * 4).i32Mul().set(aPanelBytes);
  k.get(kSteps).i32(UNROLL * nr * 4).i32Mul().set(bPanelBytes);
  k.get(nPanels).set(jp).get(bp).set(bpan).get(c).set(cpan);
  k.loop(); // over column panels
  k.get(mPanels).set(ip).get(ap).set(apan).get(cpan).set(ctile);
  k.loop(); // over row panels
  const tile: TileLocals = { flags: accum, ctile, crow, ldc, acc };
  emitTileStart(k, tile);
  k.get(apan).set(acur).get(bpan).set(bcur).get(kSteps).i32(UNROLL / unroll).i32Mul().set(kk);
  k.loop(); // over k, `unroll` steps per trip
  for (let u = 0; u < unroll; u++) {
    if (bInReg) for (let v = 0; v < nv; v++) k.get(bcur).v128Load((u * nr + v * 4) * 4).set(bv[v]);
    const getB = (v: number) => (bInReg ? k.get(bv[v]) : k.get(bcur).v128Load((u * nr + v * 4) * 4));
    for (let r = 0; r < mr; r++) {
      if (!shuffle) k.get(acur).v128Load32Splat((u * mr + r) * 4).set(av);
      else {
        // reads up to 3 floats past the panel on the last k: the scratch layout leaves room after it
        if (r % 4 === 0) k.get(acur).v128Load((u * mr + r) * 4).set(a4);
        k.get(a4).get(a4).i8x16Shuffle(laneBroadcast(r % 4)).set(av);
      }
      for (let v = 0; v < nv; v++) {
        if (relaxed) { k.get(av); getB(v); k.get(acc[r][v]).f32x4RelaxedMadd().set(acc[r][v]); }
        else { k.get(acc[r][v]).get(av); getB(v); k.f32x4Mul().f32x4Add().set(acc[r][v]); }
      }
    }
  }
  k.get(acur).i32(unroll * mr * 4).i32Add().set(acur);
  k.get(bcur).i32(unroll * nr * 4).i32Add().set(bcur);
  k.get(kk).i32(1).i32Sub().tee(kk).brIf(0);
  k.end();
  k.get(accum).i32(GemmFlags.bias).and_().if_();
  // this column panel's bias: bias + (cpan − c), the B registers being free now
  k.get(bias).get(cpan).i32Add().get(c).i32Sub().set(crow);
  for (let v = 0; v < nv; v++) k.get(crow).v128Load(v * 16).set(bv[v]);
  for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) k.get(acc[r][v]).get(bv[v]).f32x4Add().set(acc[r][v]);
  k.end();
  k.get(accum).i32(GemmFlags.residual).and_().if_();
  emitTileAdd(k, tile, resDelta);
  k.end();
  emitTileStore(k, tile);
  k.get(apan).get(aPanelBytes).i32Add().set(apan);
  k.get(ctile).get(ldc).i32(mr).i32Mul().i32Add().set(ctile);
  k.get(ip).i32(1).i32Sub().tee(ip).brIf(0);
  k.end();
  k.get(bpan).get(bPanelBytes).i32Add().set(bpan);
  k.get(cpan).i32(nr * 4).i32Add().set(cpan);
  k.get(jp).i32(1).i32Sub().tee(jp).brIf(0);
  k.end();
  return { name: kernelName(shape), params: Array(10).fill(T.i32), locals, body: k };
}

/** Copies `width` contiguous floats from the address in local src to the address in local dst. */
function copyContiguous(k: Code, src: number, dst: number, width: number): void {
  let o = 0;
  for (; o + 4 <= width; o += 4) k.get(dst).get(src).v128Load(o * 4).v128Store(o * 4);
  for (; o + 2 <= width; o += 2) k.get(dst).get(src).i64Load(o * 4).i64Store(o * 4);
  for (; o < width; o++) k.get(dst).get(src).f32Load(o * 4).f32Store(o * 4);
}

const lanes = (l: number[]) => l.flatMap((i) => [i * 4, i * 4 + 1, i * 4 + 2, i * 4 + 3]);

/**
 * A full panel whose source runs along k (sK = 4 bytes, e.g. Bᵀ of a linear layer): 4×4 blocks are loaded
 * row by row and transposed in registers, so the panel costs W/4 shuffled blocks per 4 k instead of 4W
 * scalar moves. Leftover k (nK mod 4) go one float at a time.
 */
function emitTransposingPack(k: Code, w: number, l: { src: number; sR: number; nK: number; dst: number; kk: number;
  s: number; p: number; v: number[] }): void {
  const { src, sR, nK, dst, kk, s, p, v } = l;
  k.get(src).set(s).get(nK).i32(2).i32Shr().set(kk);
  k.block();
  k.get(kk).i32Eqz().brIf(0);
  k.loop();
  k.get(s).set(p);
  for (let g = 0; g < w / 4; g++) {
    for (let i = 0; i < 4; i++) { k.get(p).v128Load().set(v[i]); k.get(p).get(sR).i32Add().set(p); }
    k.get(v[0]).get(v[1]).i8x16Shuffle(lanes([0, 4, 1, 5])).set(v[4]);
    k.get(v[0]).get(v[1]).i8x16Shuffle(lanes([2, 6, 3, 7])).set(v[5]);
    k.get(v[2]).get(v[3]).i8x16Shuffle(lanes([0, 4, 1, 5])).set(v[6]);
    k.get(v[2]).get(v[3]).i8x16Shuffle(lanes([2, 6, 3, 7])).set(v[7]);
    k.get(dst).get(v[4]).get(v[6]).i8x16Shuffle(lanes([0, 1, 4, 5])).v128Store((0 * w + g * 4) * 4);
    k.get(dst).get(v[4]).get(v[6]).i8x16Shuffle(lanes([2, 3, 6, 7])).v128Store((1 * w + g * 4) * 4);
    k.get(dst).get(v[5]).get(v[7]).i8x16Shuffle(lanes([0, 1, 4, 5])).v128Store((2 * w + g * 4) * 4);
    k.get(dst).get(v[5]).get(v[7]).i8x16Shuffle(lanes([2, 3, 6, 7])).v128Store((3 * w + g * 4) * 4);
  }
  k.get(s).i32(16).i32Add().set(s);
  k.get(dst).i32(16 * w).i32Add().set(dst);
  k.get(kk).i32(1).i32Sub().tee(kk).brIf(0);
  k.end();
  k.end();
  k.get(nK).i32(3).and_().set(kk);
  k.block();
  k.get(kk).i32Eqz().brIf(0);
  k.loop();
  k.get(s).set(p);
  for (let i = 0; i < w; i++) { k.get(dst).get(p).f32Load().f32Store(i * 4); k.get(p).get(sR).i32Add().set(p); }
  k.get(s).i32(4).i32Add().set(s);
  k.get(dst).i32(4 * w).i32Add().set(dst);
  k.get(kk).i32(1).i32Sub().tee(kk).brIf(0);
  k.end();
  k.end();
}

/**
 * pack<W>(src, sR, sK, nR, nK, nKpad, dst): element (r, k) of the source is at src + r*sR + k*sK (bytes);
 * writes panels of W along r, each [nKpad][W], zero-filled past nR and past nK.
 */
export function emitPack(w: number): FuncDef {
  const [src, sR, sK, nR, nK, nKpad, dst] = [0, 1, 2, 3, 4, 5, 6];
  let next = 7;
  const rem = next++, s = next++, kk = next++, r = next++, sr = next++, z = next++;
  const rowPtr: number[] = [];
  for (let i = 0; i < w; i++) rowPtr.push(next++);
  const vecs: number[] = [];
  for (let i = 0; i < 8; i++) vecs.push(next++);
  const locals: T[] = [...Array(next - 7 - 8).fill(T.i32), ...Array(8).fill(T.v128)];
  const k = new Code();
  k.get(nR).set(rem);
  k.loop(); // over panels
  k.get(rem).i32(w).i32GeS().if_();
  {
    k.get(sR).i32(4).i32Eq().if_();
    // rows contiguous: each k is one contiguous run of W floats
    k.get(src).set(s).get(nK).set(kk);
    k.loop();
    copyContiguous(k, s, dst, w);
    k.get(s).get(sK).i32Add().set(s);
    k.get(dst).i32(w * 4).i32Add().set(dst);
    k.get(kk).i32(1).i32Sub().tee(kk).brIf(0);
    k.end();
    k.else_();
    if (w % 4 === 0) {
      k.get(sK).i32(4).i32Eq().if_();
      emitTransposingPack(k, w, { src, sR, nK, dst, kk, s, p: sr, v: vecs });
      k.else_();
    }
    for (let i = 0; i < w; i++) k.get(src).get(sR).i32(i).i32Mul().i32Add().set(rowPtr[i]);
    k.get(nK).set(kk);
    k.loop();
    for (let i = 0; i < w; i++) {
      k.get(dst).get(rowPtr[i]).f32Load().f32Store(i * 4);
      k.get(rowPtr[i]).get(sK).i32Add().set(rowPtr[i]);
    }
    k.get(dst).i32(w * 4).i32Add().set(dst);
    k.get(kk).i32(1).i32Sub().tee(kk).brIf(0);
    k.end();
    if (w % 4 === 0) k.end();
    k.end();
  }
  k.else_();
  {
    // the last, partial panel: rows past nR are zero
    k.get(src).set(s).get(nK).set(kk);
    k.loop();
    k.i32(0).set(r).get(s).set(sr);
    k.loop();
    k.get(r).get(rem).i32LtS().if_();
    k.get(dst).get(sr).f32Load().f32Store();
    k.else_();
    k.get(dst).f32(0).f32Store();
    k.end();
    k.get(dst).i32(4).i32Add().set(dst);
    k.get(sr).get(sR).i32Add().set(sr);
    k.get(r).i32(1).i32Add().tee(r).i32(w).i32LtS().brIf(0);
    k.end();
    k.get(s).get(sK).i32Add().set(s);
    k.get(kk).i32(1).i32Sub().tee(kk).brIf(0);
    k.end();
  }
  k.end();
  // zero the k padding of this panel
  k.get(nKpad).get(nK).i32Sub().i32(w).i32Mul().set(z);
  k.block();
  k.get(z).i32Eqz().brIf(0);
  k.loop();
  k.get(dst).f32(0).f32Store();
  k.get(dst).i32(4).i32Add().set(dst);
  k.get(z).i32(1).i32Sub().tee(z).brIf(0);
  k.end();
  k.end();
  k.get(src).get(sR).i32(w).i32Mul().i32Add().set(src);
  k.get(rem).i32(w).i32Sub().tee(rem).i32(0).i32GtS().brIf(0);
  k.end();
  return { name: `pack${w}`, params: Array(7).fill(T.i32), locals, body: k };
}

/** copyRows(src, srcStride, dst, dstStride, rows, rowBytes): strided rows to strided rows (bytes, multiples of 4). */
export function emitCopyRows(): FuncDef {
  const [src, srcStride, dst, dstStride, rows, rowBytes] = [0, 1, 2, 3, 4, 5];
  const j = 6, vecEnd = 7;
  const k = new Code();
  k.get(rowBytes).i32(-16).and_().set(vecEnd);
  k.block();
  k.get(rows).i32(0).i32LeS().brIf(0);
  k.loop();
  // memory.copy is a call into the runtime: for rows of a few hundred bytes a v128 loop is faster
  k.i32(0).set(j);
  k.block().loop();
  k.get(j).get(vecEnd).i32GeS().brIf(1);
  k.get(dst).get(j).i32Add().get(src).get(j).i32Add().v128Load().v128Store();
  k.get(j).i32(16).i32Add().set(j).br(0);
  k.end().end();
  k.block().loop();
  k.get(j).get(rowBytes).i32GeS().brIf(1);
  k.get(dst).get(j).i32Add().get(src).get(j).i32Add().f32Load().f32Store();
  k.get(j).i32(4).i32Add().set(j).br(0);
  k.end().end();
  k.get(src).get(srcStride).i32Add().set(src);
  k.get(dst).get(dstStride).i32Add().set(dst);
  k.get(rows).i32(1).i32Sub().tee(rows).brIf(0);
  k.end();
  k.end();
  return { name: 'copyRows', params: Array(6).fill(T.i32), locals: [T.i32, T.i32], body: k };
}

/**
 * touchRows(src, stride, rows, rowBytes) → i32: loads one word of every 64-byte line of `rows` strided rows
 * (bytes) and returns their xor. The loads are independent, so the core overlaps their cache misses: run on
 * operands about to be read along strided rows, where each miss would otherwise stall a kernel in turn.
 */
export function emitTouchRows(): FuncDef {
  const [src, stride, rows, rowBytes] = [0, 1, 2, 3];
  const j = 4, acc = 5;
  const k = new Code();
  k.block();
  k.get(rows).i32(0).i32LeS().brIf(0);
  k.get(rowBytes).i32(4).i32Sub().set(rowBytes);
  k.loop();
  k.i32(0).set(j);
  k.block().loop();
  k.get(j).get(rowBytes).i32GeS().brIf(1);
  k.get(acc).get(src).get(j).i32Add().i32Load().i32Xor().set(acc);
  k.get(j).i32(64).i32Add().set(j).br(0);
  k.end().end();
  // the row's last word: its line when the row does not start on a line
  k.get(acc).get(src).get(rowBytes).i32Add().i32Load().i32Xor().set(acc);
  k.get(src).get(stride).i32Add().set(src);
  k.get(rows).i32(1).i32Sub().tee(rows).brIf(0);
  k.end();
  k.end();
  k.get(acc);
  return { name: 'touchRows', params: Array(4).fill(T.i32), results: [T.i32], locals: [T.i32, T.i32], body: k };
}

// Emitted wasm for row-wise kernels over contiguous [rows, cols] f32 (softmax here, layernorm beside it),
// forward and backward. Columns go eight, then four at a time, then a scalar tail; exp is a polynomial in wasm.
import { Code, FuncDef, T } from './emitter.js';
import { forColsUnrolled, forRows, Locals, reduce, rowEnds, splat } from './emit-helpers.js';
import { Ctl, DATA_BASE } from './protocol.js';
import type { Exports } from './runtime.js';

// exp(d) for d ≤ 0 (d = x − rowmax) = 2^n · e^r with n = round(d·log2 e), r = d − n·ln 2 (ln 2 split in two so
// n·ln2_hi is exact) and e^r = 1 + c1 r + ... + c5 r⁵: XNNPACK's rr2-p5 coefficients, 9.2e-8 relative on
// |r| ≤ ln2/2 (checked against float64 exp).
// (0x1.0F9F9Cp-7, 0x1.573A1Ap-5, 0x1.555A80p-3, 0x1.FFFDC6p-2, 0x1.FFFFF6p-1 in C hex-float notation)
const EXP_POLY = [0.008289290592074394, 0.04189782217144966, 0.16667652130126953, 0.4999915063381195, 0.9999997019767761, 1];
/** 1.5·2^23: adding it rounds d·log2 e to the integer n and leaves n in the low mantissa bits (for 2^n) */
const ROUND_MAGIC = 12582912;
/** below this exp underflows (2^n would leave the normal range): the result is exactly 0, exp(−∞) included */
const EXP_MIN = -87.3;
const TABLE = [Math.LOG2E, ROUND_MAGIC, 0.693359375, -2.12194440e-4, EXP_MIN, ...EXP_POLY];
const [LOG2E, MAGIC, LN2_HI, LN2_LO, MIN, C5, C4, C3, C2, C1, ONE] = TABLE.keys();
/** The softmax kernels' constants, four lanes each; the caller stages them at byte address DATA_BASE. */
export const SOFTMAX_TABLE = new Float32Array(TABLE.flatMap((x) => [x, x, x, x]));

/**
 * Pushes constant i of TABLE. V8 11.3 rebuilds every v128.const inside the loop (3 instructions each), so the
 * constants are loaded from the table in memory, once per call, into locals.
 */
type Constants = (i: number) => void;
function loadConstants(k: Code, L: Locals): Constants {
  const locals = TABLE.map((_, i) => { const l = L.add(T.v128); k.i32(0).v128Load(DATA_BASE + 16 * i).set(l); return l; });
  return (i) => { k.get(locals[i]); };
}

/** f32x4.pmax (b > a ? b : a): one maxps, where f32x4.max costs several for its NaN rules; the emitter lacks it */
function f32x4Pmax(k: Code): Code { k.b.push(0xfd, 0xeb, 0x01); return k; }

/** One exp chain's locals: its input d, then the chain's intermediates; the result is left in `e`. */
interface ExpChain { d: number; t: number; n: number; r: number; r2: number; p: number; q: number; e: number }

/**
 * Sets chain.e = exp(chain.d) lane-wise for d ≤ 0 (or NaN), for each chain; exactly 0 below EXP_MIN. The
 * loop over a row is bound by this chain's latency (the FP scheduler holds only a few iterations), hence n by
 * f32x4.nearest beside the magic-number add, the polynomial by Estrin, 1 + c1 r + r²(c2 + c3 r) + r⁴(c4 + c5 r),
 * and several chains emitted step by step side by side, so the scheduler holds independent work. Each chain's
 * operations and their operands are the same whatever the number of chains: the bits do not depend on it.
 */
function emitExps(k: Code, c: Constants, chains: readonly ExpChain[], fused = false): void {
  const each = (f: (t: ExpChain) => void) => chains.forEach(f);
  each((t) => { k.get(t.d); c(LOG2E); k.f32x4Mul().tee(t.n); c(MAGIC); k.f32x4Add().set(t.t); });
  each((t) => { k.get(t.n).f32x4Nearest().set(t.n); });
  if (fused) {
    // the same steps with a·b + c as one relaxed multiply-add: 8 FP instructions instead of 15
    each((t) => { k.get(t.n); c(LN2_HI); k.get(t.d).f32x4RelaxedNmadd().set(t.r); });
    each((t) => { k.get(t.n); c(LN2_LO); k.get(t.r).f32x4RelaxedNmadd().tee(t.r).get(t.r).f32x4Mul().set(t.r2); });
    each((t) => { k.get(t.r); c(C5); c(C4); k.f32x4RelaxedMadd().set(t.p); });
    each((t) => { k.get(t.r2); k.get(t.r); c(C3); c(C2); k.f32x4RelaxedMadd(); k.get(t.r); c(C1); c(ONE); k.f32x4RelaxedMadd(); k.f32x4RelaxedMadd().set(t.q); });
    each((t) => { k.get(t.r2).get(t.r2).f32x4Mul().get(t.p).get(t.q).f32x4RelaxedMadd().set(t.e); });
  } else {
    each((t) => { k.get(t.d).get(t.n); c(LN2_HI); k.f32x4Mul().f32x4Sub().get(t.n); c(LN2_LO); k.f32x4Mul().f32x4Sub().tee(t.r).get(t.r).f32x4Mul().set(t.r2); });
    each((t) => { k.get(t.r); c(C5); k.f32x4Mul(); c(C4); k.f32x4Add().get(t.r2).get(t.r2).f32x4Mul().f32x4Mul().set(t.p); });
    each((t) => { k.get(t.r); c(C1); k.f32x4Mul(); c(ONE); k.f32x4Add(); k.get(t.r); c(C3); k.f32x4Mul(); c(C2); k.f32x4Add().get(t.r2).f32x4Mul().f32x4Add().set(t.q); });
    each((t) => { k.get(t.q).get(t.p).f32x4Add().set(t.e); });
  }
  // · 2^n: add n to the exponent field (n·2^23 from the low bits of t; the result stays normal above EXP_MIN)
  each((t) => { k.get(t.e).get(t.t).i32(23).i32x4Shl().i32x4Add(); k.get(t.d); c(MIN); k.f32x4Lt().v128AndNot().set(t.e); });
}

// softmax(x, xStride, y, rows, cols): exp(x − max) / sum exp(x − max) over rows of x xStride bytes apart (cols
// floats: contiguous rows, or a padded GEMM tile's) into contiguous rows of y, in three passes over the row (it
// stays in L1): max; exp, stored, and summed; scale by 1/sum. x and y may be the same address (in place).
function softmax(fused: boolean): FuncDef {
  const [x, xStride, y, rows, cols] = [0, 1, 2, 3, 4];
  const L = new Locals(5), k = new Code();
  const ends = rowEnds(k, L, cols), j = L.add(T.i32);
  const vm = [L.add(T.v128), L.add(T.v128)], vs = L.add(T.v128), s = L.add(T.f32);
  const chain = (): ExpChain => ({ d: L.add(T.v128), t: L.add(T.v128), n: L.add(T.v128), r: L.add(T.v128), r2: L.add(T.v128), p: L.add(T.v128), q: L.add(T.v128), e: L.add(T.v128) });
  const t = [chain(), chain()];
  const c = loadConstants(k, L);
  const at = (p: number, off = 0) => k.get(p).get(j).i32Add().v128Load(off);
  forRows(k, rows, ends.row, [x, y], () => {
    k.v128Const(splat(-Infinity)).tee(vm[0]).set(vm[1]);
    forColsUnrolled(k, j, ends, (off, i) => { k.get(vm[i]); at(x, off); f32x4Pmax(k).set(vm[i]); },
      () => { k.get(vm[0]).get(x).get(j).i32Add().v128Load32Splat(); f32x4Pmax(k).set(vm[0]); });
    k.get(vm[0]).get(vm[1]); f32x4Pmax(k).set(vm[0]);
    reduce(k, vm[0], 'max'); k.f32x4Splat().set(vm[0]);
    // one accumulator: a second one would spill (the exp's constants fill the registers)
    k.v128Const([0, 0, 0, 0]).set(vs).f32(0).set(s);
    /** exp(x − max) of the four columns at j + 16·i for each i < count, stored and summed (in column order) */
    const expStep = (count: number) => {
      const chains = t.slice(0, count);
      chains.forEach((ch, i) => { at(x, 16 * i).get(vm[0]).f32x4Sub().set(ch.d); });
      emitExps(k, c, chains, fused);
      chains.forEach((ch, i) => { k.get(y).get(j).i32Add().get(ch.e).v128Store(16 * i); k.get(vs).get(ch.e).f32x4Add().set(vs); });
    };
    // the last 1–3 columns by one exp of a vector read from there (its lanes past the row, whatever they hold, are
    // dropped), stored and summed lane by lane in column order: the bits of a scalar loop
    forColsUnrolled(k, j, ends, () => expStep(1), () => {
      at(x).get(vm[0]).f32x4Sub().set(t[0].d);
      emitExps(k, c, [t[0]], fused);
      for (let lane = 0; lane < 3; lane++) {
        if (lane > 0) k.get(j).i32(4 * lane).i32Add().get(ends.row).i32LtS().if_();
        k.get(y).get(j).i32Add().get(t[0].e).f32x4ExtractLane(lane).f32Store(4 * lane);
        k.get(s).get(t[0].e).f32x4ExtractLane(lane).f32Add().set(s);
      }
      k.end().end();
    }, () => expStep(2), true);
    reduce(k, vs, 'add'); k.get(s).f32Add();
    k.set(s).f32(1).get(s).f32Div().f32x4Splat().set(vs);
    forColsUnrolled(k, j, ends, (off) => { k.get(y).get(j).i32Add(); at(y, off).get(vs).f32x4Mul().v128Store(off); },
      () => k.get(y).get(j).i32Add().get(y).get(j).i32Add().f32Load().get(vs).f32x4ExtractLane(0).f32Mul().f32Store());
  }, [xStride]);
  return { name: 'softmax', params: Array<T>(5).fill(T.i32), locals: L.types, body: k };
}

// d softmax: dx = y * (g - sum(g * y)); dx may be the address of g (the caller computes in place).
function softmaxBackward(): FuncDef {
  const [y, g, dx, rows, cols] = [0, 1, 2, 3, 4];
  const L = new Locals(5), k = new Code();
  const ends = rowEnds(k, L, cols), j = L.add(T.i32);
  const vs = [L.add(T.v128), L.add(T.v128)], s = L.add(T.f32);
  const at = (p: number, off = 0) => k.get(p).get(j).i32Add().v128Load(off);
  forRows(k, rows, ends.row, [y, g, dx], () => {
    k.v128Const([0, 0, 0, 0]).tee(vs[0]).set(vs[1]).f32(0).set(s);
    forColsUnrolled(k, j, ends, (off, i) => { k.get(vs[i]); at(y, off); at(g, off).f32x4Mul().f32x4Add().set(vs[i]); },
      () => k.get(s).get(y).get(j).i32Add().f32Load().get(g).get(j).i32Add().f32Load().f32Mul().f32Add().set(s));
    k.get(vs[0]).get(vs[1]).f32x4Add().set(vs[0]);
    reduce(k, vs[0], 'add'); k.get(s).f32Add().tee(s).f32x4Splat().set(vs[0]);
    forColsUnrolled(k, j, ends, (off) => { k.get(dx).get(j).i32Add(); at(y, off); at(g, off).get(vs[0]).f32x4Sub().f32x4Mul().v128Store(off); },
      () => k.get(dx).get(j).i32Add().get(y).get(j).i32Add().f32Load()
        .get(g).get(j).i32Add().f32Load().get(s).f32Sub().f32Mul().f32Store());
  });
  return { name: 'softmaxBackward', params: [T.i32, T.i32, T.i32, T.i32, T.i32], locals: L.types, body: k };
}

/** fused: the exp uses relaxed SIMD multiply-adds (only where the engine has relaxed SIMD on). */
export function emitSoftmaxKernels(fused = false): FuncDef[] {
  return [softmax(fused), softmaxBackward()];
}

/** The row kernels a threaded row job can run (the value stored in Ctl.rowOp). */
export const enum RowOp { softmax = 0, softmaxBackward = 1, layerNorm = 2, layerNormBackward = 3 }

const bits = new Int32Array(1), bitsAsF32 = new Float32Array(bits.buffer);
/** A float32's bits as an int32 (eps travels in an Int32 control slot) and back. */
export function f32Bits(x: number): number { bitsAsF32[0] = x; return bits[0]; }
export function bitsF32(i: number): number { bits[0] = i; return bitsAsF32[0]; }

/**
 * Runs chunk `chunk` of the row job in the control block (any thread): rows [chunk·rowChunk, +rowChunk) of
 * contiguous [rows, cols] arrays, as soon as the main thread has staged them (Ctl.rowReady; it spins, since
 * the main thread copies a block in tens of µs). Every row is computed by one thread alone, so the result does
 * not depend on the thread count.
 */
export function runRowsChunk(ex: Exports, c: Int32Array, chunk: number): void {
  const cols = c[Ctl.cols], op = c[Ctl.rowOp];
  const r0 = chunk * c[Ctl.rowChunk], end = Math.min(r0 + c[Ctl.rowChunk], c[Ctl.rows]);
  if (op === RowOp.layerNorm || op === RowOp.layerNormBackward) return runLayerNormRows(ex, c, chunk, r0, end - r0, cols);
  for (let r = r0; r < end;) {
    const ready = Math.min(Atomics.load(c, Ctl.rowReady), end);
    if (ready <= r) continue;
    const off = r * cols * 4, n = ready - r;
    if (op === RowOp.softmax) ex.softmax(c[Ctl.rowIn0] + off, cols * 4, c[Ctl.rowOut] + off, n, cols);
    else ex.softmaxBackward(c[Ctl.rowIn0] + off, c[Ctl.rowIn1] + off, c[Ctl.rowOut] + off, n, cols);
    r = ready;
  }
}

/**
 * Layernorm over rows [r0, r0 + n) (inputs staged before the job starts). Forward: rowIn0 = x, rowOut = y,
 * rowArg0..4 = w, b, mean, rstd, eps bits. Backward: rowIn0 = x, rowIn1 = g, rowOut = dx, rowArg0..4 = w, mean,
 * rstd, and the chunk-major [chunks, cols] buffers that receive each chunk's partial dw and db.
 */
function runLayerNormRows(ex: Exports, c: Int32Array, chunk: number, r0: number, n: number, cols: number): void {
  const off = r0 * cols * 4, rowOff = r0 * 4, part = chunk * cols * 4;
  if (c[Ctl.rowOp] === RowOp.layerNorm) {
    ex.layerNorm(c[Ctl.rowIn0] + off, c[Ctl.rowArg0], c[Ctl.rowArg1], c[Ctl.rowOut] + off, c[Ctl.rowArg2] + rowOff,
      c[Ctl.rowArg3] + rowOff, n, cols, bitsF32(c[Ctl.rowArg4]));
  } else {
    ex.layerNormBackward(c[Ctl.rowIn0] + off, c[Ctl.rowArg0], c[Ctl.rowArg1] + rowOff, c[Ctl.rowArg2] + rowOff,
      c[Ctl.rowIn1] + off, c[Ctl.rowOut] + off, c[Ctl.rowArg3] + part, c[Ctl.rowArg4] + part, n, cols);
  }
}

// GELU and its backward on f32x4, four elements a step: the kernels the cpu backend runs for x.gelu() on
// large float32 tensors, and both at once when autograd will need the derivative. The f64x2 kernels in
// elementwise-kernel.ts (half a float32 ulp) stay as the float64 reference these are tested against (test/engine/wasm-gelu32.test.ts, 1e-6 relative, tails included).
//
//   Φ(x) = ½ erfc(|x|/√2) for x < 0, 1 − ½ erfc(|x|/√2) otherwise;   gelu(x) = x Φ(x)
//   erfc(z) = t · exp(−z² + P(t)), t = 1/(1 + z/2)   (Numerical Recipes' erfcc, 1.2e-7 relative for all z ≥ 0)
//   gelu'(x) = Φ(x) + x φ(x), φ(x) = exp(−x²/2)/√(2π)
// In float32 the tail's precision hangs on z² = x²/2 (up to 105 here): it is kept exact as hi + lo (x split into
// two 12-bit halves, whose products are exact), and exp(−hi + d) reduces hi against n·ln2 exactly (Cody–Waite),
// so the exponent carries no rounding of z². Beyond |x| = 14.5, Φ is 0 or 1 and φ is 0 to float32. Results
// that fall below float32's normal range are formed at 2^64 times their size and scaled once at the end, so
// they round once into subnormals.
// That general path serves any four lanes; four lanes all within |x| ≤ 2.5 (most activations) take a short
// one instead: Φ(−|x|) = exp(−x²/2) · Q(|x| − 1.5), Q a polynomial, one exp shared with φ (see fastStep), 1.8×
// (forward) to 2.2× (with the derivative) faster. Both stay within 1e-6 relative (measured on 4M points of
// [−2.5, 2.5]: short path 5.1e-7 forward, 3.2e-7 backward).
import { Code, ConstPool, FuncDef, T } from './emitter.js';
import { Locals } from './emit-helpers.js';

/** 1.5·2^23: v + MAGIC rounds v to the nearest integer n (ties to even) and holds n in its low mantissa bits. */
const MAGIC = 12582912;
const MAGIC_BITS = 0x4b400000;
/** |x| past which Φ is exactly 0 or 1, and x φ(x) is 0, in float32 (Φ(−14.5) ≈ 6e-48). */
const CUTOFF = 14.5;
// P(t) of erfcc, lowest degree first
const ERFCC = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
// e^r on |r| ≤ ln2/2 (+ a little): XNNPACK's rr2-p5 coefficients (as rows-kernel.ts), lowest degree first
const EXP_POLY = [1, 0.9999997019767761, 0.4999915063381195, 0.16667652130126953, 0.04189782217144966, 0.008289290592074394];
const LN2_HI = 0.693359375; // 9 significant bits: n·LN2_HI is exact
const LN2_LO = -2.12194440e-4;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/**
 * The short path, for four lanes all within |x| ≤ FAST_MAX (most activations): Φ(−a) = exp(−a²/2) · Q(a) with
 * Q = Φ(−a) · exp(a²/2) (Mills' ratio over √(2π)), a degree-10 polynomial in a − Q_CENTER on [0, 2.5] (fitted by
 * test/reference/fit_gelu_short_path.py: 6.5e-8 relative; the whole path 4.5e-7 forward emulated in float32).
 * Centred, its terms stay small where Q does; a product, not a division, so exp and Q overlap. One exp serves Φ
 * and φ; a²/2 rounds once (≤ 1.2e-7 relative on exp there), so no split and no cutoff.
 */
const FAST_MAX = 2.5;
const Q_CENTER = 1.5;
const SCALED_TAIL = [0.20578065514564514, -0.09027125686407089, 0.035187218338251114, -0.012497342191636562,
  0.004108082037419081, -0.001265048049390316, 0.0003739016246981919, -0.00010316476982552558, 2.1369680325733498e-05,
  -6.942857453395845e-06, 3.863758593070088e-06];
/** 2^64: exp results are formed this much larger (normal down to exp(−149·ln2)), 2^-64 scales them back. */
const UP = 64;

/** Emits SIMD opcode `code` (the emitter lacks f32x4.abs and f32x4.pmin). */
function simd(k: Code, code: number): Code {
  k.b.push(0xfd);
  do { let byte = code & 0x7f; code >>>= 7; if (code !== 0) byte |= 0x80; k.b.push(byte); } while (code !== 0);
  return k;
}
const f32x4Abs = (k: Code) => simd(k, 0xe0);
const f32x4Pmin = (k: Code) => simd(k, 0xea);
const v128AnyTrue = (k: Code) => simd(k, 0x53);

/** fused: polynomial steps a·b + c as one relaxed multiply-add (where relaxed SIMD is on). */
interface Ctx { k: Code; L: Locals; pool: ConstPool; fused: boolean; pre: Code; held: Map<number, number> }
const v128 = (c: Ctx): number => c.L.add(T.v128);

/**
 * Pushes a four-lane constant from the pool (V8 rebuilds a v128.const at every use inside loops), loaded once
 * per call by the kernel's prologue `pre` into a local (`held`, by pool address): V8 keeps what fits in
 * registers and reloads the rest, where loads at each use it hoists to the block's start, spills and reloads
 * (measured: forward 1.53 → 1.47 ms on 819,200 elements).
 */
function splat(c: Ctx, x: number): void {
  constant(c, new Uint8Array(new Float32Array([x, x, x, x]).buffer));
}
function splatBits(c: Ctx, bits: number): void {
  constant(c, new Uint8Array(new Int32Array([bits, bits, bits, bits]).buffer));
}
function constant(c: Ctx, bytes: Uint8Array): void {
  const address = c.pool.address(bytes);
  let local = c.held.get(address);
  if (local === undefined) {
    local = c.L.add(T.v128);
    c.held.set(address, local);
    c.pre.i32(0).v128Load(address).set(local);
  }
  c.k.get(local);
}

/**
 * Pushes Σ coef[i] t^i by Estrin's scheme (lowest degree first): depth log₂(degree) rather than Horner's
 * degree, since the loop is bound by this chain's latency.
 */
function estrin(c: Ctx, coef: readonly number[], t: number): void {
  const pow = [t]; // pow[i] holds t^(2^i)
  for (let m = 2; m < coef.length; m *= 2) {
    const p = v128(c);
    c.k.get(pow[pow.length - 1]).get(pow[pow.length - 1]).f32x4Mul().set(p);
    pow.push(p);
  }
  // p_lo + p_hi · t^m: mul then add, or one multiply-add (its operands pushed as p_hi, t^m, p_lo)
  const emit = (lo: number, n: number): void => {
    if (n === 1) { splat(c, coef[lo]); return; }
    let level = 0;
    while (2 << level < n) level++;
    const m = 1 << level;
    if (c.fused) {
      emit(lo + m, n - m);
      c.k.get(pow[level]);
      emit(lo, m);
      c.k.f32x4RelaxedMadd();
      return;
    }
    emit(lo, m);
    emit(lo + m, n - m);
    c.k.get(pow[level]).f32x4Mul().f32x4Add();
  };
  emit(0, coef.length);
}

/**
 * Pushes 2^64 · exp(−hi + d) for hi ≥ 0 (exact, ≤ 106) and small d: n = round((d − hi)/ln 2),
 * r = (d − n·LN2_LO) − (hi + n·LN2_HI), the second sum exact (it cancels); e^r by polynomial; 2^(n+64) from
 * the exponent bits (n ≥ −154 here, so n + 64 + 127 stays in the normal range).
 */
function expShifted(c: Ctx, hi: number, d: number): void {
  const { k } = c, n = v128(c), r = v128(c);
  k.get(d).get(hi).f32x4Sub(); splat(c, Math.LOG2E); k.f32x4Mul().f32x4Nearest().set(n);
  k.get(d).get(n); splat(c, LN2_LO); k.f32x4Mul().f32x4Sub();
  k.get(n); splat(c, LN2_HI); k.f32x4Mul().get(hi).f32x4Add();
  k.f32x4Sub().set(r);
  estrin(c, EXP_POLY, r);
  k.get(n).i32x4TruncSatF32x4S(); splatBits(c, 127 + UP); k.i32x4Add().i32(23).i32x4Shl();
  k.f32x4Mul();
}

/** 'forward': y = gelu(x); 'backward': y = g · gelu'(x); 'withGrad': y = gelu(x) and d = gelu'(x) from one erfc. */
type Mode = 'forward' | 'backward' | 'withGrad';
/** Pointer params of each mode, in order (then n). */
const POINTERS: Record<Mode, readonly string[]> = { forward: ['x', 'y'], backward: ['g', 'x', 'y'], withGrad: ['x', 'y', 'd'] };

/** The general path for the four lanes of x (a local): erfc by Numerical Recipes' erfcc, the exact split of a²/2. */
function slowStep(c: Ctx, mode: Mode, off: number, x: number): void {
  const { k } = c;
  const [a, t, ah, al, hh, hl, d, e, q, big] = Array.from({ length: 10 }, () => v128(c));
  const at = (name: string) => POINTERS[mode].indexOf(name);
  f32x4Abs(k.get(x)).tee(a); splat(c, CUTOFF); k.f32x4Gt().set(big); // NaN: not big
  k.get(a); splat(c, CUTOFF); f32x4Pmin(k).set(a); // pmin keeps a NaN
  // t = 1/(1 + a/(2√2))
  splat(c, 1); splat(c, 1); k.get(a); splat(c, 0.5 * Math.SQRT1_2); k.f32x4Mul().f32x4Add().f32x4Div().set(t);
  // a²/2 = hh + hl: a = ah + al with 12 significant bits each, so ah², ah·al and al² are exact
  k.get(a); splatBits(c, 0xfffff000 | 0); k.v128And().set(ah);
  k.get(a).get(ah).f32x4Sub().set(al);
  k.get(ah).get(ah).f32x4Mul(); splat(c, 0.5); k.f32x4Mul().set(hh);
  k.get(ah).get(al).f32x4Mul().get(al).get(al).f32x4Mul(); splat(c, 0.5); k.f32x4Mul().f32x4Add().set(hl);
  // e = 2^64 · t exp(−hh + P(t) − hl) = 2^65 · ½ erfc(a/√2) = 2^65 Φ(−a); 0 past the cutoff
  estrin(c, ERFCC, t); k.get(hl).f32x4Sub().set(d);
  expShifted(c, hh, d);
  k.get(t).f32x4Mul().get(big).v128AndNot().set(e);
  if (mode !== 'backward') {
    // x < 0: x Φ(−a), scaled down last so a subnormal Φ still gives a normal x Φ; else x (1 − Φ(−a))
    k.get(at('y'));
    k.get(x).get(e).f32x4Mul(); splat(c, 2 ** -(UP + 1)); k.f32x4Mul();
    k.get(x); splat(c, 1); k.get(e); splat(c, 2 ** -(UP + 1)); k.f32x4Mul().f32x4Sub().f32x4Mul();
    k.get(x); splat(c, 0); k.f32x4Lt().v128Bitselect();
    k.v128Store(off);
  }
  if (mode !== 'forward') {
    // Φ(x) + x φ(x), φ = exp(−hh − hl)/√(2π) (0 past the cutoff); the backward times the upstream gradient
    k.get(at(mode === 'backward' ? 'y' : 'd'));
    k.get(e); splat(c, 2 ** -(UP + 1)); k.f32x4Mul().set(q);
    k.get(q); splat(c, 1); k.get(q).f32x4Sub(); k.get(x); splat(c, 0); k.f32x4Lt().v128Bitselect();
    splat(c, 0); k.get(hl).f32x4Sub().set(d);
    expShifted(c, hh, d);
    k.get(x).f32x4Mul(); splat(c, INV_SQRT_2PI * 2 ** -UP); k.f32x4Mul().get(big).v128AndNot();
    k.f32x4Add();
    if (mode === 'backward') k.get(at('g')).v128Load(off).f32x4Mul();
    k.v128Store(off);
  }
}

/** Pushes a·b + c: one relaxed multiply-add where fused, else the rounded product plus c. */
function mulAdd(c: Ctx, a: () => void, b: () => void, addend: () => void): void {
  if (c.fused) { a(); b(); addend(); c.k.f32x4RelaxedMadd(); return; }
  addend(); a(); b(); c.k.f32x4Mul().f32x4Add();
}

/** The short path (all four |x| ≤ FAST_MAX, or NaN): e = exp(−a²/2), Φ(−a) = e · Q(a − Q_CENTER), φ(a) = e/√(2π). */
function fastStep(c: Ctx, mode: Mode, off: number, x: number, a: number): void {
  const { k } = c;
  const [a2, e, m, n, r, q, phi] = Array.from({ length: 7 }, () => v128(c));
  const at = (name: string) => POINTERS[mode].indexOf(name);
  // −a²/2 = e exactly from the rounded a²; n = round(−a²/2 · log₂e) two ways from one product: nearest() for r,
  // the magic-number add (m holds n in its low bits) for 2^n; r = (e − n·LN2_HI) − n·LN2_LO
  k.get(a).get(a).f32x4Mul().tee(a2); splat(c, -0.5); k.f32x4Mul().set(e);
  k.get(a2); splat(c, -0.5 * Math.LOG2E); k.f32x4Mul().tee(m).f32x4Nearest().set(n);
  k.get(m); splat(c, MAGIC); k.f32x4Add().set(m);
  mulAdd(c, () => k.get(n), () => splat(c, -LN2_HI), () => k.get(e));
  k.set(r);
  mulAdd(c, () => k.get(n), () => splat(c, -LN2_LO), () => k.get(r));
  k.set(r);
  estrin(c, EXP_POLY, r);
  k.get(m); splatBits(c, 127 - MAGIC_BITS); k.i32x4Add().i32(23).i32x4Shl().f32x4Mul().set(e);
  // q = Φ(−a) = e · Q(a − Q_CENTER); phi = Φ(x): q for x < 0, 1 − q otherwise
  k.get(a); splat(c, Q_CENTER); k.f32x4Sub().set(q);
  k.get(e); estrin(c, SCALED_TAIL, q); k.f32x4Mul().set(q);
  k.get(q); splat(c, 1); k.get(q).f32x4Sub(); k.get(x); splat(c, 0); k.f32x4Lt().v128Bitselect().set(phi);
  if (mode !== 'backward') k.get(at('y')).get(x).get(phi).f32x4Mul().v128Store(off);
  if (mode !== 'forward') {
    // Φ(x) + x φ(x); the backward times the upstream gradient
    k.get(at(mode === 'backward' ? 'y' : 'd'));
    k.get(phi).get(x).get(e).f32x4Mul(); splat(c, INV_SQRT_2PI); k.f32x4Mul().f32x4Add();
    if (mode === 'backward') k.get(at('g')).v128Load(off).f32x4Mul();
    k.v128Store(off);
  }
}

/**
 * Emits one f32x4 step at byte offset `off` from the pointer params: reads x (and g), writes y (and d); the
 * short path when no lane is past FAST_MAX (a NaN lane stays on it), else the general one. A lane's bits thus
 * depend on the path its group of four took (both within the stated 1e-6); the groups are fixed by the array
 * (whole fours from its start, on any thread count), so a given array always gives the same bits.
 */
function geluStep(c: Ctx, mode: Mode, off: number): void {
  const { k } = c;
  const x = v128(c), a = v128(c);
  k.get(POINTERS[mode].indexOf('x')).v128Load(off).set(x);
  // a lane past FAST_MAX (or ±∞) sends the four to the general path; NaN stays here and gives NaN
  f32x4Abs(k.get(x)).tee(a); splat(c, FAST_MAX); k.f32x4Gt(); v128AnyTrue(k);
  k.if_();
  slowStep(c, mode, off, x);
  k.else_();
  fastStep(c, mode, off, x, a);
  k.end();
}

/**
 * Pointer params (POINTERS[mode]) then n elements, a multiple of 4 (byte addresses). Two steps per trip, so
 * two independent chains overlap.
 */
function gelu32Kernel(pool: ConstPool, mode: Mode, fused: boolean): FuncDef {
  const pointers = POINTERS[mode].length;
  const L = new Locals(pointers + 1), k = new Code(), pre = new Code(), c: Ctx = { k, L, pool, fused, pre, held: new Map() };
  k.pool = pool;
  const end = L.add(T.i32), end2 = L.add(T.i32);
  const xIn = POINTERS[mode].indexOf('x');
  k.get(xIn).get(pointers).i32(2).i32Shl().i32Add().tee(end).i32(16).i32Sub().set(end2);
  const loop = (limit: number, bytes: number, body: () => void) => {
    k.block().loop();
    k.get(xIn).get(limit).i32GeS().brIf(1);
    body();
    for (let i = 0; i < pointers; i++) k.get(i).i32(bytes).i32Add().set(i);
    k.br(0).end().end();
  };
  loop(end2, 32, () => { geluStep(c, mode, 0); geluStep(c, mode, 16); });
  loop(end, 16, () => geluStep(c, mode, 0));
  // the constants' loads (collected while emitting the loops) go first
  const body = new Code();
  body.b.push(...pre.b, ...k.b);
  const name = { forward: 'gelu32', backward: 'gelu32Backward', withGrad: 'gelu32WithGrad' }[mode];
  return { name, params: Array<T>(pointers + 1).fill(T.i32), locals: L.types, body };
}

/** The three kernels, for the module (their constants go to `pool`); fused: polynomials by relaxed multiply-add. */
export function emitGelu32Kernels(pool: ConstPool, fused: boolean): FuncDef[] {
  return [gelu32Kernel(pool, 'forward', fused), gelu32Kernel(pool, 'backward', fused), gelu32Kernel(pool, 'withGrad', fused)];
}

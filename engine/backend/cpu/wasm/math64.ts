// Transcendental functions on f64x2, emitted as wasm. The float32 elementwise kernels widen each pair of
// inputs to float64, evaluate here, and round once back to float32, so every result is within about half
// a float32 ulp of the truth, tails included (erfc's fit below is good to 1e-11 relative).
import { Code, T } from './emitter.js';
import { Locals } from './emit-helpers.js';
import { GELU_C, GELU_K } from '../special.js';

/** An emission context: the function body and its locals. Every helper pops its inputs and pushes one f64x2. */
export interface Ctx { k: Code; L: Locals }
const tmp = (c: Ctx): number => c.L.add(T.v128);

/**
 * Pushes poly(x) = Σ coef[i] x^i by Estrin's scheme, P = P_lo(x) + x^m P_hi(x) with m a power of two: depth
 * log₂(degree) instead of Horner's degree, which matters because these loops are latency-bound.
 */
function poly(c: Ctx, coef: readonly number[], x: number): void {
  const pow = [x]; // pow[i] = local holding x^(2^i)
  for (let m = 2; m < coef.length; m *= 2) {
    const p = tmp(c);
    c.k.get(pow[pow.length - 1]).get(pow[pow.length - 1]).f64x2Mul().set(p);
    pow.push(p);
  }
  const emit = (lo: number, n: number): void => {
    if (n === 1) { c.k.f64x2Const(coef[lo]); return; }
    let level = 0;
    while (2 << level < n) level++;
    const m = 1 << level;
    emit(lo, m);
    emit(lo + m, n - m);
    c.k.get(pow[level]).f64x2Mul().f64x2Add();
  };
  emit(0, coef.length);
}

const MAGIC = 6755399441055744; // 1.5·2^52: adding it rounds to an integer held in the low mantissa bits
const LN2_HI = 0.6931471803691238; // ln 2 with 21 trailing zero bits, so n·LN2_HI is exact for |n| < 2^21
const LN2_LO = 1.9082149292705877e-10;
const EXP_TAYLOR = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040, 1 / 40320, 1 / 362880, 1 / 3628800];

/**
 * exp(a) = 2^n · e^r, n = round(a / ln 2), r = a − n ln 2 (Cody–Waite, |r| ≤ ln2/2), e^r by Taylor to r^10
 * (error < 3e-13 relative). Exactly 0 for a < −708 (so exp(−∞) = 0) and +∞ for a > 709: both are far
 * outside float32's range. NaN propagates.
 */
export function exp64(c: Ctx): void {
  const { k } = c, a = tmp(c), y = tmp(c), n = tmp(c), r = tmp(c);
  k.set(a);
  k.get(a).f64x2Const(-708).f64x2Pmax().f64x2Const(709).f64x2Pmin().set(r); // pmax/pmin keep a NaN a
  k.get(r).f64x2Const(Math.LOG2E).f64x2Mul().f64x2Const(MAGIC).f64x2Add().tee(y).f64x2Const(MAGIC).f64x2Sub().set(n);
  k.get(r).get(n).f64x2Const(LN2_HI).f64x2Mul().f64x2Sub().get(n).f64x2Const(LN2_LO).f64x2Mul().f64x2Sub().set(r);
  poly(c, EXP_TAYLOR, r);
  // 2^n = (n + 1023) << 52; the low 12 bits of y's pattern are n (MAGIC's are zero)
  k.get(y).i64x2Const(1023n).i64x2Add().i32(52).i64x2Shl().f64x2Mul();
  k.set(r).f64x2Const(Infinity).get(r).get(a).f64x2Const(709).f64x2Gt().v128Bitselect();
  k.get(a).f64x2Const(-708).f64x2Lt().v128AndNot();
}

/**
 * P(t) in erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), z ≥ 0: the form of Numerical Recipes' erfcc, refitted
 * (degree 16, Chebyshev least squares against mpmath in t ∈ [0, 1]) to 1.0e-11 absolute, i.e. erfc to 1e-11
 * relative for every z ≥ 0.
 */
const ERFC_P = [
  -1.2655121234748887, 0.9999999938494389, 0.3750006444105617, 0.0833065981785247, -0.08535385315656711,
  -0.15147044741132487, -0.02464878262687499, -0.37419716180337137, 1.8631968088030244, -5.244056345736491,
  12.031629171700242, -19.561283505777762, 21.175338517331866, -15.039914854880621, 6.790175459560116,
  -1.7793736001089657, 0.20716348114648397,
];

/** Pushes erfc(z) for locals z ≥ 0 (or NaN) and z2 = z², the latter exact so the tail keeps full precision. */
export function erfcPos(c: Ctx, z: number, z2: number): void {
  const { k } = c, t = tmp(c);
  k.f64x2Const(1).f64x2Const(1).get(z).f64x2Const(0.5).f64x2Mul().f64x2Add().f64x2Div().set(t);
  poly(c, ERFC_P, t);
  k.get(z2).f64x2Sub();
  exp64(c);
  k.get(t).f64x2Mul();
}

/** Pushes Φ(x) = ½ erfc(−x/√2), relatively accurate in the lower tail; also leaves x²/2 in local h. */
export function normalCdf(c: Ctx, x: number, h: number): void {
  const { k } = c, z = tmp(c), e = tmp(c);
  k.get(x).get(x).f64x2Mul().f64x2Const(0.5).f64x2Mul().set(h); // exact: x is a widened float32
  k.get(x).f64x2Abs().f64x2Const(Math.SQRT1_2).f64x2Mul().set(z);
  erfcPos(c, z, h);
  k.f64x2Const(0.5).f64x2Mul().set(e);
  k.f64x2Const(1).get(e).f64x2Sub().get(e).get(x).f64x2Const(0).f64x2Gt().v128Bitselect();
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** gelu'(x) = Φ(x) + x φ(x), φ(x) = e^{−x²/2}/√(2π) */
export function geluGrad(c: Ctx, x: number): void {
  const { k } = c, h = tmp(c);
  normalCdf(c, x, h);
  k.f64x2Const(0).get(h).f64x2Sub();
  exp64(c);
  k.get(x).f64x2Mul().f64x2Const(INV_SQRT_2PI).f64x2Mul().f64x2Add();
}

// erf x = 2/√π Σ (−1)ⁿ x^{2n+1} / (n!(2n+1)), n ≤ 12: < 1e-17 relative for |x| < ½
const ERF_SERIES = Array.from({ length: 13 }, (_, n) => {
  let fact = 1;
  for (let i = 2; i <= n; i++) fact *= i;
  return (TWO_OVER_SQRT_PI * (n % 2 ? -1 : 1)) / (fact * (2 * n + 1));
});

/** erf: the series for |x| < ½, else sign(x)(1 − erfc|x|) */
export function erf(c: Ctx, x: number): void {
  const { k } = c, x2 = tmp(c), a = tmp(c);
  k.get(x).get(x).f64x2Mul().set(x2);
  k.get(x).f64x2Abs().set(a);
  poly(c, ERF_SERIES, x2);
  k.get(x).f64x2Mul();
  k.f64x2Const(1);
  erfcPos(c, a, x2);
  k.f64x2Sub().get(x).f64x2Const(-0).v128And().v128Or(); // 1 − erfc ≥ 0, so OR-ing x's sign bit negates it
  k.get(a).f64x2Const(0.5).f64x2Lt().v128Bitselect();
}

// tanh x = x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835 − …: < 1e-19 relative for |x| < 1/64
const TANH_SERIES = [1, -1 / 3, 2 / 15, -17 / 315, 62 / 2835];

/** tanh: the series near 0 (where 1 − e^{−2|x|} cancels), else sign(x)(1 − E)/(1 + E), E = e^{−2|x|} */
export function tanh(c: Ctx, x: number): void {
  const { k } = c, x2 = tmp(c), a = tmp(c), e = tmp(c);
  k.get(x).get(x).f64x2Mul().set(x2);
  k.get(x).f64x2Abs().set(a);
  poly(c, TANH_SERIES, x2);
  k.get(x).f64x2Mul();
  k.get(a).f64x2Const(-2).f64x2Mul();
  exp64(c);
  k.set(e);
  k.f64x2Const(1).get(e).f64x2Sub().f64x2Const(1).get(e).f64x2Add().f64x2Div();
  k.get(x).f64x2Const(-0).v128And().v128Or();
  k.get(a).f64x2Const(1 / 64).f64x2Lt().v128Bitselect();
}

/** σ(x) = 1/(1 + e^{−x}): e^{−x} = +∞ gives exactly 0 */
export function sigmoid(c: Ctx, x: number): void {
  const { k } = c;
  k.f64x2Const(1).f64x2Const(1).f64x2Const(0).get(x).f64x2Sub();
  exp64(c);
  k.f64x2Add().f64x2Div();
}


/** Pushes E = e^{−2u}, u = k(x + 0.044715x³); ½(1 + tanh u) = 1/(1 + E) keeps the lower tail relative. */
function geluTanhE(c: Ctx, x: number): void {
  const { k } = c;
  k.get(x).get(x).f64x2Mul().get(x).f64x2Mul().f64x2Const(GELU_C).f64x2Mul().get(x).f64x2Add()
    .f64x2Const(-2 * GELU_K).f64x2Mul();
  exp64(c);
}

/** gelu_tanh(x) = ½x(1 + tanh u) = x/(1 + E) */
export function geluTanh(c: Ctx, x: number): void {
  const { k } = c;
  k.get(x).f64x2Const(1);
  geluTanhE(c, x);
  k.f64x2Add().f64x2Div();
}

/**
 * d/dx ½x(1 + tanh u) = s + 2x·s(1 − s)·k(1 + 3·0.044715x²) with s = ½(1 + tanh u) = 1/(1 + E) and
 * 1 − s = 1/(1 + 1/E) (no cancellation in either tail, and no ∞/∞).
 */
export function geluTanhGrad(c: Ctx, x: number): void {
  const { k } = c, e = tmp(c), s = tmp(c);
  geluTanhE(c, x);
  k.set(e);
  k.f64x2Const(1).f64x2Const(1).get(e).f64x2Add().f64x2Div().set(s);
  k.get(s);
  k.get(x).f64x2Const(2).f64x2Mul().get(s).f64x2Mul();
  k.f64x2Const(1).f64x2Const(1).f64x2Const(1).get(e).f64x2Div().f64x2Add().f64x2Div().f64x2Mul();
  k.get(x).get(x).f64x2Mul().f64x2Const(3 * GELU_C * GELU_K).f64x2Mul().f64x2Const(GELU_K).f64x2Add().f64x2Mul();
  k.f64x2Add();
}

/** erf'(x) = 2/√π e^{−x²} */
export function erfGrad(c: Ctx, x: number): void {
  const { k } = c;
  k.f64x2Const(0).get(x).get(x).f64x2Mul().f64x2Sub();
  exp64(c);
  k.f64x2Const(TWO_OVER_SQRT_PI).f64x2Mul();
}

export function exp(c: Ctx, x: number): void {
  c.k.get(x);
  exp64(c);
}

// ln m = 2 atanh s = 2(s + s³/3 + s⁵/5 + …), s = (m − 1)/(m + 1), |s| ≤ 0.172 for m ∈ [√½, √2]: to s^21
const LOG_SERIES = Array.from({ length: 11 }, (_, i) => 2 / (2 * i + 1));

/**
 * ln x = e ln 2 + ln m with x = 2^e m, m ∈ [√½, √2) read from the bits (x is a widened float32, so never
 * subnormal); ln 0 = −∞, ln x<0 = NaN, ln ∞ = ∞.
 */
export function log(c: Ctx, x: number): void {
  const { k } = c, m = tmp(c), e = tmp(c), big = tmp(c), s = tmp(c), s2 = tmp(c);
  // e + 1023 as a double: OR the biased exponent into 2^52's mantissa
  k.get(x).i32(52).i64x2ShrU().f64x2Const(2 ** 52).v128Or().f64x2Const(2 ** 52 + 1023).f64x2Sub().set(e);
  k.get(x).i64x2Const(0x000fffffffffffffn).v128And().f64x2Const(1).v128Or().set(m);
  k.get(m).f64x2Const(Math.SQRT2).f64x2Gt().set(big);
  k.get(m).f64x2Const(0.5).f64x2Mul().get(m).get(big).v128Bitselect().set(m);
  k.get(e).get(big).f64x2Const(1).v128And().f64x2Add().set(e);
  k.get(m).f64x2Const(1).f64x2Sub().get(m).f64x2Const(1).f64x2Add().f64x2Div().set(s);
  k.get(s).get(s).f64x2Mul().set(s2);
  poly(c, LOG_SERIES, s2);
  k.get(s).f64x2Mul().get(e).f64x2Const(Math.LN2).f64x2Mul().f64x2Add();
  k.set(s).f64x2Const(Infinity).get(s).get(x).f64x2Const(Infinity).f64x2Eq().v128Bitselect();
  k.set(s).f64x2Const(-Infinity).get(s).get(x).f64x2Const(0).f64x2Eq().v128Bitselect();
  k.set(s).get(s).f64x2Const(NaN).get(x).f64x2Const(0).f64x2Ge().v128Bitselect(); // NaN, x < 0
}

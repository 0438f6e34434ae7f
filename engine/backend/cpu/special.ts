// Special functions. erf/erfc in float64 to ~1e-15 relative (series + continued fraction); a cheaper
// form with < 1.2e-7 relative error everywhere, tails included, for float32 (Numerical Recipes' erfcc).
const TWO_OVER_SQRT_PI = 1.1283791670955126;

/** erf by the all-positive series erf x = 2/√π e^{-x²} Σ 2ⁿ x^{2n+1} / (1·3···(2n+1)), for |x| < 2.5. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc for x ≥ 2.5 by the continued fraction e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated by modified Lentz. */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * 1.7724538509055159);
}

export function erfc64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0; // the continued fraction would compute ∞·0
  if (x === -Infinity) return 2;
  if (x >= 2.5) return erfcContinuedFraction(x);
  if (x <= -2.5) return 2 - erfcContinuedFraction(-x);
  return 1 - erfSeries(x);
}

export function erf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity || x === -Infinity) return Math.sign(x);
  if (x >= 2.5) return 1 - erfcContinuedFraction(x);
  if (x <= -2.5) return erfcContinuedFraction(-x) - 1;
  return erfSeries(x);
}

/** erfc with fractional error < 1.2e-7 (Numerical Recipes, Chebyshev fit). */
export function erfc32(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

export function erf32(x: number): number {
  // Near 0, 1 - erfc loses relative accuracy; the series is exact there and cheap.
  return Math.abs(x) < 0.5 ? erfSeries(x) : 1 - erfc32(x);
}

/** Φ(x) = ½ erfc(-x/√2), the standard normal CDF, accurate in both tails. */
export function normalCdf64(x: number): number {
  return 0.5 * erfc64(-x * Math.SQRT1_2);
}

export function normalCdf32(x: number): number {
  return 0.5 * erfc32(-x * Math.SQRT1_2);
}

/** The tanh form of gelu, ½x(1 + tanh u) with u = k(x + c x³): k = √(2/π) and c (shared by the cpu and wasm kernels). */
export const GELU_K = Math.sqrt(2 / Math.PI);
export const GELU_C = 0.044715;

/** d/dx ½x(1+tanh u), u = k(x + 0.044715x³): ½(1+tanh u) + ½x(1-tanh²u)·k(1 + 3·0.044715x²) */
export function geluTanhGrad(x: number): number {
  const t = Math.tanh(GELU_K * (x + GELU_C * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * x * x);
}

/** The helpers that compiled elementwise expressions may call as H.name. */
export const H = { erf32, erf64, cdf32: normalCdf32, cdf64: normalCdf64, geluTanhGrad };

// The math of each elementwise op as gpu.js kernel statements over v0 (and v1): the same formulas as the
// cpu kernels' float32 forms (engine/backend/cpu/elementwise.ts). An op missing here runs as a counted cpu fallback.
import type { BinaryOp, UnaryOp } from '../interface.js';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** Statements leaving Φ(x) (the standard normal CDF) in `name`: ½ erfc(−x/√2), erfc by Numerical Recipes' erfcc (< 1.2e-7). */
function normalCdf(x: string, name: string): string[] {
  return [
    `const ${name}z = Math.abs(${x}) * ${SQRT1_2};`,
    `const ${name}t = 1 / (1 + 0.5 * ${name}z);`,
    `const ${name}r = ${name}t * Math.exp(-${name}z * ${name}z - 1.26551223 + ${name}t * (1.00002368 + ${name}t * (0.37409196 + ${name}t * (0.09678418 + ` +
      `${name}t * (-0.18628806 + ${name}t * (0.27886807 + ${name}t * (-1.13520398 + ${name}t * (1.48851587 + ` +
      `${name}t * (-0.82215223 + ${name}t * 0.17087277)))))))));`,
    // erfc(u) with u = −x/√2: r when u ≥ 0 (x ≤ 0), else 2 − r
    `const ${name} = 0.5 * (${x} <= 0 ? ${name}r : 2 - ${name}r);`,
  ];
}

// gelu'(x) = Φ(x) + x φ(x)
function geluGrad(x: string, name: string): string[] {
  return [...normalCdf(x, `${name}c`), `const ${name} = ${name}c + ${x} * ${INV_SQRT_2PI} * Math.exp(-0.5 * ${x} * ${x});`];
}

type Body = string[];

/** Statements leaving s = σ(2u) and sc = 1 − s for gelu_tanh's u (u clamped where e^{−2u} would overflow float32). */
function tanhSigmoid(x: string): string[] {
  return [
    `const u = Math.max(${GELU_K} * (${x} + ${GELU_C} * ${x} * ${x} * ${x}), -40);`,
    'const e = Math.exp(-2 * u);',
    'const s = 1 / (1 + e);',
    'const sc = e / (1 + e);',
  ];
}

export const UNARY_BODIES: Partial<Record<UnaryOp, Body>> = {
  neg: ['return -v0;'],
  abs: ['return Math.abs(v0);'],
  sign: ['return v0 > 0 ? 1 : (v0 < 0 ? -1 : v0);'],
  exp: ['return Math.exp(v0);'],
  log: ['return Math.log(v0);'],
  sqrt: ['return Math.sqrt(v0);'],
  rsqrt: ['return 1 / Math.sqrt(v0);'],
  reciprocal: ['return 1 / v0;'],
  square: ['return v0 * v0;'],
  sin: ['return Math.sin(v0);'],
  cos: ['return Math.cos(v0);'],
  tanh: ['return Math.tanh(v0);'],
  sigmoid: ['return 1 / (1 + Math.exp(-v0));'],
  relu: ['return v0 > 0 ? v0 : 0;'],
  reluGrad: ['return v0 > 0 ? 1 : 0;'],
  // gelu(x) = x Φ(x)
  gelu: [...normalCdf('v0', 'cdf'), 'return v0 * cdf;'],
  // gelu'(x), saved by a recorded gelu for its backward
  geluGrad: [...geluGrad('v0', 'gg'), 'return gg;'],
  // gelu_tanh(x) = ½ x (1 + tanh u) = x s, s = σ(2u) = 1 / (1 + e^{−2u}), u = k (x + c x³): no 1 + tanh u to cancel
  geluTanh: [...tanhSigmoid('v0'), 'return v0 * s;'],
  // d/dx ½x(1+tanh u) = ½(1+tanh u) + ½x(1−tanh²u) u' = s + 2x s(1−s) k (1 + 3c x²)
  geluTanhGrad: [...tanhSigmoid('v0'), `return s + 2 * v0 * s * sc * ${GELU_K} * (1 + ${3 * GELU_C} * v0 * v0);`],
  // erf'(x) = 2/√π e^{−x²}
  erfGrad: ['return 1.1283791670955126 * Math.exp(-v0 * v0);'],
  // erf itself needs the cpu kernel's series near 0 for its relative accuracy: a counted fallback
};

export const BINARY_BODIES: Partial<Record<BinaryOp, Body>> = {
  add: ['return v0 + v1;'],
  sub: ['return v0 - v1;'],
  mul: ['return v0 * v1;'],
  div: ['return v0 / v1;'],
  maximum: ['return v0 > v1 ? v0 : v1;'],
  minimum: ['return v0 < v1 ? v0 : v1;'],
  // grad · gelu'(x), v0 = grad, v1 = x
  geluBackward: [...geluGrad('v1', 'gg'), 'return v0 * gg;'],
  // pow (WGSL's pow is undefined for a negative base) and the comparisons (int32 results) run on the cpu
};

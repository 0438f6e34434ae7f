// Elementwise kernels: each op is one expression over v0 (and v1, v2), compiled into strided loops; large
// contiguous float32 arrays go to the wasm kernels instead (fast.ts).
import type { DType, TypedArray } from '../../dtype.js';
import { dtypeOfArray } from '../../dtype.js';
import type { BinaryOp, UnaryOp, View } from '../interface.js';
import { mapStrided } from './strided.js';
import { binaryFast, unaryFast } from './fast.js';
import { GELU_C, GELU_K } from './special.js';

// Expressions call special functions through H (bound into each compiled loop, see special.ts).
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const geluGrad = (t: DType, x: string): string =>
  `(${t === 'float64' ? 'H.cdf64' : 'H.cdf32'}(${x}) + ${x} * ${INV_SQRT_2PI} * Math.exp(-0.5 * ${x} * ${x}))`;

const UNARY: Record<UnaryOp, (dtype: DType) => string> = {
  neg: () => '-v0',
  abs: () => 'Math.abs(v0)',
  sign: () => '(v0 > 0 ? 1 : v0 < 0 ? -1 : v0)',
  exp: () => 'Math.exp(v0)',
  log: () => 'Math.log(v0)',
  sqrt: () => 'Math.sqrt(v0)',
  rsqrt: () => '1 / Math.sqrt(v0)',
  reciprocal: () => '1 / v0',
  square: () => 'v0 * v0',
  sin: () => 'Math.sin(v0)',
  cos: () => 'Math.cos(v0)',
  tanh: () => 'Math.tanh(v0)',
  sigmoid: () => '1 / (1 + Math.exp(-v0))',
  relu: () => '(v0 > 0 ? v0 : 0)',
  erf: (t) => (t === 'float64' ? 'H.erf64(v0)' : 'H.erf32(v0)'),
  // gelu(x) = x Φ(x)
  gelu: (t) => (t === 'float64' ? 'v0 * H.cdf64(v0)' : 'v0 * H.cdf32(v0)'),
  // gelu_tanh(x) = ½ x (1 + tanh(k (x + 0.044715 x³)))
  geluTanh: () => `0.5 * v0 * (1 + Math.tanh(${GELU_K} * (v0 + ${GELU_C} * v0 * v0 * v0)))`,
  reluGrad: () => '(v0 > 0 ? 1 : 0)',
  // gelu'(x) = Φ(x) + x φ(x)
  geluGrad: (t) => geluGrad(t, 'v0'),
  // d/dx ½x(1+tanh u) = ½(1+tanh u) + ½x(1-tanh²u) k (1 + 3·0.044715 x²)
  geluTanhGrad: () =>
    `H.geluTanhGrad(v0)`,
  // erf'(x) = 2/√π e^{-x²}
  erfGrad: () => '1.1283791670955126 * Math.exp(-v0 * v0)',
};

const BINARY: Record<BinaryOp, string | ((dtype: DType) => string)> = {
  add: 'v0 + v1',
  sub: 'v0 - v1',
  mul: 'v0 * v1',
  div: 'v0 / v1',
  pow: 'Math.pow(v0, v1)',
  maximum: '(v0 > v1 || v0 !== v0 ? v0 : v1)',
  minimum: '(v0 < v1 || v0 !== v0 ? v0 : v1)',
  eq: '(v0 === v1 ? 1 : 0)',
  ne: '(v0 !== v1 ? 1 : 0)',
  lt: '(v0 < v1 ? 1 : 0)',
  le: '(v0 <= v1 ? 1 : 0)',
  gt: '(v0 > v1 ? 1 : 0)',
  ge: '(v0 >= v1 ? 1 : 0)',
  // grad · gelu'(x), v0 = grad, v1 = x
  geluBackward: (t) => `v0 * ${geluGrad(t, 'v1')}`,
};

export function unaryKernel(op: UnaryOp, x: View, out: TypedArray): void {
  if (unaryFast(op, x, out)) return;
  mapStrided(UNARY[op](dtypeOfArray(out)), [x], out);
}

export function binaryKernel(op: BinaryOp, a: View, b: View, out: TypedArray): void {
  if (binaryFast(op, a, b, out)) return;
  const expr = BINARY[op];
  mapStrided(typeof expr === 'string' ? expr : expr(dtypeOfArray(out)), [a, b], out);
}

export function whereKernel(cond: View, a: View, b: View, out: TypedArray): void {
  mapStrided('(v0 !== 0 ? v1 : v2)', [cond, a, b], out);
}

// Emitted wasm for float32 elementwise kernels with transcendental math: two elements per step, widened
// to f64x2, evaluated by math64.ts, rounded once back to float32. Also the chunk runner for threaded jobs.
import { Code, ConstPool, FuncDef, T } from './emitter.js';
import { Locals } from './emit-helpers.js';
import * as M from './math64.js';
import { Ctl } from './protocol.js';
import type { Exports } from './runtime.js';

/** The unary ops with a wasm kernel; the index is the op id stored in a threaded job. */
export const WASM_UNARY = ['exp', 'log', 'tanh', 'sigmoid', 'erf', 'erfGrad', 'gelu', 'geluGrad', 'geluTanh', 'geluTanhGrad'] as const;
export type WasmUnaryOp = (typeof WASM_UNARY)[number];
/** op id of the fused gelu backward, grad · gelu'(x) */
export const GELU_BACKWARD = WASM_UNARY.length;
/** op ids of the f32x4 gelu, its backward, and both at once (gelu32-kernel.ts; the last writes d at ewIn1) */
export const GELU32 = GELU_BACKWARD + 1, GELU32_BACKWARD = GELU_BACKWARD + 2, GELU32_WITH_GRAD = GELU_BACKWARD + 3;

const BODIES: Record<WasmUnaryOp, (c: M.Ctx, x: number) => void> = {
  exp: M.exp,
  log: M.log,
  tanh: M.tanh,
  sigmoid: M.sigmoid,
  erf: M.erf,
  erfGrad: M.erfGrad,
  // gelu(x) = x Φ(x)
  gelu: (c, x) => { M.normalCdf(c, x, c.L.add(T.v128)); c.k.get(x).f64x2Mul(); },
  geluGrad: M.geluGrad,
  geluTanh: M.geluTanh,
  geluTanhGrad: M.geluTanhGrad,
};

/**
 * (in0, [in1,] out, n): out[i] = f(in0[i], in1[i]) for n elements (n even; byte addresses). `body` pushes
 * the f64x2 result from the widened inputs in locals xs.
 */
function mapKernel(pool: ConstPool, name: string, nIn: number, body: (c: M.Ctx, xs: number[]) => void): FuncDef {
  const out = nIn, n = nIn + 1;
  const L = new Locals(nIn + 2), k = new Code(), c = { k, L };
  k.pool = pool;
  const end = L.add(T.i32);
  const xs = Array.from({ length: nIn }, () => L.add(T.v128));
  k.get(0).get(n).i32(2).i32Shl().i32Add().set(end);
  k.block().loop();
  k.get(0).get(end).i32GeS().brIf(1);
  for (let i = 0; i < nIn; i++) k.get(i).v128Load64Zero().f64x2PromoteLowF32x4().set(xs[i]);
  k.get(out);
  body(c, xs);
  k.f32x4DemoteF64x2Zero().v128Store64Lane(0);
  for (let i = 0; i <= nIn; i++) k.get(i).i32(8).i32Add().set(i);
  k.br(0).end().end();
  return { name, params: Array<T>(nIn + 2).fill(T.i32), locals: L.types, body: k };
}

/** The kernels' constants go to `pool`, which the runtime must copy into memory. */
export function emitElementwiseKernels(pool: ConstPool): FuncDef[] {
  return [
    ...WASM_UNARY.map((op) => mapKernel(pool, `unary_${op}`, 1, (c, [x]) => BODIES[op](c, x))),
    // d gelu, fused with the upstream gradient: grad · (Φ(x) + x φ(x))
    mapKernel(pool, 'geluBackward', 2, (c, [g, x]) => { M.geluGrad(c, x); c.k.get(g).f64x2Mul(); }),
  ];
}

/** Runs chunk `chunk` of the elementwise job in the control block (any thread). */
export function runElementwiseChunk(ex: Exports, c: Int32Array, chunk: number): void {
  const size = c[Ctl.ewChunk], start = chunk * size, len = Math.min(size, c[Ctl.ewCount] - start), off = start * 4;
  const op = c[Ctl.ewOp];
  if (op === GELU_BACKWARD) ex.geluBackward(c[Ctl.ewIn0] + off, c[Ctl.ewIn1] + off, c[Ctl.ewOut] + off, len);
  else if (op === GELU32) ex.gelu32(c[Ctl.ewIn0] + off, c[Ctl.ewOut] + off, len);
  else if (op === GELU32_BACKWARD) ex.gelu32Backward(c[Ctl.ewIn0] + off, c[Ctl.ewIn1] + off, c[Ctl.ewOut] + off, len);
  else if (op === GELU32_WITH_GRAD) ex.gelu32WithGrad(c[Ctl.ewIn0] + off, c[Ctl.ewOut] + off, c[Ctl.ewIn1] + off, len);
  else ex.unary[op](c[Ctl.ewIn0] + off, c[Ctl.ewOut] + off, len);
}

// Emitted wasm for row-wise kernels over contiguous [rows, cols] f32 (softmax here, layernorm beside it),
// forward and backward. Columns go four at a time, then a scalar tail; exp is a polynomial computed inside wasm.
import { Code, FuncDef, T } from './emitter.js';

/** Hands out local indices after the parameters. */
class Locals {
  readonly types: T[] = [];
  constructor(private readonly nParams: number) {}
  add(t: T): number { this.types.push(t); return this.nParams + this.types.length - 1; }
}

// exp(x) = 2^n · e^r with n = round(x·log2 e), r = x − n·ln 2 (ln 2 split in two for precision) and
// e^r by the Cephes expf polynomial on |r| ≤ ln2/2: relative error ≈ 1e-7.
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const splat = (x: number): [number, number, number, number] => [x, x, x, x];

/**
 * Pops a v128 of x and pushes exp(x) lane-wise. The polynomial runs on x clamped to [-87.3, 88.3] (2^n stays a
 * normal float); below -87.3 (exp < FLT_MIN, and exp(-∞)) the result is exactly 0, above 88.72 it is +∞.
 */
function emitExp(k: Code, t: { x: number; n: number; r: number }): void {
  k.set(t.x);
  k.get(t.x).v128Const(splat(-87.3)).f32x4Max().v128Const(splat(88.3)).f32x4Min().set(t.r);
  k.get(t.r).v128Const(splat(Math.LOG2E)).f32x4Mul().f32x4Nearest().set(t.n);
  k.get(t.r).get(t.n).v128Const(splat(0.693359375)).f32x4Mul().f32x4Sub();
  k.get(t.n).v128Const(splat(-2.12194440e-4)).f32x4Mul().f32x4Sub().set(t.r);
  k.v128Const(splat(EXP_POLY[0]));
  for (let i = 1; i < EXP_POLY.length; i++) k.get(t.r).f32x4Mul().v128Const(splat(EXP_POLY[i])).f32x4Add();
  k.get(t.r).f32x4Mul().get(t.r).f32x4Mul().get(t.r).f32x4Add().v128Const(splat(1)).f32x4Add();
  // 2^n: (n + 127) << 23 as float bits
  k.get(t.n).i32x4TruncSatF32x4S().i32(127).i32x4Splat().i32x4Add().i32(23).i32x4Shl().f32x4Mul();
  k.set(t.r).v128Const(splat(Infinity)).get(t.r).get(t.x).v128Const(splat(88.72284)).f32x4Gt().v128Bitselect();
  k.get(t.x).v128Const(splat(-87.3)).f32x4Lt().v128AndNot();
}

/** Horizontal sum (or max) of the v128 in local v, pushed as f32. */
function reduce(k: Code, v: number, op: 'add' | 'max'): void {
  k.get(v).f32x4ExtractLane(0);
  for (let l = 1; l < 4; l++) {
    k.get(v).f32x4ExtractLane(l);
    if (op === 'add') k.f32Add(); else k.f32Max();
  }
}

/**
 * Emits a pass over one row: j runs over byte offsets; vec() is emitted for each 4 columns, tail() for
 * each leftover column. Both may read j.
 */
function forCols(k: Code, j: number, vecEnd: number, rowEnd: number, vec: () => void, tail: () => void): void {
  k.i32(0).set(j);
  k.block().loop();
  k.get(j).get(vecEnd).i32GeS().brIf(1);
  vec();
  k.get(j).i32(16).i32Add().set(j);
  k.br(0).end().end();
  k.block().loop();
  k.get(j).get(rowEnd).i32GeS().brIf(1);
  tail();
  k.get(j).i32(4).i32Add().set(j);
  k.br(0).end().end();
}

/** Emits `for row in rows` around body(); each pointer local in `ptrs` advances by rowBytes per row. */
function forRows(k: Code, rows: number, rowBytes: number, ptrs: number[], body: () => void): void {
  k.block();
  k.get(rows).i32(0).i32LeS().brIf(0);
  k.loop();
  body();
  for (const p of ptrs) k.get(p).get(rowBytes).i32Add().set(p);
  k.get(rows).i32(1).i32Sub().tee(rows).brIf(0);
  k.end().end();
}

function softmax(): FuncDef {
  const [x, y, rows, cols] = [0, 1, 2, 3];
  const L = new Locals(4), k = new Code();
  const rowBytes = L.add(T.i32), vecEnd = L.add(T.i32), j = L.add(T.i32);
  const vm = L.add(T.v128), vs = L.add(T.v128), m = L.add(T.f32), s = L.add(T.f32), e = L.add(T.v128);
  const t = { x: L.add(T.v128), n: L.add(T.v128), r: L.add(T.v128) };
  k.get(cols).i32(4).i32Mul().set(rowBytes);
  k.get(cols).i32(2).i32Shl().i32(-16).and_().set(vecEnd);
  forRows(k, rows, rowBytes, [x, y], () => {
    k.v128Const(splat(-Infinity)).set(vm);
    forCols(k, j, vecEnd, rowBytes, () => k.get(vm).get(x).get(j).i32Add().v128Load().f32x4Max().set(vm),
      () => k.get(vm).get(x).get(j).i32Add().v128Load32Splat().f32x4Max().set(vm));
    reduce(k, vm, 'max'); k.set(m);
    k.v128Const([0, 0, 0, 0]).set(vs).f32(0).set(s);
    forCols(k, j, vecEnd, rowBytes, () => {
      k.get(x).get(j).i32Add().v128Load().get(m).f32x4Splat().f32x4Sub();
      emitExp(k, t); k.set(e);
      k.get(y).get(j).i32Add().get(e).v128Store();
      k.get(vs).get(e).f32x4Add().set(vs);
    }, () => {
      k.get(x).get(j).i32Add().v128Load32Splat().get(m).f32x4Splat().f32x4Sub();
      emitExp(k, t); k.set(e);
      k.get(y).get(j).i32Add().get(e).f32x4ExtractLane(0).f32Store();
      k.get(s).get(e).f32x4ExtractLane(0).f32Add().set(s);
    });
    reduce(k, vs, 'add'); k.get(s).f32Add().set(s);
    k.f32(1).get(s).f32Div().set(s);
    forCols(k, j, vecEnd, rowBytes,
      () => k.get(y).get(j).i32Add().get(y).get(j).i32Add().v128Load().get(s).f32x4Splat().f32x4Mul().v128Store(),
      () => k.get(y).get(j).i32Add().get(y).get(j).i32Add().f32Load().get(s).f32Mul().f32Store());
  });
  return { name: 'softmax', params: [T.i32, T.i32, T.i32, T.i32], locals: L.types, body: k };
}

// d softmax: dx = y * (g - sum(g * y))
function softmaxBackward(): FuncDef {
  const [y, g, dx, rows, cols] = [0, 1, 2, 3, 4];
  const L = new Locals(5), k = new Code();
  const rowBytes = L.add(T.i32), vecEnd = L.add(T.i32), j = L.add(T.i32), vs = L.add(T.v128), s = L.add(T.f32);
  k.get(cols).i32(4).i32Mul().set(rowBytes);
  k.get(cols).i32(2).i32Shl().i32(-16).and_().set(vecEnd);
  forRows(k, rows, rowBytes, [y, g, dx], () => {
    k.v128Const([0, 0, 0, 0]).set(vs).f32(0).set(s);
    forCols(k, j, vecEnd, rowBytes,
      () => k.get(vs).get(y).get(j).i32Add().v128Load().get(g).get(j).i32Add().v128Load().f32x4Mul().f32x4Add().set(vs),
      () => k.get(s).get(y).get(j).i32Add().f32Load().get(g).get(j).i32Add().f32Load().f32Mul().f32Add().set(s));
    reduce(k, vs, 'add'); k.get(s).f32Add().set(s);
    forCols(k, j, vecEnd, rowBytes,
      () => k.get(dx).get(j).i32Add().get(y).get(j).i32Add().v128Load()
        .get(g).get(j).i32Add().v128Load().get(s).f32x4Splat().f32x4Sub().f32x4Mul().v128Store(),
      () => k.get(dx).get(j).i32Add().get(y).get(j).i32Add().f32Load()
        .get(g).get(j).i32Add().f32Load().get(s).f32Sub().f32Mul().f32Store());
  });
  return { name: 'softmaxBackward', params: [T.i32, T.i32, T.i32, T.i32, T.i32], locals: L.types, body: k };
}

export { Locals, emitExp, forCols, forRows, reduce, splat };

export function emitSoftmaxKernels(): FuncDef[] {
  return [softmax(), softmaxBackward()];
}

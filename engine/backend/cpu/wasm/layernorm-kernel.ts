// Emitted wasm for layernorm over the last axis of a contiguous [rows, cols] f32 array.
import { Code, FuncDef, T } from './emitter.js';
import { Locals, forCols, forColsUnrolled, forRows, reduce, splat } from './emit-helpers.js';

// y = (x - mean) * rstd * w + b, rstd = 1 / sqrt(var + eps), var the biased variance of the row.
// Two rows at a time, their steps emitted side by side: a row is a chain of dependent reductions (mean, then
// variance, then the square root), so one row alone leaves the core waiting on latency. Each row's operations
// are the same whether it is paired or not: the bits do not depend on it.
function layerNorm(): FuncDef {
  const [x, w, b, y, mean, rstd, rows, cols, eps] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const L = new Locals(9), k = new Code();
  const rowBytes = L.add(T.i32), vecEnd = L.add(T.i32), j = L.add(T.i32), n = L.add(T.f32);
  const ends = { row: rowBytes, vec: vecEnd, vec2: L.add(T.i32) };
  k.get(cols).i32(4).i32Mul().set(rowBytes);
  k.get(cols).i32(2).i32Shl().i32(-16).and_().set(vecEnd);
  k.get(cols).f32ConvertI32S().set(n);
  k.get(rowBytes).i32(-32).and_().set(ends.vec2);
  /** one row's locals: its x and y, two vector sums and a scalar one, its mean and 1/σ (scalar and splat), a temporary */
  const rowLocals = () => ({
    x: L.add(T.i32), y: L.add(T.i32), vs: L.add(T.v128), vs2: L.add(T.v128), s: L.add(T.f32),
    mu: L.add(T.f32), r: L.add(T.f32), vmu: L.add(T.v128), vr: L.add(T.v128), d: L.add(T.v128),
  });
  const pair = [rowLocals(), rowLocals()];
  /** normalizes the rows at x, x + rowBytes, … (one per entry of R) into y, y + rowBytes, …; mean and rstd at mean, rstd, + 4, … */
  const body = (R: typeof pair) => {
    R.forEach((t, i) => {
      k.get(x).get(rowBytes).i32(i).i32Mul().i32Add().set(t.x);
      k.get(y).get(rowBytes).i32(i).i32Mul().i32Add().set(t.y);
      // two accumulators (columns 8j..8j+3 and 8j+4..8j+7): the sums' add chains are the row's latency
      k.v128Const(splat(0)).tee(t.vs).set(t.vs2).f32(0).set(t.s);
    });
    forColsUnrolled(k, j, ends, (off, acc) => R.forEach((t) => { const v = acc === 0 ? t.vs : t.vs2; k.get(v).get(t.x).get(j).i32Add().v128Load(off).f32x4Add().set(v); }),
      () => R.forEach((t) => k.get(t.s).get(t.x).get(j).i32Add().f32Load().f32Add().set(t.s)));
    R.forEach((t) => {
      k.get(t.vs).get(t.vs2).f32x4Add().set(t.vs);
      reduce(k, t.vs, 'add'); k.get(t.s).f32Add().get(n).f32Div().tee(t.mu).f32x4Splat().set(t.vmu);
      k.v128Const(splat(0)).tee(t.vs).set(t.vs2).f32(0).set(t.s);
    });
    forColsUnrolled(k, j, ends, (off, acc) => R.forEach((t) => {
      const v = acc === 0 ? t.vs : t.vs2;
      k.get(t.x).get(j).i32Add().v128Load(off).get(t.vmu).f32x4Sub().set(t.d);
      k.get(v).get(t.d).get(t.d).f32x4Mul().f32x4Add().set(v);
    }), () => R.forEach((t) => {
      k.get(t.x).get(j).i32Add().f32Load().get(t.mu).f32Sub().f32x4Splat().set(t.d);
      k.get(t.s).get(t.d).f32x4ExtractLane(0).get(t.d).f32x4ExtractLane(0).f32Mul().f32Add().set(t.s);
    }));
    R.forEach((t, i) => {
      k.get(t.vs).get(t.vs2).f32x4Add().set(t.vs);
      reduce(k, t.vs, 'add'); k.get(t.s).f32Add().get(n).f32Div().get(eps).f32Add().f32Sqrt().set(t.r);
      k.f32(1).get(t.r).f32Div().tee(t.r).f32x4Splat().set(t.vr);
      k.get(mean).get(t.mu).f32Store(4 * i).get(rstd).get(t.r).f32Store(4 * i);
    });
    forCols(k, j, vecEnd, rowBytes, () => R.forEach((t) => {
      k.get(t.y).get(j).i32Add();
      k.get(t.x).get(j).i32Add().v128Load().get(t.vmu).f32x4Sub().get(t.vr).f32x4Mul();
      k.get(w).get(j).i32Add().v128Load().f32x4Mul().get(b).get(j).i32Add().v128Load().f32x4Add().v128Store();
    }), () => R.forEach((t) => {
      k.get(t.y).get(j).i32Add();
      k.get(t.x).get(j).i32Add().f32Load().get(t.mu).f32Sub().get(t.r).f32Mul();
      k.get(w).get(j).i32Add().f32Load().f32Mul().get(b).get(j).i32Add().f32Load().f32Add().f32Store();
    }));
    const step = R.length;
    k.get(x).get(rowBytes).i32(step).i32Mul().i32Add().set(x).get(y).get(rowBytes).i32(step).i32Mul().i32Add().set(y);
    k.get(mean).i32(4 * step).i32Add().set(mean).get(rstd).i32(4 * step).i32Add().set(rstd);
  };
  // pairs of rows, then the odd one
  k.block().loop();
  k.get(rows).i32(2).i32LtS().brIf(1);
  body(pair);
  k.get(rows).i32(2).i32Sub().set(rows).br(0);
  k.end().end();
  k.get(rows).i32(1).i32Eq().if_();
  body([pair[0]]);
  k.end();
  return { name: 'layerNorm', params: [...Array(8).fill(T.i32), T.f32], locals: L.types, body: k };
}

// xhat = (x - mean) * rstd, gw = grad * w:
// dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)); dw = sum_rows grad * xhat; db = sum_rows grad
function layerNormBackward(): FuncDef {
  const [x, w, mean, rstd, g, dx, dw, db, rows, cols] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const L = new Locals(10), k = new Code();
  const rowBytes = L.add(T.i32), vecEnd = L.add(T.i32), j = L.add(T.i32), n = L.add(T.f32);
  const va = L.add(T.v128), vb = L.add(T.v128), sa = L.add(T.f32), sb = L.add(T.f32);
  const vmu = L.add(T.v128), vr = L.add(T.v128), xh = L.add(T.v128), gv = L.add(T.v128), gw = L.add(T.v128);
  const keepA = L.add(T.v128), keepB = L.add(T.v128);
  k.get(cols).i32(4).i32Mul().set(rowBytes);
  k.get(cols).i32(2).i32Shl().i32(-16).and_().set(vecEnd);
  k.get(cols).f32ConvertI32S().set(n);
  forCols(k, j, vecEnd, rowBytes,
    () => { k.get(dw).get(j).i32Add().v128Const(splat(0)).v128Store(); k.get(db).get(j).i32Add().v128Const(splat(0)).v128Store(); },
    () => { k.get(dw).get(j).i32Add().f32(0).f32Store(); k.get(db).get(j).i32Add().f32(0).f32Store(); });
  // one body for both the vector and the tail: the tail works on lane 0 of splatted scalars
  const pass1 = (load: (p: number) => void, store: (p: number, v: () => void) => void) => {
    load(x); k.get(vmu).f32x4Sub().get(vr).f32x4Mul().set(xh);
    load(g); k.set(gv);
    load(w); k.get(gv).f32x4Mul().set(gw);
    k.get(va).get(gw).f32x4Add().set(va);
    k.get(vb).get(gw).get(xh).f32x4Mul().f32x4Add().set(vb);
    store(dw, () => { load(dw); k.get(gv).get(xh).f32x4Mul().f32x4Add(); });
    store(db, () => { load(db); k.get(gv).f32x4Add(); });
  };
  const pass2 = (load: (p: number) => void, store: (p: number, v: () => void) => void) => {
    load(x); k.get(vmu).f32x4Sub().get(vr).f32x4Mul().set(xh);
    load(g); load(w); k.f32x4Mul().set(gw);
    store(dx, () => { k.get(gw).get(va).f32x4Sub().get(xh).get(vb).f32x4Mul().f32x4Sub().get(vr).f32x4Mul(); });
  };
  const vload = (p: number) => { k.get(p).get(j).i32Add().v128Load(); };
  const vstore = (p: number, v: () => void) => { k.get(p).get(j).i32Add(); v(); k.v128Store(); };
  const sload = (p: number) => { k.get(p).get(j).i32Add().v128Load32Splat(); };
  const sstore = (p: number, v: () => void) => { k.get(p).get(j).i32Add(); v(); k.f32x4ExtractLane(0).f32Store(); };
  forRows(k, rows, rowBytes, [x, g, dx], () => {
    k.get(mean).f32Load().f32x4Splat().set(vmu).get(rstd).f32Load().f32x4Splat().set(vr);
    k.get(mean).i32(4).i32Add().set(mean).get(rstd).i32(4).i32Add().set(rstd);
    k.v128Const(splat(0)).tee(va).set(vb).f32(0).set(sa).f32(0).set(sb);
    // a tail column runs the vector body on splats; only lane 0 of its sums is kept, in sa/sb
    forCols(k, j, vecEnd, rowBytes, () => pass1(vload, vstore), () => {
      k.get(va).set(keepA).get(vb).set(keepB); // set the vector sums aside
      k.v128Const(splat(0)).tee(va).set(vb);
      pass1(sload, sstore);
      k.get(sa).get(va).f32x4ExtractLane(0).f32Add().set(sa).get(sb).get(vb).f32x4ExtractLane(0).f32Add().set(sb);
      k.get(keepA).set(va).get(keepB).set(vb);
    });
    reduce(k, va, 'add'); k.get(sa).f32Add().get(n).f32Div().f32x4Splat().set(va);
    reduce(k, vb, 'add'); k.get(sb).f32Add().get(n).f32Div().f32x4Splat().set(vb);
    forCols(k, j, vecEnd, rowBytes, () => pass2(vload, vstore), () => pass2(sload, sstore));
  });
  return { name: 'layerNormBackward', params: Array(10).fill(T.i32), locals: L.types, body: k };
}

export function emitLayerNormKernels(): FuncDef[] {
  return [layerNorm(), layerNormBackward()];
}

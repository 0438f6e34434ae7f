// Emitted wasm for the float32 arithmetic ops over row-broadcast views, strided copies, and column sums, which
// the cpu backend otherwise runs as JavaScript loops (about 1 ns an element). The driver (broadcast.ts) folds a
// view into outer slices of rows × cols, each row contiguous in memory or one value repeated along it:
//   bin_<op>_<mode>(a, aPS, aRS, b, bPS, bRS, out, planes, rows, cols)   out[p, r, j] = a[p, r, j] op b[p, r, j]
//     mode vv: both rows contiguous; vs: b[p, r, j] = b[p, r, 0] (a bias column, a scalar); sv: the same for a
//   copy_rows(a, aPS, aRS, out, planes, rows, cols)                         out[p, r, j] = a[p, r, j], rows contiguous
//   copy_gather(a, aPS, aRS, aCS, out, planes, rows, cols)                  the same, a's columns aCS bytes apart
//   colsum(x, rows, cols, acc)                                        acc[j] = Σ_r x[r, j] in float64 (a bias gradient)
// out is contiguous; addresses and plane, row and column strides (PS, RS, CS) in bytes. Four columns a step, then
// one at a time. runPlanesChunk runs a share of a planes job (one more, outer dim) on any thread of the pool.
import { Code, FuncDef, T } from './emitter.js';
import { Locals } from './emit-helpers.js';
import { Ctl } from './protocol.js';
import type { Exports } from './runtime.js';

export const BROADCAST_OPS = ['add', 'sub', 'mul', 'div'] as const;
export type BroadcastOp = (typeof BROADCAST_OPS)[number];
export const BROADCAST_MODES = ['vv', 'vs', 'sv'] as const;
export type BroadcastMode = (typeof BROADCAST_MODES)[number];

const VECTOR: Record<BroadcastOp, (k: Code) => void> = {
  add: (k) => k.f32x4Add(), sub: (k) => k.f32x4Sub(), mul: (k) => k.f32x4Mul(), div: (k) => k.f32x4Div(),
};
const SCALAR: Record<BroadcastOp, (k: Code) => void> = {
  add: (k) => k.f32Add(), sub: (k) => k.f32Sub(), mul: (k) => k.f32Mul(), div: (k) => k.f32Div(),
};

/** Pushes the operand at row pointer `row`, column byte offset `j`: a vector (or one lane) or the row's first value splatted. */
function operand(k: Code, row: number, j: number, splat: boolean, vector: boolean): void {
  if (splat) { k.get(row); if (vector) k.v128Load32Splat(); else k.f32Load(); return; }
  k.get(row).get(j).i32Add();
  if (vector) k.v128Load(); else k.f32Load();
}

interface Operand { ptr: number; planeStride: number; rowStride: number }

/**
 * planes × rows × cols: a loop over planes, then rows, then a vector and a scalar pass over the columns (or
 * only the scalar one). `body(vector, j, rowPtrs)` pushes the value stored at out[p, r, j]; row pointers start
 * each plane at the operand's plane pointer (the parameter itself), which advances by its plane stride.
 */
function planesKernel(name: string, params: number, ops: Operand[], out: number, planes: number, rows: number, cols: number,
                      L: Locals, k: Code, scalarOnly: boolean, body: (vector: boolean, j: number, rowPtrs: number[]) => void): FuncDef {
  const p = L.add(T.i32), r = L.add(T.i32), j = L.add(T.i32), vecEnd = L.add(T.i32), rowEnd = L.add(T.i32);
  const rowPtrs = ops.map(() => L.add(T.i32));
  k.get(cols).i32(2).i32Shl().set(rowEnd);
  k.get(cols).i32(-4).and_().i32(2).i32Shl().set(vecEnd);
  k.i32(0).set(p);
  k.block().loop();
  k.get(p).get(planes).i32GeS().brIf(1);
  ops.forEach((o, i) => k.get(o.ptr).set(rowPtrs[i]));
  k.i32(0).set(r);
  k.block().loop();
  k.get(r).get(rows).i32GeS().brIf(1);
  k.i32(0).set(j);
  for (const [end, step, vector] of [[vecEnd, 16, true], [rowEnd, 4, false]] as const) {
    if (vector && scalarOnly) continue;
    k.block().loop();
    k.get(j).get(end).i32GeS().brIf(1);
    k.get(out).get(j).i32Add();
    body(vector, j, rowPtrs);
    if (vector) k.v128Store(); else k.f32Store();
    k.get(j).i32(step).i32Add().set(j);
    k.br(0).end().end();
  }
  k.get(out).get(rowEnd).i32Add().set(out);
  ops.forEach((o, i) => k.get(rowPtrs[i]).get(o.rowStride).i32Add().set(rowPtrs[i]));
  k.get(r).i32(1).i32Add().set(r);
  k.br(0).end().end();
  for (const o of ops) k.get(o.ptr).get(o.planeStride).i32Add().set(o.ptr);
  k.get(p).i32(1).i32Add().set(p);
  k.br(0).end().end();
  return { name, params: Array<T>(params).fill(T.i32), locals: L.types, body: k };
}

/** bin_<op>_<mode>(a, aPlaneStride, aRowStride, b, bPlaneStride, bRowStride, out, planes, rows, cols) */
function binaryKernel(op: BroadcastOp, mode: BroadcastMode): FuncDef {
  const L = new Locals(10), k = new Code();
  const a = { ptr: 0, planeStride: 1, rowStride: 2 }, b = { ptr: 3, planeStride: 4, rowStride: 5 };
  return planesKernel(`bin_${op}_${mode}`, 10, [a, b], 6, 7, 8, 9, L, k, false, (vector, j, [ra, rb]) => {
    operand(k, ra, j, mode === 'sv', vector);
    operand(k, rb, j, mode === 'vs', vector);
    (vector ? VECTOR : SCALAR)[op](k);
  });
}

/** copy_rows(a, aPlaneStride, aRowStride, out, planes, rows, cols): rows of a contiguous */
function copyKernel(): FuncDef {
  const L = new Locals(7), k = new Code();
  return planesKernel('copy_rows', 7, [{ ptr: 0, planeStride: 1, rowStride: 2 }], 3, 4, 5, 6, L, k, false, (vector, j, [ra]) => operand(k, ra, j, false, vector));
}

/** copy_gather(a, aPlaneStride, aRowStride, aColStride, out, planes, rows, cols): a's columns `aColStride` bytes apart (a transpose) */
function gatherKernel(): FuncDef {
  const L = new Locals(8), k = new Code();
  // the element at row pointer + (j/4)·aColStride
  return planesKernel('copy_gather', 8, [{ ptr: 0, planeStride: 1, rowStride: 2 }], 4, 5, 6, 7, L, k, true, (_vector, j, [ra]) => {
    k.get(ra).get(j).i32(2).i32Shr().get(3).i32Mul().i32Add().f32Load();
  });
}

/** colsum(x, rows, cols, acc): acc[0 .. cols] (float64, room for cols rounded up to even) = Σ_r x[r, ·], x contiguous. */
function colSumKernel(): FuncDef {
  const [x, rows, cols, acc] = [0, 1, 2, 3];
  const L = new Locals(4), k = new Code();
  const r = L.add(T.i32), p = L.add(T.i32), end = L.add(T.i32);
  // end = acc + 16·ceil(cols/2): each pair of columns has one f64x2 accumulator
  k.get(acc).get(cols).i32(1).i32Add().i32(1).i32Shr().i32(4).i32Shl().i32Add().set(end);
  k.get(acc).set(p);
  k.block().loop();
  k.get(p).get(end).i32GeS().brIf(1);
  k.get(p).f64x2Const(0).v128Store();
  k.get(p).i32(16).i32Add().set(p);
  k.br(0).end().end();
  k.i32(0).set(r);
  k.block().loop();
  k.get(r).get(rows).i32GeS().brIf(1);
  k.get(acc).set(p);
  const q = L.add(T.i32);
  k.get(x).set(q);
  k.block().loop();
  k.get(p).get(end).i32GeS().brIf(1);
  // an odd last column reads one float past the row: it lands in the spare accumulator lane, never read back
  k.get(p).get(p).v128Load().get(q).v128Load64Zero().f64x2PromoteLowF32x4().f64x2Add().v128Store();
  k.get(p).i32(16).i32Add().set(p);
  k.get(q).i32(8).i32Add().set(q);
  k.br(0).end().end();
  k.get(x).get(cols).i32(2).i32Shl().i32Add().set(x);
  k.get(r).i32(1).i32Add().set(r);
  k.br(0).end().end();
  return { name: 'colsum', params: [T.i32, T.i32, T.i32, T.i32], locals: L.types, body: k };
}

export function emitBroadcastKernels(): FuncDef[] {
  const funcs: FuncDef[] = [];
  for (const op of BROADCAST_OPS) for (const mode of BROADCAST_MODES) funcs.push(binaryKernel(op, mode));
  funcs.push(copyKernel(), gatherKernel(), colSumKernel());
  return funcs;
}

/** Kernel ids of a planes job: bin_<op>_<mode> in BROADCAST_OPS × BROADCAST_MODES order, then the two copies. */
export const COPY_ROWS = BROADCAST_OPS.length * BROADCAST_MODES.length, COPY_GATHER = COPY_ROWS + 1;

/**
 * Runs chunk `chunk` of the planes job in the control block (any thread): the job is [outer, planes, rows, cols]
 * with the output contiguous in that order; chunks cut dim pSplit (0 outer, 1 planes, 2 rows) into pChunk pieces.
 */
export function runPlanesChunk(ex: Exports, c: Int32Array, chunk: number): void {
  const split = c[Ctl.pSplit], size = c[Ctl.pChunk], id = c[Ctl.pKernel];
  const outer = c[Ctl.pOuter], cols = c[Ctl.pCols];
  let planes = c[Ctl.pPlanes], rows = c[Ctl.pRows];
  const extent = split === 0 ? outer : split === 1 ? planes : rows;
  const start = chunk * size, len = Math.min(size, extent - start);
  const aStep = split === 0 ? c[Ctl.pAOS] : split === 1 ? c[Ctl.pAPS] : c[Ctl.pARS];
  const bStep = split === 0 ? c[Ctl.pBOS] : split === 1 ? c[Ctl.pBPS] : c[Ctl.pBRS];
  const outStep = 4 * cols * (split === 0 ? planes * rows : split === 1 ? rows : 1);
  let a = c[Ctl.pA] + start * aStep, b = c[Ctl.pB] + start * bStep, out = c[Ctl.pOut] + start * outStep;
  if (split === 1) planes = len;
  if (split === 2) rows = len;
  const count = split === 0 ? len : 1;
  const aPS = c[Ctl.pAPS], aRS = c[Ctl.pARS], bPS = c[Ctl.pBPS], bRS = c[Ctl.pBRS];
  for (let o = 0; o < count; o++) {
    if (id === COPY_ROWS) ex.copyPlanes(a, aPS, aRS, out, planes, rows, cols);
    else if (id === COPY_GATHER) ex.copyGather(a, aPS, aRS, c[Ctl.pACS], out, planes, rows, cols);
    else ex.binaryById[id](a, aPS, aRS, b, bPS, bRS, out, planes, rows, cols);
    a += aStep; b += bStep; out += outStep;
  }
}

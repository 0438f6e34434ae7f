// Emitted wasm for the float32 arithmetic ops over row-broadcast views, strided copies, and column sums, which
// the cpu backend otherwise runs as JavaScript loops (about 1 ns an element). The driver (broadcast.ts) folds a
// view into outer slices of rows × cols, each row contiguous in memory or one value repeated along it:
//   bin_<op>_<mode>(a, aRowStride, b, bRowStride, out, rows, cols)   out[r, j] = a[r, j] op b[r, j]
//     mode vv: both rows contiguous; vs: b[r, j] = b[r, 0] (a bias column, a scalar); sv: the same for a
//   copy_rows(a, aRowStride, out, rows, cols)                         out[r, j] = a[r, j]
//   colsum(x, rows, cols, acc)                                        acc[j] = Σ_r x[r, j] in float64 (a bias gradient)
// out is contiguous; addresses and row strides in bytes. Four columns a step, then one at a time.
import { Code, FuncDef, T } from './emitter.js';
import { Locals } from './rows-kernel.js';

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

/**
 * A loop over rows with a vector and a scalar pass over the columns; `body(vector)` pushes the value stored
 * at out[r, j] and may read the row pointers.
 */
function rowsKernel(name: string, params: number, rowPtrs: { ptr: number; stride: number }[], out: number, rows: number, cols: number,
                    L: Locals, k: Code, body: (vector: boolean, j: number) => void): FuncDef {
  const r = L.add(T.i32), j = L.add(T.i32), vecEnd = L.add(T.i32), rowEnd = L.add(T.i32);
  k.get(cols).i32(2).i32Shl().set(rowEnd);
  k.get(cols).i32(-4).and_().i32(2).i32Shl().set(vecEnd);
  k.i32(0).set(r);
  k.block().loop();
  k.get(r).get(rows).i32GeS().brIf(1);
  for (const [end, step, vector] of [[vecEnd, 16, true], [rowEnd, 4, false]] as const) {
    if (vector) k.i32(0).set(j);
    k.block().loop();
    k.get(j).get(end).i32GeS().brIf(1);
    k.get(out).get(j).i32Add();
    body(vector, j);
    if (vector) k.v128Store(); else k.f32Store();
    k.get(j).i32(step).i32Add().set(j);
    k.br(0).end().end();
  }
  k.get(out).get(rowEnd).i32Add().set(out);
  for (const { ptr, stride } of rowPtrs) k.get(ptr).get(stride).i32Add().set(ptr);
  k.get(r).i32(1).i32Add().set(r);
  k.br(0).end().end();
  return { name, params: Array<T>(params).fill(T.i32), locals: L.types, body: k };
}

function binaryKernel(op: BroadcastOp, mode: BroadcastMode): FuncDef {
  const [a, aRS, b, bRS, out, rows, cols] = [0, 1, 2, 3, 4, 5, 6];
  const L = new Locals(7), k = new Code();
  return rowsKernel(`bin_${op}_${mode}`, 7, [{ ptr: a, stride: aRS }, { ptr: b, stride: bRS }], out, rows, cols, L, k, (vector, j) => {
    operand(k, a, j, mode === 'sv', vector);
    operand(k, b, j, mode === 'vs', vector);
    (vector ? VECTOR : SCALAR)[op](k);
  });
}

function copyKernel(): FuncDef {
  const [a, aRS, out, rows, cols] = [0, 1, 2, 3, 4];
  const L = new Locals(5), k = new Code();
  return rowsKernel('copy_rows', 5, [{ ptr: a, stride: aRS }], out, rows, cols, L, k, (vector, j) => operand(k, a, j, false, vector));
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
  funcs.push(copyKernel(), colSumKernel());
  return funcs;
}

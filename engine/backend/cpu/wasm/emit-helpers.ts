// Code-writing helpers for the emitted kernels, on top of the emitter: local allocation, loops over rows and
// columns, lane reductions. Shared by the row kernels, layernorm and the elementwise kernels.
import { Code, T } from './emitter.js';

/** Hands out local indices after the parameters. */
export class Locals {
  readonly types: T[] = [];
  constructor(private readonly nParams: number) {}
  add(t: T): number { this.types.push(t); return this.nParams + this.types.length - 1; }
}

/** Four equal f32 lanes, for v128Const. */
export const splat = (x: number): [number, number, number, number] => [x, x, x, x];

/** Horizontal sum (or max) of the v128 in local v, pushed as f32. */
export function reduce(k: Code, v: number, op: 'add' | 'max'): void {
  k.get(v).f32x4ExtractLane(0);
  for (let l = 1; l < 4; l++) {
    k.get(v).f32x4ExtractLane(l);
    if (op === 'add') k.f32Add(); else k.f32Max();
  }
}

/** Emits `while (j < end) { body(); j += step }` (j in bytes, not reset). */
function loopCols(k: Code, j: number, end: number, step: number, body: () => void): void {
  k.block().loop();
  k.get(j).get(end).i32GeS().brIf(1);
  body();
  k.get(j).i32(step).i32Add().set(j);
  k.br(0).end().end();
}

/**
 * Emits a pass over one row: j runs over byte offsets; vec() is emitted for each 4 columns, tail() for
 * each leftover column. Both may read j.
 */
export function forCols(k: Code, j: number, vecEnd: number, rowEnd: number, vec: () => void, tail: () => void): void {
  k.i32(0).set(j);
  loopCols(k, j, vecEnd, 16, vec);
  loopCols(k, j, rowEnd, 4, tail);
}

/**
 * Like forCols, unrolled: vec(off, acc) handles the 4 columns at byte j + off, twice per step (off 0 and 16,
 * acc 0 and 1: two accumulators hide a reduction's latency, and each step pays the loop's overhead once).
 */
export function forColsUnrolled(k: Code, j: number, ends: { vec2: number; vec: number; row: number },
                         vec: (off: number, acc: number) => void, tail: () => void, pair?: () => void, tailOnce = false): void {
  k.i32(0).set(j);
  // pair: the two steps of 8 columns emitted together (interleaved), where the caller has a better order
  loopCols(k, j, ends.vec2, 32, pair ?? (() => { vec(0, 0); vec(16, 1); }));
  loopCols(k, j, ends.vec, 16, () => vec(0, 0));
  // tailOnce: tail() takes the last 1–3 columns at once (it may read a vector from j)
  if (tailOnce) { k.get(j).get(ends.row).i32LtS().if_(); tail(); k.end(); } else loopCols(k, j, ends.row, 4, tail);
}

/**
 * Emits `for row in rows` around body(); each pointer local in `ptrs` advances by rowBytes per row, or by the
 * local strides[i] where given.
 */
export function forRows(k: Code, rows: number, rowBytes: number, ptrs: number[], body: () => void, strides: (number | undefined)[] = []): void {
  k.block();
  k.get(rows).i32(0).i32LeS().brIf(0);
  k.loop();
  body();
  ptrs.forEach((p, i) => k.get(p).get(strides[i] ?? rowBytes).i32Add().set(p));
  k.get(rows).i32(1).i32Sub().tee(rows).brIf(0);
  k.end().end();
}

/** Sets the row-length locals: bytes per row, and the byte ends of the 8-wide and 4-wide column loops. */
export function rowEnds(k: Code, L: Locals, cols: number): { row: number; vec2: number; vec: number } {
  const ends = { row: L.add(T.i32), vec2: L.add(T.i32), vec: L.add(T.i32) };
  k.get(cols).i32(2).i32Shl().set(ends.row);
  k.get(ends.row).i32(-32).and_().set(ends.vec2);
  k.get(ends.row).i32(-16).and_().set(ends.vec);
  return ends;
}

// A tiny WebAssembly binary emitter: just enough to write SIMD kernels from TypeScript at run time.
// Every module imports one memory as env.mem, so the main thread and the workers can share it.

export const enum T { i32 = 0x7f, i64 = 0x7e, f32 = 0x7d, f64 = 0x7c, v128 = 0x7b }

function uleb(out: number[], n: number): void {
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
}

function sleb(out: number[], n: number): void {
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) { out.push(byte); return; }
    out.push(byte | 0x80);
  }
}

/** A function body under construction; each method appends one instruction (stack-machine order). */
export class Code {
  readonly b: number[] = [];
  private op(...bytes: number[]): this { this.b.push(...bytes); return this; }
  private simd(code: number): this { this.b.push(0xfd); uleb(this.b, code); return this; }
  private memarg(align: number, offset: number): this { uleb(this.b, align); uleb(this.b, offset); return this; }

  // control
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if_(): this { return this.op(0x04, 0x40); }
  else_(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { return this.op(0x0c, depth); }
  brIf(depth: number): this { return this.op(0x0d, depth); }
  return_(): this { return this.op(0x0f); }
  call(func: number): this { this.b.push(0x10); uleb(this.b, func); return this; }
  drop(): this { return this.op(0x1a); }
  select(): this { return this.op(0x1b); }

  // locals and constants
  get(i: number): this { this.b.push(0x20); uleb(this.b, i); return this; }
  set(i: number): this { this.b.push(0x21); uleb(this.b, i); return this; }
  tee(i: number): this { this.b.push(0x22); uleb(this.b, i); return this; }
  i32(n: number): this { this.b.push(0x41); sleb(this.b, n | 0); return this; }
  f32(x: number): this {
    const bytes = new Uint8Array(new Float32Array([x]).buffer);
    return this.op(0x43, ...bytes);
  }

  // scalar memory
  f32Load(offset = 0): this { return this.op(0x2a).memarg(2, offset); }
  f32Store(offset = 0): this { return this.op(0x38).memarg(2, offset); }
  i32Load(offset = 0): this { return this.op(0x28).memarg(2, offset); }
  i64Load(offset = 0): this { return this.op(0x29).memarg(3, offset); }
  i64Store(offset = 0): this { return this.op(0x37).memarg(3, offset); }

  // i32 arithmetic and comparison
  i32Eqz(): this { return this.op(0x45); }
  i32Eq(): this { return this.op(0x46); }
  i32Ne(): this { return this.op(0x47); }
  i32LtS(): this { return this.op(0x48); }
  i32GtS(): this { return this.op(0x4a); }
  i32LeS(): this { return this.op(0x4c); }
  i32GeS(): this { return this.op(0x4e); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32Shl(): this { return this.op(0x74); }
  i32Shr(): this { return this.op(0x76); }
  and_(): this { return this.op(0x71); }
  i32Xor(): this { return this.op(0x73); }

  // f32 arithmetic
  f32Add(): this { return this.op(0x92); }
  f32Sub(): this { return this.op(0x93); }
  f32Mul(): this { return this.op(0x94); }
  f32Div(): this { return this.op(0x95); }
  f32Max(): this { return this.op(0x97); }
  f32Sqrt(): this { return this.op(0x91); }
  f32ConvertI32S(): this { return this.op(0xb2); }

  // SIMD (0xfd prefix)
  v128Load(offset = 0): this { return this.simd(0x00).memarg(4, offset); }
  v128Store(offset = 0): this { return this.simd(0x0b).memarg(4, offset); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09).memarg(2, offset); }
  v128Const(lanes: [number, number, number, number]): this {
    this.simd(0x0c);
    this.b.push(...new Uint8Array(new Float32Array(lanes).buffer));
    return this;
  }
  /**
   * When set, f64x2Const/i64x2Const load from a table in memory (see ConstPool) instead of v128.const:
   * V8 11.3 rebuilds a v128.const from general registers at every use, inside loops too (3 instructions
   * each), and folds constants kept in locals back into the loop the same way.
   */
  pool: ConstPool | null = null;
  private v128Bytes(bytes: Uint8Array): this {
    if (this.pool) return this.i32(0).v128Load(this.pool.address(bytes));
    this.simd(0x0c); this.b.push(...bytes); return this;
  }
  /** both lanes x (f64x2) */
  f64x2Const(x: number): this { return this.v128Bytes(new Uint8Array(new Float64Array([x, x]).buffer)); }
  /** both lanes the 64-bit pattern n (i64x2) */
  i64x2Const(n: bigint): this { return this.v128Bytes(new Uint8Array(new BigUint64Array([BigInt.asUintN(64, n), BigInt.asUintN(64, n)]).buffer)); }
  /** low 64 bits from memory, high 64 bits zero */
  v128Load64Zero(offset = 0): this { return this.simd(0x5d).memarg(3, offset); }
  /** stores 64-bit lane `lane` of the v128 on top at the address below it */
  v128Store64Lane(lane: number, offset = 0): this { this.simd(0x5b).memarg(3, offset); this.b.push(lane); return this; }
  i8x16Shuffle(lanes: number[]): this { this.simd(0x0d); this.b.push(...lanes); return this; }
  i32x4Splat(): this { return this.simd(0x11); }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4ExtractLane(l: number): this { this.simd(0x1f); this.b.push(l); return this; }
  f32x4Lt(): this { return this.simd(0x43); }
  f32x4Gt(): this { return this.simd(0x44); }
  f64x2Eq(): this { return this.simd(0x47); }
  f64x2Lt(): this { return this.simd(0x49); }
  f64x2Gt(): this { return this.simd(0x4a); }
  f64x2Ge(): this { return this.simd(0x4c); }
  v128Not(): this { return this.simd(0x4d); }
  v128And(): this { return this.simd(0x4e); }
  v128AndNot(): this { return this.simd(0x4f); }
  v128Or(): this { return this.simd(0x50); }
  /** (a, b, mask) → a where mask bits are 1, else b */
  v128Bitselect(): this { return this.simd(0x52); }
  f32x4DemoteF64x2Zero(): this { return this.simd(0x5e); }
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }
  f32x4Nearest(): this { return this.simd(0x6a); }
  i32x4Shl(): this { return this.simd(0xab); }
  i32x4Add(): this { return this.simd(0xae); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Max(): this { return this.simd(0xe9); }
  i32x4TruncSatF32x4S(): this { return this.simd(0xf8); }
  i64x2Shl(): this { return this.simd(0xcb); }
  i64x2ShrU(): this { return this.simd(0xcd); }
  i64x2Add(): this { return this.simd(0xce); }
  f64x2Abs(): this { return this.simd(0xec); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Sub(): this { return this.simd(0xf1); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2Div(): this { return this.simd(0xf3); }
  f64x2Min(): this { return this.simd(0xf4); }
  f64x2Max(): this { return this.simd(0xf5); }
  /** b < a ? b : a (one minpd; a NaN a stays) */
  f64x2Pmin(): this { return this.simd(0xf6); }
  /** a < b ? b : a */
  f64x2Pmax(): this { return this.simd(0xf7); }
  /** relaxed-simd a*b+c; only valid where the engine enables relaxed SIMD */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }
  /** relaxed-simd −(a*b)+c */
  f32x4RelaxedNmadd(): this { return this.simd(0x106); }
}

/** v128 constants laid out from byte address `base`; the runtime copies `bytes` there before any call. */
export class ConstPool {
  readonly bytes: number[] = [];
  private readonly at = new Map<string, number>();
  constructor(readonly base: number, readonly limit: number) {}
  address(v: Uint8Array): number {
    const key = v.join(',');
    let a = this.at.get(key);
    if (a === undefined) {
      a = this.base + this.bytes.length;
      if (this.bytes.length + 16 > this.limit) throw new Error(`wasm: constant pool is full (${this.limit} bytes)`);
      this.bytes.push(...v);
      this.at.set(key, a);
    }
    return a;
  }
}

export interface FuncDef {
  name: string;
  params: T[];
  results?: T[];
  locals?: T[];
  body: Code;
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id);
  uleb(out, content.length);
  for (const x of content) out.push(x);
}

function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  out.push(...bytes);
}

/** Builds a module that imports env.mem (memory of up to maxPages pages, shared unless told) and exports every function. */
export function buildModule(funcs: FuncDef[], maxPages: number, shared = true): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(types, funcs.length);
  for (const f of funcs) {
    types.push(0x60);
    uleb(types, f.params.length); types.push(...f.params);
    const res = f.results ?? [];
    uleb(types, res.length); types.push(...res);
  }
  section(out, 1, types);

  const imports: number[] = [1];
  name(imports, 'env'); name(imports, 'mem');
  imports.push(0x02, shared ? 0x03 : 0x01); // memory, limits with max (0x03: and shared)
  uleb(imports, 1); uleb(imports, maxPages);
  section(out, 2, imports);

  const fsec: number[] = [];
  uleb(fsec, funcs.length);
  funcs.forEach((_, i) => uleb(fsec, i));
  section(out, 3, fsec);

  const exps: number[] = [];
  uleb(exps, funcs.length);
  funcs.forEach((f, i) => { name(exps, f.name); exps.push(0x00); uleb(exps, i); });
  section(out, 7, exps);

  const code: number[] = [];
  uleb(code, funcs.length);
  for (const f of funcs) {
    const body: number[] = [];
    const locals = f.locals ?? [];
    uleb(body, locals.length);
    for (const t of locals) { uleb(body, 1); body.push(t); }
    for (const x of f.body.b) body.push(x);
    body.push(0x0b);
    uleb(code, body.length);
    for (const x of body) code.push(x);
  }
  section(out, 10, code);
  return new Uint8Array(out) as Uint8Array<ArrayBuffer>;
}

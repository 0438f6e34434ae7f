// The one shared wasm memory, the emitted module, and its instantiation (main thread and workers alike).
import { envVar, isNode, nodeBuiltin, sharedMemoryAvailable } from '../../../host.js';
import { buildModule, ConstPool, FuncDef } from './emitter.js';
import { CONST_BYTES, CTRL_BYTES } from './protocol.js';
import { emitCopyRows, emitTouchRows, emitGemm, emitPack, kernelName, KernelShape } from './matmul-kernel.js';
import { emitSoftmaxKernels } from './rows-kernel.js';
import { emitGemmStridedA, stridedKernelName, type StridedShape } from './gemm-strided-kernel.js';
import { emitAttentionHead } from './attention-head-kernel.js';
import { emitLayerNormKernels } from './layernorm-kernel.js';
import { emitElementwiseKernels, WASM_UNARY } from './elementwise-kernel.js';
import { emitGelu32Kernels } from './gelu32-kernel.js';
import { BROADCAST_MODES, BROADCAST_OPS, emitBroadcastKernels, type BroadcastMode, type BroadcastOp } from './broadcast-kernel.js';

const PAGE = 65536;
const MAX_PAGES = 32768; // 2 GiB: keeps every byte address a positive i32
export const MAX_BYTES = MAX_PAGES * PAGE;
/**
 * Shared memory (for the worker pool) where the host has SharedArrayBuffer; a page without isolation gets plain memory,
 * whose growth detaches every view on it, so there no tensor lives in wasm memory (see TENSOR_CAP_BYTES).
 */
export const SHARED = sharedMemoryAvailable();

/**
 * Relaxed SIMD's `f32x4.relaxed_madd` compiles to one FMA: +25 % on the GEMM micro-kernel here (bench/NOTES.md).
 * It is on by default from Node 22 (V8 11.4); Node 20 has it behind a V8 flag, which is turned on here (it only
 * lets wasm modules validate more instructions) unless TLEG_WASM_RELAXED=0. Must run before any module compiles.
 */
function enableRelaxedSimd(): boolean {
  if (envVar('TLEG_WASM_RELAXED') === '0') return false;
  if (relaxedSimdSupported()) return true;
  if (!isNode) return false;
  try { nodeBuiltin<typeof import('node:v8')>('node:v8').setFlagsFromString('--experimental-wasm-relaxed-simd'); } catch { return false; }
  return relaxedSimdSupported();
}

/** Whether the GEMM kernels use fused multiply-add (relaxed SIMD). */
export const RELAXED = enableRelaxedSimd();

/**
 * Micro-kernel shapes the driver can pick from (index = kernel id stored in the job), with their measured
 * kernel-only GFLOP/s (AMD EPYC Zen 4, Node 20) for the cost model. Bigger tiles lose: TurboFan schedules
 * every load of a loop body ahead of the arithmetic, so MR + NR/4 + MR*NR/4 vectors must fit in 15 xmm
 * registers, and it unrolls the k loop itself (a manual unroll only adds spills). See bench/NOTES.md.
 * The plain (mul + add) kernels are always built, so they stay tested where the fused ones are preferred.
 */
export const KERNELS: (KernelShape & { gflops: number })[] = [
  { mr: 4, nr: 8, unroll: 1, gflops: 42.8 },
  { mr: 2, nr: 16, unroll: 1, gflops: 45.4 },
  { mr: 3, nr: 8, unroll: 1, gflops: 43.6 },
  { mr: 2, nr: 12, unroll: 1, gflops: 41.8 },
  ...(RELAXED ? [
    { mr: 4, nr: 8, unroll: 1 as const, relaxed: true, gflops: 54.4 },
    { mr: 2, nr: 16, unroll: 1 as const, relaxed: true, gflops: 54.3 },
    { mr: 3, nr: 8, unroll: 1 as const, relaxed: true, gflops: 44.1 },
    { mr: 2, nr: 12, unroll: 1 as const, relaxed: true, gflops: 44.1 },
  ] : []),
];

/** The strided-A kernels (gemm-strided-kernel.ts): one tile shape, with the plain and (where on) the fused multiply-add. */
export const STRIDED_KERNELS: StridedShape[] = [{ mr: 4, nr: 8, relaxed: false }, ...(RELAXED ? [{ mr: 4, nr: 8, relaxed: true }] : [])];

export interface Exports {
  gemm: ((...args: number[]) => void)[];
  pack: Map<number, (...args: number[]) => void>;
  /** strided-A GEMM by `relaxed` (gemm-strided-kernel.ts): (a, ars, acs, M, bp, K, kPad, nPanels, c, ldc, flags) */
  gemmA: Map<boolean, (...args: number[]) => void>;
  copyRows(src: number, srcStride: number, dst: number, dstStride: number, rows: number, rowBytes: number): void;
  /** one attention head's forward (attention-head-kernel.ts) */
  attentionHead(...args: number[]): void;
  /** touchRows(src, stride, rows, rowBytes): a load from every line of strided rows, their misses overlapped (matmul-kernel.ts) */
  touchRows(src: number, stride: number, rows: number, rowBytes: number): number;
  /** softmax over rows of x xStride bytes apart, into contiguous rows of y */
  softmax(x: number, xStride: number, y: number, rows: number, cols: number): void;
  softmaxBackward(y: number, g: number, dx: number, rows: number, cols: number): void;
  layerNorm(x: number, w: number, b: number, y: number, mean: number, rstd: number, rows: number, cols: number, eps: number): void;
  layerNormBackward(x: number, w: number, mean: number, rstd: number, g: number, dx: number, dw: number, db: number, rows: number, cols: number): void;
  /** by op id (index in WASM_UNARY): (x, y, n) over n float32 elements, n even */
  unary: ((x: number, y: number, n: number) => void)[];
  geluBackward(g: number, x: number, y: number, n: number): void;
  /** gelu32-kernel.ts: (x, y, n) and (g, x, y, n), n a multiple of 4 */
  gelu32(x: number, y: number, n: number): void;
  gelu32Backward(g: number, x: number, y: number, n: number): void;
  /** (x, y, d, n): y = gelu(x), d = gelu'(x) */
  gelu32WithGrad(x: number, y: number, d: number, n: number): void;
  /** broadcast-kernel.ts: by `${op}_${mode}`, (a, aPS, aRS, b, bPS, bRS, out, planes, rows, cols) */
  binary: Map<`${BroadcastOp}_${BroadcastMode}`, (a: number, aPS: number, aRS: number, b: number, bPS: number, bRS: number, out: number, planes: number, rows: number, cols: number) => void>;
  /** the same kernels by id (broadcast-kernel.ts, op-major) */
  binaryById: ((a: number, aPS: number, aRS: number, b: number, bPS: number, bRS: number, out: number, planes: number, rows: number, cols: number) => void)[];
  copyPlanes(a: number, aPS: number, aRS: number, out: number, planes: number, rows: number, cols: number): void;
  copyGather(a: number, aPS: number, aRS: number, aCS: number, out: number, planes: number, rows: number, cols: number): void;
  colSum(x: number, rows: number, cols: number, acc: number): void;
}

export function simdSupported(): boolean {
  try {
    // (func (result v128) v128.const 0): validates only where SIMD is on
    const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0,
      253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
    return WebAssembly.validate(probe);
  } catch {
    return false;
  }
}

export function relaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(buildModule([emitGemm({ mr: 1, nr: 4, relaxed: true })], 1, SHARED));
  } catch {
    return false;
  }
}

/** The module, and the constant table that must be copied to address CTRL_BYTES before any call. */
export function buildKernelModule(): { module: WebAssembly.Module; constants: Uint8Array } {
  const funcs: FuncDef[] = KERNELS.map(emitGemm);
  const widths = new Set<number>();
  for (const s of KERNELS) { widths.add(s.mr); widths.add(s.nr); }
  for (const w of widths) funcs.push(emitPack(w));
  const pool = new ConstPool(CTRL_BYTES, CONST_BYTES);
  funcs.push(...STRIDED_KERNELS.map(emitGemmStridedA), emitCopyRows(), emitTouchRows(), ...emitSoftmaxKernels(RELAXED), ...emitLayerNormKernels(), ...emitElementwiseKernels(pool), ...emitGelu32Kernels(pool, RELAXED), ...emitBroadcastKernels());
  // last: it calls the kernels above by their index
  const index = (name: string): number => {
    const i = funcs.findIndex((f) => f.name === name);
    if (i < 0) throw new Error(`wasm: no kernel named ${name} for attentionHead to call`);
    return i;
  };
  const [plain, fused] = [false, RELAXED].map((r) => stridedKernelName(STRIDED_KERNELS.find((s) => s.relaxed === r)!));
  funcs.push(emitAttentionHead(index, plain, fused, STRIDED_KERNELS[0].nr));
  return { module: new WebAssembly.Module(buildModule(funcs, MAX_PAGES, SHARED)), constants: new Uint8Array(pool.bytes) };
}

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Exports {
  const e = new WebAssembly.Instance(module, { env: { mem: memory } }).exports as Record<string, (...args: number[]) => void>;
  const pack = new Map<number, (...args: number[]) => void>();
  for (const s of KERNELS) { pack.set(s.mr, e[`pack${s.mr}`]); pack.set(s.nr, e[`pack${s.nr}`]); }
  return {
    gemm: KERNELS.map((s) => e[kernelName(s)]),
    pack,
    gemmA: new Map(STRIDED_KERNELS.map((s) => [s.relaxed, e[stridedKernelName(s)]])),
    copyRows: e.copyRows,
    attentionHead: e.attentionHead,
    touchRows: e.touchRows as unknown as Exports['touchRows'],
    softmax: e.softmax,
    softmaxBackward: e.softmaxBackward,
    layerNorm: e.layerNorm,
    layerNormBackward: e.layerNormBackward,
    unary: WASM_UNARY.map((op) => e[`unary_${op}`]),
    geluBackward: e.geluBackward,
    gelu32: e.gelu32,
    gelu32Backward: e.gelu32Backward,
    gelu32WithGrad: e.gelu32WithGrad,
    binary: new Map(BROADCAST_OPS.flatMap((op) => BROADCAST_MODES.map((mode) => [`${op}_${mode}` as const, e[`bin_${op}_${mode}`]]))),
    binaryById: BROADCAST_OPS.flatMap((op) => BROADCAST_MODES.map((mode) => e[`bin_${op}_${mode}`])),
    copyPlanes: e.copy_rows,
    copyGather: e.copy_gather,
    colSum: e.colsum,
  };
}

export interface Runtime {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  ex: Exports;
  /** grows memory to at least `bytes`; returns a fresh f32 view (views go stale after growth) */
  reserve(bytes: number): Float32Array;
}

let rt: Runtime | null = null;

export function runtime(): Runtime {
  if (rt) return rt;
  const memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES, shared: SHARED });
  const { module, constants } = buildKernelModule();
  new Uint8Array(memory.buffer).set(constants, CTRL_BYTES);
  const ex = instantiate(module, memory);
  let view = new Float32Array(memory.buffer);
  const reserve = (bytes: number): Float32Array => {
    const have = memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) throw new Error(`wasm: needs ${bytes} bytes of memory, limit is ${MAX_PAGES * PAGE}`);
      memory.grow(pages);
    }
    if (view.byteLength !== memory.buffer.byteLength) view = new Float32Array(memory.buffer);
    return view;
  };
  rt = { memory, module, ex, reserve };
  return rt;
}

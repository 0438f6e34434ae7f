// Tensor storage in wasm memory: every wasm kernel gives the same values whether its operands and results
// live in wasm memory (used in place), in ordinary arrays (copied in and out) or a mix, at offsets too;
// the heap reuses freed blocks, respects its cap, and the cpu device frees storage back to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  freeResidentF32, geluBackwardF32, layerNormBackwardF32, layerNormF32, matmulF32, residentBytes, residentF32,
  setWasmThreads, softmaxBackwardF32, softmaxF32, unaryF32, wasmAvailable,
} from '../../engine/backend/cpu/wasm/index.js';
import { WasmHeap } from '../../engine/backend/cpu/wasm/heap.js';
import { getDevice, memory, randn, scope } from '../../engine/index.js';
import { uniformF32 } from '../helpers/random.js';

const skip = !wasmAvailable() && 'WebAssembly SIMD is not available';

const randomArray = uniformF32;

const live: Float32Array[] = [];
/** a copy of `src` in wasm memory, placed `offset` elements into its block (as a view with an offset is) */
function resident(src: Float32Array, offset = 0): Float32Array {
  const block = residentF32(src.length + offset);
  assert.ok(block, 'residentF32 returned null under its cap');
  live.push(block);
  const view = block.subarray(offset, offset + src.length);
  view.set(src);
  return view;
}
function freeAll(): void { for (const a of live.splice(0)) assert.ok(freeResidentF32(a)); }

type Place = 'plain' | 'wasm' | 'wasm+3';
const PLACES: Place[] = ['plain', 'wasm', 'wasm+3'];
const place = (src: Float32Array, p: Place) => (p === 'plain' ? Float32Array.from(src) : resident(src, p === 'wasm' ? 0 : 3));
/** an output array in the given place, filled with a sentinel */
const outIn = (n: number, p: Place) => place(new Float32Array(n).fill(-7), p);

/** Runs `kernel` with inputs and outputs in every combination of places and checks all results agree. */
function agreeEverywhere(inputs: Float32Array[], outSizes: number[], kernel: (ins: Float32Array[], outs: Float32Array[]) => void): void {
  let expected: Float32Array[] | null = null;
  for (const pin of PLACES) {
    for (const pout of PLACES) {
      const ins = inputs.map((x) => place(x, pin)), outs = outSizes.map((n) => outIn(n, pout));
      kernel(ins, outs);
      const got = outs.map((o) => Float32Array.from(o));
      if (!expected) expected = got;
      else got.forEach((o, i) => assert.deepEqual(o, expected![i], `output ${i} differs with inputs ${pin}, outputs ${pout}`));
      ins.forEach((x, i) => assert.deepEqual(Float32Array.from(x), inputs[i], `input ${i} was overwritten (inputs ${pin}, outputs ${pout})`));
      freeAll();
    }
  }
}

for (const threads of [1, 2]) {
  test(`every wasm kernel gives the same values with operands in wasm memory, in ordinary arrays, or mixed (${threads} thread(s))`, { skip }, () => {
    setWasmThreads(threads);
    const [rows, cols] = [301, 67], n = rows * cols;
    const x = randomArray(n, 1), g = randomArray(n, 2), w = randomArray(cols, 3), b = randomArray(cols, 4);
    agreeEverywhere([randomArray(130 * 90, 5), randomArray(90 * 70, 6)], [130 * 70],
      ([a, bm], [o]) => matmulF32(a, 0, 0, 90, 1, bm, 0, 0, 70, 1, o, 0, 1, 130, 70, 90));
    // the transposed right operand and a second batch item, as autograd's backward reads them
    agreeEverywhere([randomArray(2 * 64 * 48, 7), randomArray(2 * 48 * 40, 8)], [2 * 64 * 40],
      ([a, bm], [o]) => matmulF32(a, 0, 64 * 48, 48, 1, bm, 0, 48 * 40, 1, 48, o, 0, 2, 64, 40, 48));
    agreeEverywhere([x], [n], ([xi], [y]) => softmaxF32(xi, y, rows, cols));
    const y = new Float32Array(n);
    softmaxF32(x, y, rows, cols);
    agreeEverywhere([y, g], [n], ([yi, gi], [dx]) => softmaxBackwardF32(yi, gi, dx, rows, cols));
    agreeEverywhere([x, w, b], [n, rows, rows], ([xi, wi, bi], [yo, mean, rstd]) => layerNormF32(xi, wi, bi, yo, mean, rstd, rows, cols, 1e-5));
    const mean = new Float32Array(rows), rstd = new Float32Array(rows);
    layerNormF32(x, w, b, new Float32Array(n), mean, rstd, rows, cols, 1e-5);
    agreeEverywhere([x, w, mean, rstd, g], [n, cols, cols],
      ([xi, wi, mi, ri, gi], [dx, dw, db]) => layerNormBackwardF32(xi, wi, mi, ri, gi, dx, dw, db, rows, cols));
    // odd lengths: the elementwise kernels work in 4-element steps and must not write past the output
    const odd = randomArray(40_003, 9);
    agreeEverywhere([odd], [odd.length], ([xi], [o]) => unaryF32('gelu', xi, o));
    agreeEverywhere([odd, randomArray(odd.length, 10)], [odd.length], ([gi, xi], [o]) => geluBackwardF32(gi, xi, o));
  });
}

test('a kernel does not write outside an output that lives in wasm memory', { skip }, () => {
  const n = 5003;
  const block = residentF32(n + 8)!;
  block.fill(-7);
  const out = block.subarray(3, 3 + n);
  unaryF32('exp', randomArray(n, 11), out);
  softmaxF32(randomArray(n, 12), out, 1, n);
  assert.deepEqual([...block.subarray(0, 3), ...block.subarray(3 + n)], Array(8).fill(-7));
  assert.ok(freeResidentF32(block));
});

/** A stand-in for the runtime: a fixed 64 KiB of shared memory (the heap only asks it to grow, then views it). */
function fakeRuntime(): { reserve(bytes: number): Float32Array } {
  const view = new Float32Array(new SharedArrayBuffer(1 << 16));
  return { reserve: (bytes) => { assert.ok(bytes <= view.byteLength, `reserve(${bytes}) past the fake memory`); return view; } };
}

test('WasmHeap reuses freed blocks by size, takes a larger free block near its limit, and respects the tensor cap', () => {
  const heap = new WasmHeap(fakeRuntime(), 0, 1 << 16, 16_000);
  const a = heap.alloc(100), b = heap.alloc(100);
  assert.equal(a % 64, 0);
  assert.equal(b - a, 128, 'blocks are rounded up to 64 bytes');
  heap.free(a);
  assert.equal(heap.alloc(128), a, 'a freed block of that size is handed out again');
  heap.free(b);
  assert.equal(heap.alloc(19_000), -1, 'past the limit, and no free block fits');
  const d = heap.alloc(10_000);
  assert.ok(d > b, 'room under the limit: a new block');
  heap.free(d);
  assert.equal(heap.alloc(6_000), d, 'near the limit a free block up to twice the size is reused');
  assert.throws(() => heap.free(d + 64), /not a block start/);

  const capped = new WasmHeap(fakeRuntime(), 64, 4096, 1 << 16);
  const t1 = capped.tensorArray(512), t2 = capped.tensorArray(512);
  assert.ok(t1 && t2, 'two 2 KiB tensors fit a 4 KiB cap');
  assert.equal(capped.tensorArray(1), null, 'a third does not');
  assert.equal(capped.addressOf(t2!), t2!.byteOffset);
  assert.equal(capped.addressOf(new Float32Array(4)), -1, 'an ordinary array is not in the heap');
  assert.ok(capped.freeTensorArray(t1!));
  assert.equal(capped.freeTensorArray(new Float32Array(512)), false);
  assert.ok(capped.tensorArray(512), 'freeing makes room under the cap again');
});

test('cpu tensors from 1024 float32 elements live in wasm memory and go back to it when freed', { skip }, () => {
  const before = residentBytes();
  const t = randn([64, 64]);
  assert.ok(t.data_.buffer instanceof SharedArrayBuffer, 'a 4096-element float32 tensor is in wasm memory');
  assert.ok(residentBytes() >= before + 64 * 64 * 4);
  assert.ok(!(t.toTypedArray().buffer instanceof SharedArrayBuffer), 'values read out are an ordinary copy');
  assert.ok(!(randn([10, 10]).data_.buffer instanceof SharedArrayBuffer), 'small tensors stay in ordinary arrays');
  assert.ok(!(randn([64, 64], { dtype: 'float64' }).data_.buffer instanceof SharedArrayBuffer), 'float64 stays in ordinary arrays');
  const y = scope(() => t.matmul(t).softmax(-1));
  assert.ok(y.data_.buffer instanceof SharedArrayBuffer);
  const mid = residentBytes();
  y.dispose();
  t.dispose();
  assert.ok(residentBytes() <= mid - 2 * 64 * 64 * 4, 'disposed storage is returned to the heap');
  assert.equal(memory().cpu!.bytes >= 0, true);
  // the pool of ordinary arrays is not used for wasm arrays: allocating again reuses the freed block
  const again = getDevice('cpu').alloc('float32', 64 * 64, true);
  assert.ok(again.buffer instanceof SharedArrayBuffer && again.every((v) => v === 0));
  getDevice('cpu').recycle(again);
});

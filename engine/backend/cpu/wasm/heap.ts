// Memory inside the shared wasm memory: tensor storage that the kernels read and write in place (no copy in
// or out), and each call's temporary blocks (operands that live elsewhere, GEMM scratch), freed on return.
// Blocks are 64-byte aligned; freed blocks are kept by size and handed out again (training allocates the
// same sizes every step), a larger free block (up to 2×) is reused when the bump pointer would pass the cap.
import type { Runtime } from './runtime.js';

const ALIGN = 64;
/** Bytes kept mapped past the top block, so a kernel reading a few lanes past an operand never traps. */
const SLACK = 64;

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

export class WasmHeap {
  private top: number;
  private readonly freeBySize = new Map<number, number[]>();
  private readonly sizeOf = new Map<number, number>();
  /** every SharedArrayBuffer the memory has handed out: views on older ones stay valid after growth */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** bytes held by live tensor arrays */
  tensorBytes = 0;

  constructor(private readonly rt: Pick<Runtime, 'reserve'>, base: number, readonly tensorCapBytes: number, readonly limitBytes: number) {
    this.top = roundUp(base, ALIGN);
    rt.reserve(this.top + SLACK);
  }

  /** Byte address of a block of at least `bytes`, or -1 when the memory limit is reached. */
  alloc(bytes: number): number {
    const size = roundUp(Math.max(bytes, 1), ALIGN);
    const exact = this.freeBySize.get(size)?.pop();
    if (exact !== undefined) return exact;
    if (this.top + size + SLACK <= this.limitBytes) {
      const addr = this.top;
      this.top += size;
      this.rt.reserve(this.top + SLACK);
      this.sizeOf.set(addr, size);
      return addr;
    }
    for (const [have, list] of this.freeBySize) {
      if (have >= size && have <= 2 * size && list.length > 0) return list.pop()!;
    }
    return -1;
  }

  free(addr: number): void {
    const size = this.sizeOf.get(addr);
    if (size === undefined) throw new Error(`wasm heap: free of ${addr}, which is not a block start`);
    let list = this.freeBySize.get(size);
    if (!list) this.freeBySize.set(size, (list = []));
    list.push(addr);
  }

  /** Usable bytes of the block starting at addr (0 if addr is not a block start). */
  blockBytes(addr: number): number {
    return this.sizeOf.get(addr) ?? 0;
  }

  /** The whole memory as floats (a fresh view: views go stale after growth). */
  view(): Float32Array {
    const v = this.rt.reserve(0);
    this.buffers.add(v.buffer);
    return v;
  }

  /** A float32 tensor array of n elements in wasm memory, or null past the tensor cap or the memory limit. */
  tensorArray(n: number): Float32Array | null {
    const bytes = roundUp(Math.max(n * 4, 1), ALIGN);
    if (this.tensorBytes + bytes > this.tensorCapBytes) return null;
    const addr = this.alloc(bytes);
    if (addr < 0) return null;
    this.tensorBytes += this.blockBytes(addr);
    return new Float32Array(this.view().buffer, addr, n);
  }

  /** Returns a tensor array from tensorArray to the heap; false if it is not one. */
  freeTensorArray(a: Float32Array): boolean {
    if (!this.buffers.has(a.buffer) || this.blockBytes(a.byteOffset) === 0) return false;
    this.tensorBytes -= this.blockBytes(a.byteOffset);
    this.free(a.byteOffset);
    return true;
  }

  /** Byte address of a's first element when a lives in wasm memory, else -1. */
  addressOf(a: Float32Array): number {
    return this.buffers.has(a.buffer) ? a.byteOffset : -1;
  }
}

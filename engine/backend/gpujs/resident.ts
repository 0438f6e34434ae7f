// Device-resident float32 data for the gpujs webgpu backend. A storage's host array stays its identity:
// when a kernel writes it, the result stays in a GPU buffer (a gpu.js pipeline handle) recorded here, and
// the host array is stale until someone reads it (download). Kernels take the buffer, not the host copy,
// so a training step moves no data back to the host between its first kernel and the loss read.
import type { TypedArray } from '../../dtype.js';
import { flatten } from './cache.js';

/** A gpu.js pipeline result: a GPU buffer that the next kernel takes as an argument, read back on demand. */
export interface BufferHandle {
  readonly output: number[];
  toArray(): Promise<unknown>;
  delete(): void;
}

/** What moved between host and device, and which kernels ran where; read by the profiler. */
export interface GpujsStats {
  /** gpu.js kernels launched. */
  kernels: number;
  /** Host arrays written to the device as kernel arguments (host → device, no wait). */
  uploads: number;
  /** Device buffers read back into host arrays: each is a host round trip. */
  hostReads: number;
  /** Kernels the backend does not run on the device, by kernel name: each ran on the cpu. */
  fallbacks: Record<string, number>;
}

export function emptyStats(): GpujsStats {
  return { kernels: 0, uploads: 0, hostReads: 0, fallbacks: {} };
}

/** A kernel input: the device buffer when the data is resident, else the host array (uploaded by gpu.js). */
export type Operand = Float32Array | BufferHandle;

interface Entry {
  readonly array: TypedArray;
  /** Held by the finalizer too, so it must not reach the array. */
  readonly box: { handle: BufferHandle };
  readonly ref: WeakRef<TypedArray>;
}

export class ResidentStore {
  // keyed by ArrayBuffer: ops hand kernels subarrays of a storage (same buffer, same start) as often as the array
  // itself; weakly, and with a finalizer, so a storage left to the garbage collector frees its device buffer too
  private readonly entries = new WeakMap<ArrayBuffer, Entry>();
  private readonly live = new Set<WeakRef<TypedArray>>();
  private readonly collected = new FinalizationRegistry<{ handle: BufferHandle }>((box) => {
    box.handle.delete();
    this.count--;
  });
  private count = 0;

  constructor(readonly stats: GpujsStats) {}

  private entry(a: TypedArray): Entry | undefined {
    const e = this.entries.get(a.buffer as ArrayBuffer);
    return e && e.array.byteOffset === a.byteOffset ? e : undefined;
  }

  /** True when the device holds newer values than `a`'s host array (or than a part of it). */
  isStale(a: TypedArray): boolean {
    return this.entries.has(a.buffer as ArrayBuffer);
  }

  /** The operand for a kernel reading `a` from its start: the buffer when resident, else the host array. */
  operand(a: Float32Array): Operand {
    const e = this.entry(a);
    if (e) return e.box.handle;
    this.stats.uploads++;
    return a;
  }

  /** True when `a` can be given to a kernel as is: resident from its start, or fresh on the host. */
  usable(a: TypedArray): boolean {
    return !this.isStale(a) || this.entry(a) !== undefined;
  }

  /** `a`'s values now live in `handle` (the host array is stale). */
  adopt(a: TypedArray, handle: BufferHandle): void {
    const e = this.entries.get(a.buffer as ArrayBuffer);
    if (e) {
      if (e.box.handle !== handle) e.box.handle.delete();
      e.box.handle = handle;
      return;
    }
    const entry: Entry = { array: a, box: { handle }, ref: new WeakRef(a) };
    this.entries.set(a.buffer as ArrayBuffer, entry);
    this.live.add(entry.ref);
    this.collected.register(a.buffer as ArrayBuffer, entry.box, entry.box);
    this.count++;
  }

  /** Forgets `a`'s device copy and returns it (the caller reads or deletes it). */
  private take(a: TypedArray): Entry | undefined {
    const e = this.entries.get(a.buffer as ArrayBuffer);
    if (!e) return undefined;
    this.entries.delete(a.buffer as ArrayBuffer);
    this.live.delete(e.ref);
    this.collected.unregister(e.box);
    this.count--;
    return e;
  }

  /** Makes the host array current (one read back when resident); the buffer is dropped, the host copy now owns the values. */
  async download(a: TypedArray): Promise<void> {
    const e = this.take(a);
    if (!e) return;
    this.stats.hostReads++;
    const values = flatten(await e.box.handle.toArray(), e.array.length, true);
    e.array.set(values);
    e.box.handle.delete();
  }

  async downloadAll(): Promise<void> {
    for (const ref of [...this.live]) {
      const a = ref.deref();
      if (a) await this.download(a);
      else this.live.delete(ref);
    }
  }

  /** The host wrote `a` (a cpu kernel's output): its device copy is out of date. */
  invalidate(a: TypedArray): void {
    this.take(a)?.box.handle.delete();
  }

  /** The storage of `a` was freed: release its device buffer. */
  evict(a: TypedArray): void {
    this.invalidate(a);
  }

  /** Buffers held on the device now. */
  get size(): number {
    return this.count;
  }
}


// Devices: a backend, its work queue and its memory counters. CPU work runs at once; an asynchronous
// backend (gpu.js webgpu) queues each kernel after the previous one, so a whole training step is
// issued without awaiting and realised by one `await` when a value is read.
import { allocArray, type DType, type TypedArray } from './dtype.js';
import type { AsyncKernels, Backend } from './backend/interface.js';
import { cpuBackend, cpuKernels } from './backend/cpu/index.js';
import { envMiB } from './env.js';

export type DeviceName = 'cpu' | 'gpujs';

export interface MemoryStats {
  /** Tensor objects (views included) not yet disposed or collected. */
  tensors: number;
  /** Distinct storages alive. */
  storages: number;
  bytes: number;
}

/**
 * Arrays of freed storages, by dtype and length, handed out again by the next allocation of that size:
 * a training step allocates the same shapes every time, so after the first step it allocates almost nothing.
 */
class BufferPool {
  private readonly free = new Map<string, TypedArray[]>();
  private bytes = 0;

  constructor(private readonly capBytes: number) {}

  take(dtype: DType, length: number): TypedArray | undefined {
    const list = this.free.get(`${dtype}:${length}`);
    const a = list?.pop();
    if (a) this.bytes -= a.byteLength;
    return a;
  }

  give(a: TypedArray): void {
    if (a.length === 0 || this.bytes + a.byteLength > this.capBytes) return;
    const key = `${a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : 'int32'}:${a.length}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(a);
    this.bytes += a.byteLength;
  }
}

export class Device {
  readonly stats: MemoryStats = { tensors: 0, storages: 0, bytes: 0 };
  readonly pool = new BufferPool(envMiB('TLEG_POOL_MB', 512));
  /** Arrays handed out from wasm memory (returned to it, never to the garbage collector). */
  private readonly resident = new WeakSet<TypedArray>();
  /** The backend's kernels, with cpu kernels for the ones it does not claim. */
  readonly kernels: AsyncKernels;
  /** The cpu kernels, for work on host arrays that are known current (a read's strided copy). */
  readonly hostKernels = cpuKernels;
  private queue: Promise<void> = Promise.resolve();
  private inFlight = 0;

  constructor(readonly name: DeviceName, readonly backend: Backend) {
    this.kernels = { ...cpuKernels, ...backend.kernels };
  }

  get async(): boolean {
    return this.backend.async;
  }

  /** Runs `job` now (synchronous backend) or after everything queued before it. */
  run(job: (k: AsyncKernels) => void | Promise<void>): void {
    if (!this.backend.async) {
      job(this.kernels);
      return;
    }
    this.inFlight++;
    this.queue = this.queue.then(() => job(this.kernels)).finally(() => { this.inFlight--; });
  }

  /**
   * A new array for a storage: from the backend's allocation hook when it gives one (the cpu backend: large
   * float32 in wasm memory), else from the pool when one of that size was freed, else freshly allocated.
   * Zeroed when `zero` is asked for; otherwise the values are unspecified.
   */
  alloc(dtype: DType, length: number, zero: boolean): TypedArray {
    const own = this.backend.alloc?.(dtype, length);
    if (own) {
      this.resident.add(own);
      return zero ? own.fill(0) : own;
    }
    const reused = this.pool.take(dtype, length);
    if (!reused) return allocArray(dtype, length);
    if (zero) reused.fill(0);
    return reused;
  }

  /** Takes back the array of a freed storage the engine allocated. */
  recycle(a: TypedArray): void {
    if (this.resident.delete(a) && this.backend.free?.(a)) return;
    this.pool.give(a);
  }

  /**
   * The array a storage keeps once the engine stops managing it (see Storage.handOver): a private copy of
   * wasm memory, whose block is freed now; any other array as it is, left to the garbage collector.
   */
  handOver(a: TypedArray): TypedArray {
    if (!this.resident.has(a)) return a;
    const copy = a.slice();
    this.recycle(a);
    return copy;
  }

  /** True when every queued kernel has finished, so host arrays hold final values. */
  get settled(): boolean {
    return this.inFlight === 0;
  }

  /**
   * Waits for all queued work; rethrows the first failure and clears it so later work can run. On a backend
   * that keeps data on its device, everything it holds is read back, so every tensor is readable after.
   */
  async sync(): Promise<void> {
    const residency = this.backend.residency;
    if (residency) this.run(() => residency.downloadAll());
    await this.settle();
  }

  /** Waits for queued work, then reads back one storage's array only (a tensor's `data()`). */
  async syncFor(data: TypedArray): Promise<void> {
    const residency = this.backend.residency;
    if (residency) this.run(() => residency.download(data));
    await this.settle();
  }

  private async settle(): Promise<void> {
    try {
      await this.queue;
    } catch (err) {
      this.queue = Promise.resolve();
      throw err;
    }
  }

  /** True when the host array holds `data`'s final values: no queued work, and no newer copy on the device. */
  hostCurrent(data: TypedArray): boolean {
    return this.settled && !(this.backend.residency?.isStale(data) ?? false);
  }

  /** Releases the device copy of a freed storage after the work queued before (which may still read it). */
  evict(data: TypedArray): void {
    const residency = this.backend.residency;
    if (!residency) return;
    // chained without counting as in-flight work: a release is not a result anyone waits to read
    this.queue = this.queue.then(
      () => residency.evict(data),
      (err: unknown) => {
        residency.evict(data);
        throw err;
      },
    );
  }
}

const devices = new Map<DeviceName, Device>([['cpu', new Device('cpu', cpuBackend)]]);
let defaultDevice: DeviceName = 'cpu';

export function registerDevice(name: DeviceName, backend: Backend): Device {
  const previous = devices.get(name);
  if (previous && name === 'cpu') throw new Error('registerDevice: the cpu device cannot be replaced');
  const device = new Device(name, backend);
  devices.set(name, device);
  return device;
}

export function getDevice(name: DeviceName = defaultDevice): Device {
  const device = devices.get(name);
  if (!device) {
    if (name === 'gpujs') throw new Error("device 'gpujs' is not initialised: call `await initGpujs()` (or `await setBackend('gpujs')`) first");
    throw new Error(`unknown device ${JSON.stringify(name)}; expected 'cpu' or 'gpujs'`);
  }
  return device;
}

export function setDefaultDevice(name: DeviceName): void {
  getDevice(name);
  defaultDevice = name;
}

export function getDefaultDevice(): DeviceName {
  return defaultDevice;
}

export function listDevices(): Device[] {
  return [...devices.values()];
}

/** A tensor's hold on its storage as the finalizer sees it: cut (null) once the storage is left to the garbage collector. */
export interface StorageHold { storage: Storage | null }

/**
 * Reference-counted host storage shared by a tensor and its views. `version` counts in-place writes, so
 * autograd can tell when a value it saved for backward was overwritten.
 */
export class Storage {
  private refs = 0;
  freed = false;
  /** Counted in the device's memory stats and released by the engine; false once handed to the garbage collector. */
  managed = true;
  version = 0;
  /** The in-place op that last wrote here, for error messages. */
  lastWrite: string | undefined;
  /** Holds of tensors handed to the garbage collector while others on this storage were still managed. */
  private handed: StorageHold[] = [];

  /**
   * `owned`: the array was allocated by the engine, so it may be recycled when the storage is freed
   * (never an array a user handed in).
   */
  constructor(readonly device: Device, public data: TypedArray, private readonly owned = false) {
    device.stats.storages++;
    device.stats.bytes += data.byteLength;
  }

  /** Tensor objects holding this storage. */
  get refCount(): number {
    return this.refs;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0 && !this.freed) {
      this.freed = true;
      if (this.managed) {
        this.device.stats.storages--;
        this.device.stats.bytes -= this.data.byteLength;
      }
      // queued asynchronous kernels may still use the array: recycle only on synchronous devices
      if (this.owned && !this.device.async) this.device.recycle(this.data);
      this.device.evict(this.data);
    }
  }

  /** A handed-over tensor on this storage was disposed: its reference goes with it. */
  forgetHanded(hold: StorageHold): void {
    const i = this.handed.indexOf(hold);
    if (i >= 0) this.handed.splice(i, 1);
  }

  /**
   * A tensor on this storage was handed to the garbage collector. Once every tensor on it is, the storage
   * stops counting in memory() (values stay readable). Returns the holds cut then (this one alone when the
   * storage was already unmanaged): nothing needs to release them, so their finalizers can be dropped and
   * the array is collected with the last tensor.
   */
  handOver(hold: StorageHold): StorageHold[] {
    if (this.freed) return [];
    if (!this.managed) { hold.storage = null; return [hold]; }
    this.handed.push(hold);
    if (this.handed.length < this.refs) return [];
    this.managed = false;
    this.device.stats.storages--;
    this.device.stats.bytes -= this.data.byteLength;
    const cut = this.handed;
    for (const h of cut) h.storage = null;
    this.handed = [];
    return cut;
  }

  /** For a storage handed over: wasm memory it still holds is copied to an ordinary array and freed now. */
  evict(): void {
    if (this.managed || this.freed || !this.owned || this.device.async) return;
    this.data = this.device.handOver(this.data);
  }
}

// Devices: a backend, its work queue and its memory counters. CPU work runs at once; an asynchronous
// backend (gpu.js webgpu) queues each kernel after the previous one, so a whole training step is
// issued without awaiting and realised by one `await` when a value is read.
import type { TypedArray } from './dtype.js';
import type { AsyncKernels, Backend } from './backend/interface.js';
import { cpuBackend, cpuKernels } from './backend/cpu/index.js';

export type DeviceName = 'cpu' | 'gpujs';

export interface MemoryStats {
  /** Tensor objects (views included) not yet disposed or collected. */
  tensors: number;
  /** Distinct storages alive. */
  storages: number;
  bytes: number;
}

export class Device {
  readonly stats: MemoryStats = { tensors: 0, storages: 0, bytes: 0 };
  /** The backend's kernels, with cpu kernels for the ones it does not claim. */
  readonly kernels: AsyncKernels;
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

  /** True when every queued kernel has finished, so host arrays hold final values. */
  get settled(): boolean {
    return this.inFlight === 0;
  }

  /** Waits for all queued work; rethrows the first failure and clears it so later work can run. */
  async sync(): Promise<void> {
    try {
      await this.queue;
    } catch (err) {
      this.queue = Promise.resolve();
      throw err;
    }
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

/** Reference-counted host storage shared by a tensor and its views. */
export class Storage {
  private refs = 0;
  freed = false;

  constructor(readonly device: Device, readonly data: TypedArray) {
    device.stats.storages++;
    device.stats.bytes += data.byteLength;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0 && !this.freed) {
      this.freed = true;
      this.device.stats.storages--;
      this.device.stats.bytes -= this.data.byteLength;
    }
  }
}

// The one place where the resident gpujs backend runs a kernel on the cpu: every array the kernel touches is
// read back first (the host copy then owns the values), the cpu kernel runs, and the fallback is counted by
// kernel name in the backend's stats, where the profiler reads it.
import type { TypedArray } from '../../dtype.js';
import { cpuKernels } from '../cpu/index.js';
import type { Kernels, View } from '../interface.js';
import type { ResidentStore } from './resident.js';

type KernelName = keyof Kernels;
type Args<K extends KernelName> = Parameters<Kernels[K]>;

function arraysOf(args: readonly unknown[]): TypedArray[] {
  const arrays: TypedArray[] = [];
  for (const arg of args) {
    if (ArrayBuffer.isView(arg)) arrays.push(arg as TypedArray);
    else if (arg !== null && typeof arg === 'object' && 'layout' in arg) arrays.push((arg as View).data);
  }
  return arrays;
}

/** Runs cpu kernel `name` on host copies of its arrays; the outputs stay on the host until a device kernel reads them. */
export async function hostFallback<K extends KernelName>(store: ResidentStore, name: K, args: Args<K>): Promise<void> {
  store.stats.fallbacks[name] = (store.stats.fallbacks[name] ?? 0) + 1;
  for (const a of arraysOf(args)) await store.download(a);
  (cpuKernels[name] as (...a: Args<K>) => void)(...args);
}

/** Every kernel as a counted cpu fallback: the base under the kernels the resident backend runs on the device. */
export function fallbackKernels(store: ResidentStore): { [K in KernelName]: (...args: Args<K>) => Promise<void> } {
  const names = Object.keys(cpuKernels) as KernelName[];
  const table = {} as Record<KernelName, (...args: never[]) => Promise<void>>;
  for (const name of names) table[name] = (...args: never[]) => hostFallback(store, name, args as unknown as Args<typeof name>);
  return table as unknown as { [K in KernelName]: (...args: Args<K>) => Promise<void> };
}

// Memory accounting per device, and waiting for asynchronous work.
import { listDevices, type DeviceName, type MemoryStats } from './device.js';

/** Live tensors, storages and bytes per device. */
export function memory(): Partial<Record<DeviceName, MemoryStats>> {
  const out: Partial<Record<DeviceName, MemoryStats>> = {};
  for (const d of listDevices()) out[d.name] = { ...d.stats };
  return out;
}

/** Waits until every device has finished its queued work (the one await of an async training step). */
export async function sync(): Promise<void> {
  for (const d of listDevices()) await d.sync();
}

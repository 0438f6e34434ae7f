// The backends a test body runs on, and a runner that registers one test per backend.
import { test } from 'node:test';
import { getDevice, type DeviceName } from '../../engine/index.js';

/** 'cpu', plus every other device that is initialised in this process (the lead extends this list). */
export function backendsPresent(): DeviceName[] {
  const present: DeviceName[] = ['cpu'];
  try {
    getDevice('gpujs');
    present.push('gpujs');
  } catch {
    // gpujs not initialised here: its tests are skipped, not failed
  }
  return present;
}

/** Dtype a backend computes in for the cross-backend checks: cpu is checked in float64, the others in float32. */
export function workDType(device: DeviceName): 'float32' | 'float64' {
  return device === 'cpu' ? 'float64' : 'float32';
}

/** Registers `name [device]` once per present backend, running the same body on each. */
export function forEachBackend(name: string, body: (device: DeviceName) => void | Promise<void>): void {
  for (const device of backendsPresent()) {
    test(`${name} [${device}]`, () => body(device));
  }
}

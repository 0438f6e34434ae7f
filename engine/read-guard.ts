// The check backward runs on every read while an op's backward executes: a value saved for backward
// must not have been overwritten in place since (autograd.ts sets it; Tensor's reads call it).
import type { Tensor } from './tensor.js';

export type ReadGuard = (t: Tensor) => void;

let active: ReadGuard | null = null;

export function readGuard(): ReadGuard | null {
  return active;
}

/** Installs `guard` (null: none); returns the previous one, for the caller to restore. */
export function setReadGuard(guard: ReadGuard | null): ReadGuard | null {
  const previous = active;
  active = guard;
  return previous;
}

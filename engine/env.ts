// Numeric settings read from the environment, checked once so a typo fails loudly instead of meaning NaN.
import { envVar } from './host.js';

/** The variable as a non-negative number of MiB, in bytes; `fallback` MiB when unset or empty. */
export function envMiB(name: string, fallback: number): number {
  const raw = envVar(name);
  if (raw === undefined || raw.trim() === '') return fallback * 2 ** 20;
  const mib = Number(raw);
  if (!Number.isFinite(mib) || mib < 0) {
    throw new Error(`${name}=${JSON.stringify(raw)}: expected a non-negative number of MiB (e.g. ${name}=${fallback}), or unset it for the default`);
  }
  return mib * 2 ** 20;
}

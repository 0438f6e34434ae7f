// Option objects at the public boundary: a misspelt or unsupported key is an error, never silently ignored
// (a PyTorch user's `{seed}` or `{approximate}` must either work or say why not).

/**
 * Throws when `options` is not a plain object or holds a key outside `allowed`:
 * `rand: unknown option "sed"; expected some of: dtype, device, requiresGrad, generator, seed, low, high`.
 */
export function checkOptions(where: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: expected an options object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    const list = unknown.map((k) => JSON.stringify(k)).join(', ');
    throw new TypeError(`${where}: unknown option${unknown.length > 1 ? 's' : ''} ${list}; expected some of: ${allowed.join(', ')}`);
  }
}

/** The keys of CreateOptions, shared by every tensor-creating function. */
export const CREATE_OPTION_KEYS = ['dtype', 'device', 'requiresGrad'] as const;

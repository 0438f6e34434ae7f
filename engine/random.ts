// Seedable random numbers: xoshiro128** seeded through splitmix32. Numbers are drawn on the host,
// so the same seed gives the same values on every backend and every run.
export interface GeneratorState { s: [number, number, number, number] }

export class Generator {
  private s = new Uint32Array(4);

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    if (typeof seed !== 'number' || !Number.isFinite(seed) || !Number.isInteger(seed)) {
      throw new Error(`manualSeed: the seed must be a finite integer, got ${String(seed)}`);
    }
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    return this;
  }

  getState(): GeneratorState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]] };
  }

  setState(state: GeneratorState): void {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4 || state.s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error('Generator.setState: expected { s: [4 unsigned 32-bit integers] }');
    }
    this.s.set(state.s);
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal by Box–Muller (one value per call keeps the state a plain 128 bits). */
  normal(): number {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The process-wide default generator, as torch's default generator. */
export const defaultGenerator = new Generator(0);

/**
 * The generator a random draw uses: `generator`, or a new one seeded with `seed` (torch's
 * `torch.Generator().manual_seed(seed)`), or the default one. Both at once is ambiguous, so an error.
 */
export function generatorFrom(where: string, options: { generator?: Generator; seed?: number }): Generator {
  if (options.seed !== undefined && options.generator !== undefined) {
    throw new Error(`${where}: give either seed or generator, not both (got seed ${options.seed} and a generator)`);
  }
  if (options.seed !== undefined) {
    if (typeof options.seed !== 'number' || !Number.isInteger(options.seed)) throw new Error(`${where}: seed must be an integer, got ${String(options.seed)}`);
    return new Generator(options.seed);
  }
  return options.generator ?? defaultGenerator;
}

export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}

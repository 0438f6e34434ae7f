// IEEE 754 binary16 (F16) and bfloat16 (BF16) to float32, bit-exact (NaN payloads, -0, subnormals kept).

/**
 * float32 bit pattern of the binary16 value with bits `h`.
 * binary16: 1 sign, 5 exponent (bias 15), 10 fraction. value = (-1)^s * 2^(e-15) * 1.f, or 2^-14 * 0.f when e = 0.
 */
export function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >> 10) & 0x1f;
  let fraction = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (fraction << 13)) >>> 0; // inf, nan (payload kept)
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (fraction << 13)) >>> 0; // rebias 15 -> 127
  if (fraction === 0) return sign >>> 0; // +-0
  // Subnormal 2^-14 * 0.f: shift until the leading 1 becomes the implicit bit; each shift lowers the exponent.
  let e = 113; // float32 biased exponent of 2^-14
  while ((fraction & 0x400) === 0) {
    fraction <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((fraction & 0x3ff) << 13)) >>> 0;
}

let halfTable: Float32Array | undefined;

/** float32 value of every binary16 bit pattern, built on first use (256 KiB). */
function halfToFloatTable(): Float32Array {
  if (halfTable === undefined) {
    const bits = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) bits[h] = halfBitsToFloatBits(h);
    halfTable = new Float32Array(bits.buffer);
  }
  return halfTable;
}

export function halfToFloat(h: number): number {
  return halfToFloatTable()[h & 0xffff]!;
}

/** Converts binary16 values (as raw bit patterns) into float32, writing into `out`. */
export function halfArrayToFloat32(halves: Uint16Array, out: Float32Array): Float32Array {
  const table = halfToFloatTable();
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]!]!;
  return out;
}

/** bfloat16 is the top half of a float32, so widening is a 16-bit shift. */
export function bfloat16ArrayToFloat32(halves: Uint16Array, out: Float32Array): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i]! << 16;
  return out;
}

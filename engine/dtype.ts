// Element types and their typed-array storage.
export type DType = 'float32' | 'float64' | 'int32';
export type TypedArray = Float32Array | Float64Array | Int32Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

export function allocArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
    default: throw new Error(unknownDTypeMessage('allocArray', dtype));
  }
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}

const RANK: Record<DType, number> = { int32: 0, float32: 1, float64: 2 };

/** Result type of a binary op: the wider of the two (int32 < float32 < float64), as PyTorch promotes. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Half precision exists only inside files: readSafetensors decodes F16 and BF16 tensors to float32. */
const FILE_ONLY_DTYPES = new Set(['float16', 'half', 'bfloat16', 'F16', 'BF16']);

function unknownDTypeMessage(op: string, dtype: unknown): string {
  if (typeof dtype === 'string' && FILE_ONLY_DTYPES.has(dtype)) {
    return `${op}: dtype ${JSON.stringify(dtype)} is not supported for tensors (they hold ${DTYPES.join(', ')}); half precision exists only in safetensors files, which readSafetensors decodes to float32. Use dtype 'float32'`;
  }
  return `${op}: unknown dtype ${JSON.stringify(dtype)}; supported dtypes: ${DTYPES.join(', ')}`;
}

export function assertDType(op: string, dtype: unknown): DType {
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'int32') return dtype;
  throw new Error(unknownDTypeMessage(op, dtype));
}

const DEVICE_NAMES = ['cpu', 'gpujs'];

/** The dtype that `t.to(target)` casts to, when target is not a device; a clear error for anything else. */
export function assertCastTarget(op: string, target: unknown): DType {
  if (target === 'float32' || target === 'float64' || target === 'int32') return target;
  if (typeof target === 'string' && FILE_ONLY_DTYPES.has(target)) throw new Error(unknownDTypeMessage(op, target));
  const hint = target === 'cuda' || target === 'mps' || target === 'gpu' ? `; there is no ${String(target)} device: 'gpujs' runs the kernels on the GPU through gpu.js (await initGpujs() first)` : '';
  throw new Error(`${op}: unknown device or dtype ${JSON.stringify(target)}; devices: ${DEVICE_NAMES.join(', ')}; dtypes: ${DTYPES.join(', ')}${hint}`);
}

export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;

/** Throws unless every value fits int32 (PyTorch: "value cannot be converted to type int32 without overflow"). */
export function checkInt32Range(op: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= INT32_MIN && v < INT32_MAX + 1)) {
      throw new Error(`${op}: value ${v} at index ${i} does not fit int32 (expected a finite number in [${INT32_MIN}, ${INT32_MAX}]); use dtype 'float64' for larger values`);
    }
  }
}

// A tensor as plain data: what file readers produce and writers consume, independent of the engine's Tensor.

/** Same union as engine/dtype.ts; kept here so model/io needs nothing from the engine at run time. */
export type DType = 'float32' | 'float64' | 'int32';

export interface RawTensor {
  dtype: DType;
  shape: number[];
  /** Row-major (C order) elements; length is the product of `shape` (1 for rank 0). */
  data: Float32Array | Float64Array | Int32Array;
}

/** Number of elements of `shape`, or an error if a dimension is not a non-negative integer or the product is not exact. */
export function shapeSize(shape: readonly unknown[], where: string): number {
  let size = 1;
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new Error(`${where}: shape must be non-negative integers, got ${JSON.stringify(shape)}`);
    }
    size *= dim;
  }
  if (!Number.isSafeInteger(size)) {
    throw new Error(`${where}: shape ${JSON.stringify(shape)} has more than 2^53 elements`);
  }
  return size;
}

export function rawDTypeOfArray(data: unknown): DType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  return undefined;
}

/** Checks a RawTensor handed to us by a caller: known dtype, valid shape, data of that dtype and size. */
export function assertRawTensor(t: RawTensor, where: string): void {
  if (t === null || typeof t !== 'object') throw new Error(`${where}: expected a RawTensor object, got ${t === null ? 'null' : typeof t}`);
  if (!Array.isArray(t.shape)) throw new Error(`${where}: shape must be an array, got ${JSON.stringify(t.shape)}`);
  const size = shapeSize(t.shape, where);
  const arrayDType = rawDTypeOfArray(t.data);
  if (arrayDType === undefined) {
    throw new Error(`${where}: data must be a Float32Array, Float64Array or Int32Array, got ${Object.prototype.toString.call(t.data)}`);
  }
  if (arrayDType !== t.dtype) throw new Error(`${where}: dtype is ${JSON.stringify(t.dtype)} but data is a ${arrayDType} array`);
  if (t.data.length !== size) {
    throw new Error(`${where}: shape ${JSON.stringify(t.shape)} needs ${size} elements, data has ${t.data.length}`);
  }
}

// Creating tensors: from nested arrays or typed arrays, constants, ranges, and seeded random draws.
import { assertDType, checkInt32Range, dtypeOfArray, INT32_MAX, INT32_MIN, type DType, type TypedArray } from './dtype.js';
import type { DeviceName } from './device.js';
import { getDefaultDevice, getDevice, Storage } from './device.js';
import { checkShape, contiguousLayout, numel, shapeStr } from './layout.js';
import { generatorFrom, type Generator } from './random.js';
import { checkOptions, CREATE_OPTION_KEYS } from './options.js';
import { Tensor, type NestedArray } from './tensor.js';

export interface CreateOptions {
  dtype?: DType;
  device?: DeviceName;
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreateOptions {
  generator?: Generator;
  /** Draws from a new generator seeded with this integer (instead of `generator` or the default one). */
  seed?: number;
}

const RANDOM_KEYS = [...CREATE_OPTION_KEYS, 'generator', 'seed'];

/** A shape: an array of sizes, or one size for a 1-D tensor (zeros(5) is zeros([5]), as in PyTorch). */
export type ShapeLike = readonly number[] | number;

/** The shape as an array of non-negative integer sizes, or an error naming the op and what came. */
function shapeOf(op: string, shape: ShapeLike): number[] {
  if (typeof shape === 'number') return checkShape(op, [shape]);
  if (!Array.isArray(shape)) {
    const got = shape === null ? 'null' : ArrayBuffer.isView(shape) ? 'a typed array' : typeof shape;
    throw new Error(`${op}: expected a shape (an array of sizes such as [2, 3], or one size), got ${got}`);
  }
  return checkShape(op, shape);
}

/** Typed arrays in V8 (Node, Chrome) hold at most 2^32 elements. */
const MAX_ELEMENTS = 2 ** 32;

/**
 * A zeroed host array that the new tensor will own (so the engine may recycle it; wasm memory for large
 * float32). `what` describes the request for the error message, e.g. the shape.
 */
function allocArray(op: string, dtype: DType | undefined, size: number, what: string): TypedArray {
  const d = assertDType(op, dtype);
  const count = size.toLocaleString('en-US');
  if (size > MAX_ELEMENTS) {
    throw new Error(`${op}: ${what} has ${count} elements, more than the ${MAX_ELEMENTS.toLocaleString('en-US')} (2^32) a tensor can hold`);
  }
  try {
    return getDevice('cpu').alloc(d, size, true);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const bytes = size * (d === 'float64' ? 8 : 4);
    throw new Error(`${op}: could not allocate ${what}: ${count} ${d} elements (${(bytes / 2 ** 30).toFixed(1)} GiB) (${err.message})`);
  }
}

/** Wraps an array from allocArray as a cpu tensor, then moves it to the requested device. */
function finish(op: string, data: TypedArray, shape: readonly number[], opts: CreateOptions): Tensor {
  const t = new Tensor(new Storage(getDevice('cpu'), data, true), contiguousLayout(shape));
  const device = opts.device ?? getDefaultDevice();
  const placed = device === 'cpu' ? t : t.to(device);
  if (opts.requiresGrad) placed.requiresGrad_(true);
  void op;
  return placed;
}

function inferNested(value: unknown, op: string): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

/** tensor([[1, 2], [3, 4]]), tensor(Float32Array, { shape }), tensor(3.5). */
export function tensor(value: NestedArray | TypedArray | readonly number[] | number, opts: CreateOptions & { shape?: readonly number[] } = {}): Tensor {
  checkOptions('tensor', opts, [...CREATE_OPTION_KEYS, 'shape']);
  if (ArrayBuffer.isView(value)) {
    const arr = value as TypedArray;
    if (!(arr instanceof Float32Array || arr instanceof Float64Array || arr instanceof Int32Array)) {
      throw new Error('tensor: typed arrays must be Float32Array, Float64Array or Int32Array');
    }
    const dtype = assertDType('tensor', opts.dtype ?? dtypeOfArray(arr));
    const shape = shapeOf('tensor', opts.shape ?? [arr.length]);
    if (numel(shape) !== arr.length) throw new Error(`tensor: shape ${shapeStr(shape)} needs ${numel(shape)} elements, the array has ${arr.length}`);
    if (dtype === 'int32' && !(arr instanceof Int32Array)) checkInt32Range('tensor', arr);
    const data = allocArray('tensor', dtype, arr.length, `shape ${shapeStr(shape)}`);
    data.set(arr);
    return finish('tensor', data, shape, opts);
  }
  if (typeof value === 'number') {
    const data = allocArray('tensor', opts.dtype ?? 'float32', 1, 'a scalar');
    if (data instanceof Int32Array) checkInt32Range('tensor', [value]);
    data[0] = value;
    return finish('tensor', data, [], opts);
  }
  if (!Array.isArray(value)) throw new Error(`tensor: expected a number, a nested array or a typed array, got ${typeof value}`);
  const shape = inferNested(value, 'tensor');
  const dtype = assertDType('tensor', opts.dtype ?? 'float32');
  const data = allocArray('tensor', dtype, numel(shape), `shape ${shapeStr(shape)}`);
  let pos = 0;
  const walk = (v: unknown, d: number, path: number[]): void => {
    if (d === shape.length) {
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new Error(`tensor: expected a number at [${path.join('][')}], got ${Array.isArray(v) ? 'an array (ragged nesting)' : typeof v}`);
      }
      const x = Number(v);
      if (dtype === 'int32' && !(x >= INT32_MIN && x < INT32_MAX + 1)) {
        throw new Error(`tensor: value ${x} at [${path.join('][')}] does not fit int32 (expected a finite number in [${INT32_MIN}, ${INT32_MAX}]); use dtype 'float64' for larger values`);
      }
      data[pos++] = x;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw new Error(`tensor: ragged nested array: expected length ${shape[d]} at depth ${d} (index [${path.join('][')}]), got ${Array.isArray(v) ? `length ${v.length}` : typeof v}`);
    }
    v.forEach((x, i) => walk(x, d + 1, [...path, i]));
  };
  walk(value, 0, []);
  if (opts.shape) {
    throw new Error('tensor: the shape option is only for typed arrays; nested arrays carry their shape');
  }
  return finish('tensor', data, shape, opts);
}

/** A constant tensor; `op` is the public name the user called, for error messages. */
function filled(op: string, shapeLike: ShapeLike, value: number, opts: CreateOptions): Tensor {
  checkOptions(op, opts, CREATE_OPTION_KEYS);
  const shape = shapeOf(op, shapeLike);
  const data = allocArray(op, opts.dtype ?? 'float32', numel(shape), `shape ${shapeStr(shape)}`);
  if (data instanceof Int32Array) checkInt32Range(op, [value]);
  if (value !== 0) data.fill(value);
  return finish(op, data, shape, opts);
}

export const full = (shape: ShapeLike, value: number, opts: CreateOptions = {}): Tensor => filled('full', shape, value, opts);
export const zeros = (shape: ShapeLike, opts: CreateOptions = {}): Tensor => filled('zeros', shape, 0, opts);
export const ones = (shape: ShapeLike, opts: CreateOptions = {}): Tensor => filled('ones', shape, 1, opts);
export const zerosLike = (t: Tensor, opts: CreateOptions = {}): Tensor => filled('zerosLike', t.shape, 0, { dtype: t.dtype, device: t.device, ...opts });
export const onesLike = (t: Tensor, opts: CreateOptions = {}): Tensor => filled('onesLike', t.shape, 1, { dtype: t.dtype, device: t.device, ...opts });
export const fullLike = (t: Tensor, value: number, opts: CreateOptions = {}): Tensor => filled('fullLike', t.shape, value, { dtype: t.dtype, device: t.device, ...opts });

/** Values start, start+step, ... below end (as torch.arange). */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  checkOptions('arange', opts, CREATE_OPTION_KEYS);
  if (end === undefined) { end = start; start = 0; }
  if (![start, end, step].every(Number.isFinite) || step === 0) throw new Error(`arange: expected finite start/end and a non-zero step, got (${start}, ${end}, ${step})`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const isInt = [start, end, step].every(Number.isInteger);
  const data = allocArray('arange', opts.dtype ?? (isInt ? 'int32' : 'float32'), n, `arange(${start}, ${end}, ${step})`);
  const last = start + (n - 1) * step;
  if (data instanceof Int32Array && n > 0 && !(Math.min(start, last) >= INT32_MIN && Math.max(start, last) <= INT32_MAX)) {
    throw new Error(`arange: values from ${start} to ${last} do not fit int32 (expected [${INT32_MIN}, ${INT32_MAX}]); pass { dtype: 'float64' }`);
  }
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return finish('arange', data, [n], opts);
}

export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  checkOptions('linspace', opts, CREATE_OPTION_KEYS);
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const data = allocArray('linspace', opts.dtype ?? 'float32', steps, `linspace(${start}, ${end}, ${steps})`);
  for (let i = 0; i < steps; i++) data[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish('linspace', data, [steps], opts);
}

export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  checkOptions('eye', opts, CREATE_OPTION_KEYS);
  checkShape('eye', [n, m]);
  const data = allocArray('eye', opts.dtype ?? 'float32', n * m, `shape ${shapeStr([n, m])}`);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return finish('eye', data, [n, m], opts);
}

function randomTensor(op: string, shapeLike: ShapeLike, opts: RandomOptions, extraKeys: string[], draw: (g: Generator) => number): Tensor {
  checkOptions(op, opts, [...RANDOM_KEYS, ...extraKeys]);
  const shape = shapeOf(op, shapeLike);
  const dtype = assertDType(op, opts.dtype ?? 'float32');
  if (dtype === 'int32') throw new Error(`${op}: expected a floating-point dtype, got int32`);
  const g = generatorFrom(op, opts);
  const data = allocArray(op, dtype, numel(shape), `shape ${shapeStr(shape)}`);
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return finish(op, data, shape, opts);
}

/** Uniform in [low, high). */
export function rand(shape: ShapeLike, opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const low = opts.low ?? 0, high = opts.high ?? 1;
  return randomTensor('rand', shape, opts, ['low', 'high'], (g) => low + (high - low) * g.uniform());
}

export function randn(shape: ShapeLike, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const mean = opts.mean ?? 0, std = opts.std ?? 1;
  return randomTensor('randn', shape, opts, ['mean', 'std'], (g) => mean + std * g.normal());
}

/** Normal(mean, std) redrawn until inside [a, b] (absolute bounds, as timm's trunc_normal_). */
export function truncNormal(shape: ShapeLike, opts: RandomOptions & { mean?: number; std?: number; a?: number; b?: number } = {}): Tensor {
  const mean = opts.mean ?? 0, std = opts.std ?? 1, a = opts.a ?? -2, b = opts.b ?? 2;
  if (!(a < b)) throw new Error(`truncNormal: expected a < b, got a=${a}, b=${b}`);
  if (!(std > 0)) throw new Error(`truncNormal: expected std > 0, got ${std}`);
  return randomTensor('truncNormal', shape, opts, ['mean', 'std', 'a', 'b'], (g) => {
    for (let tries = 0; tries < 1000; tries++) {
      const v = mean + std * g.normal();
      if (v >= a && v <= b) return v;
    }
    throw new Error(`truncNormal: [${a}, ${b}] is too far from the mean ${mean} (std ${std}) to sample by rejection`);
  });
}

/** Random integers in [low, high). */
export function randint(low: number, high: number, shapeLike: ShapeLike, opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new Error(`randint: expected integers low < high, got ${low}, ${high}`);
  if (low < INT32_MIN || high - 1 > INT32_MAX) throw new Error(`randint: [${low}, ${high}) does not fit int32 (expected values in [${INT32_MIN}, ${INT32_MAX}])`);
  checkOptions('randint', opts, RANDOM_KEYS);
  const shape = shapeOf('randint', shapeLike);
  const g = generatorFrom('randint', opts);
  const data = allocArray('randint', 'int32', numel(shape), `shape ${shapeStr(shape)}`);
  for (let i = 0; i < data.length; i++) data[i] = low + g.int(high - low);
  return finish('randint', data, shape, { ...opts, dtype: 'int32' });
}

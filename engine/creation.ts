// Creating tensors: from nested arrays or typed arrays, constants, ranges, and seeded random draws.
import { assertDType, dtypeOfArray, type DType, type TypedArray } from './dtype.js';
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

/** A zeroed host array that the new tensor will own (so the engine may recycle it; wasm memory for large float32). */
function allocArray(dtype: DType, size: number): TypedArray {
  return getDevice('cpu').alloc(dtype, size, true);
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
    const dtype = opts.dtype ?? dtypeOfArray(arr);
    const shape = checkShape('tensor', opts.shape ?? [arr.length]);
    if (numel(shape) !== arr.length) throw new Error(`tensor: shape ${shapeStr(shape)} needs ${numel(shape)} elements, the array has ${arr.length}`);
    const data = allocArray(dtype, arr.length);
    data.set(arr);
    return finish('tensor', data, shape, opts);
  }
  if (typeof value === 'number') {
    const data = allocArray(opts.dtype ?? 'float32', 1);
    data[0] = value;
    return finish('tensor', data, [], opts);
  }
  if (!Array.isArray(value)) throw new Error(`tensor: expected a number, a nested array or a typed array, got ${typeof value}`);
  const shape = inferNested(value, 'tensor');
  const dtype = assertDType('tensor', opts.dtype ?? 'float32');
  const data = allocArray(dtype, numel(shape));
  let pos = 0;
  const walk = (v: unknown, d: number, path: number[]): void => {
    if (d === shape.length) {
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new Error(`tensor: expected a number at [${path.join('][')}], got ${Array.isArray(v) ? 'an array (ragged nesting)' : typeof v}`);
      }
      data[pos++] = Number(v);
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
function filled(op: string, shape: readonly number[], value: number, opts: CreateOptions): Tensor {
  checkOptions(op, opts, CREATE_OPTION_KEYS);
  checkShape(op, shape);
  const data = allocArray(opts.dtype ?? 'float32', numel(shape));
  if (value !== 0) data.fill(value);
  return finish(op, data, shape, opts);
}

export const full = (shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor => filled('full', shape, value, opts);
export const zeros = (shape: readonly number[], opts: CreateOptions = {}): Tensor => filled('zeros', shape, 0, opts);
export const ones = (shape: readonly number[], opts: CreateOptions = {}): Tensor => filled('ones', shape, 1, opts);
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
  const data = allocArray(opts.dtype ?? (isInt ? 'int32' : 'float32'), n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return finish('arange', data, [n], opts);
}

export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  checkOptions('linspace', opts, CREATE_OPTION_KEYS);
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const data = allocArray(opts.dtype ?? 'float32', steps);
  for (let i = 0; i < steps; i++) data[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish('linspace', data, [steps], opts);
}

export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  checkOptions('eye', opts, CREATE_OPTION_KEYS);
  checkShape('eye', [n, m]);
  const data = allocArray(opts.dtype ?? 'float32', n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return finish('eye', data, [n, m], opts);
}

function randomTensor(op: string, shape: readonly number[], opts: RandomOptions, extraKeys: string[], draw: (g: Generator) => number): Tensor {
  checkOptions(op, opts, [...RANDOM_KEYS, ...extraKeys]);
  checkShape(op, shape);
  const dtype = opts.dtype ?? 'float32';
  if (dtype === 'int32') throw new Error(`${op}: expected a floating-point dtype, got int32`);
  const g = generatorFrom(op, opts);
  const data = allocArray(dtype, numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return finish(op, data, shape, opts);
}

/** Uniform in [low, high). */
export function rand(shape: readonly number[], opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const low = opts.low ?? 0, high = opts.high ?? 1;
  return randomTensor('rand', shape, opts, ['low', 'high'], (g) => low + (high - low) * g.uniform());
}

export function randn(shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const mean = opts.mean ?? 0, std = opts.std ?? 1;
  return randomTensor('randn', shape, opts, ['mean', 'std'], (g) => mean + std * g.normal());
}

/** Normal(mean, std) redrawn until inside [a, b] (absolute bounds, as timm's trunc_normal_). */
export function truncNormal(shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number; a?: number; b?: number } = {}): Tensor {
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
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new Error(`randint: expected integers low < high, got ${low}, ${high}`);
  checkOptions('randint', opts, RANDOM_KEYS);
  checkShape('randint', shape);
  const g = generatorFrom('randint', opts);
  const data = new Int32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + g.int(high - low);
  return finish('randint', data, shape, { ...opts, dtype: 'int32' });
}

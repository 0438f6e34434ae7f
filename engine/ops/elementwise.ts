// Elementwise ops with NumPy broadcasting. Each table row: the kernel, and the gradient with its math.
import { apply } from '../autograd.js';
import { isFloat, promoteTypes, type DType } from '../dtype.js';
import { broadcastShapes, expandLayout, shapeStr } from '../layout.js';
import type { BinaryOp, UnaryOp } from '../backend/interface.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { notDifferentiable, type Op } from './op.js';
import type { Binary, CompareOp, GeluSaved, Rule, RuleOf, Rules, Unary } from './table.js';
import { sumToShape } from './reduce.js';
import { cast } from './movement.js';

/** A JS number becomes a 0-d tensor on `like`'s device, of its dtype (int32 with a fraction → float32). */
export function toTensor(v: TensorLike, like: Tensor): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v !== 'number') throw new Error(`expected a Tensor or a number, got ${typeof v}`);
  const dtype: DType = like.dtype === 'int32' && !Number.isInteger(v) ? 'float32' : like.dtype;
  const t = Tensor.empty([], dtype, like.storage.device);
  t.data_[0] = v;
  return t;
}

function sameDevice(op: string, a: Tensor, b: Tensor): void {
  if (a.device !== b.device) throw new Error(`${op}: tensors are on different devices (${a.device} and ${b.device}); move one with .to('${a.device}')`);
}

// ---- unary ------------------------------------------------------------------------------------------

export type PublicUnary = Exclude<UnaryOp, 'reluGrad' | 'geluGrad' | 'geluTanhGrad' | 'erfGrad'>;

/** Ops that accept int32 input (and keep it). */
const INT_OK = new Set<UnaryOp>(['neg', 'abs', 'sign', 'square', 'relu']);

export function unaryForward(op: UnaryOp, x: Tensor): Tensor {
  if (!isFloat(x.dtype) && !INT_OK.has(op)) {
    throw new Error(`${op}: expected a floating-point tensor, got int32 of shape ${shapeStr(x.shape)}; convert with .float()`);
  }
  const out = Tensor.uninit(x.layout.shape, x.dtype, x.storage.device);
  const xv = x.view_();
  const o = out.data_;
  x.storage.device.run((k) => k.unary(op, xv, o));
  return out;
}

const unaryOp = <P extends Exclude<PublicUnary, 'gelu'>>(name: P, backward: (grad: Tensor, x: Tensor, y: Tensor) => Tensor): RuleOf<Unary, P> =>
  ({ name, kernels: ['unary'], forward: ([x]) => unaryForward(name, x), backward: (grad, { inputs, out }) => [backward(grad, inputs[0], out)] });

export const UNARY_OPS: Rules<PublicUnary> = {
  neg: unaryOp('neg', (g) => g.neg()), //                                  d(-x) = -1
  abs: unaryOp('abs', (g, x) => g.mul(x.sign())), //                       d|x| = sign(x)
  sign: { name: 'sign', kernels: ['unary'], forward: ([x]) => unaryForward('sign', x), backward: notDifferentiable },
  exp: unaryOp('exp', (g, _x, y) => g.mul(y)), //                          d eˣ = eˣ
  log: unaryOp('log', (g, x) => g.div(x)), //                              d ln x = 1/x
  sqrt: unaryOp('sqrt', (g, _x, y) => g.div(y.mul(2))), //                 d √x = 1/(2√x)
  rsqrt: unaryOp('rsqrt', (g, _x, y) => g.mul(y.mul(y).mul(y)).mul(-0.5)), // d x^-½ = -½ x^-3/2
  reciprocal: unaryOp('reciprocal', (g, _x, y) => g.mul(y).mul(y).neg()), // d 1/x = -1/x²
  square: unaryOp('square', (g, x) => g.mul(x).mul(2)), //                 d x² = 2x
  sin: unaryOp('sin', (g, x) => g.mul(x.cos())), //                        d sin = cos
  cos: unaryOp('cos', (g, x) => g.mul(x.sin()).neg()), //                  d cos = -sin
  tanh: unaryOp('tanh', (g, _x, y) => g.mul(y.mul(y).neg().add(1))), //    d tanh = 1 - tanh²
  sigmoid: unaryOp('sigmoid', (g, _x, y) => g.mul(y.mul(y.neg().add(1)))), // dσ = σ(1-σ)
  relu: unaryOp('relu', (g, x) => g.mul(unaryForward('reluGrad', x))), //  d relu = [x > 0]
  erf: unaryOp('erf', (g, x) => g.mul(unaryForward('erfGrad', x))), //     d erf = 2/√π e^{-x²}
  // d xΦ(x) = Φ(x) + xφ(x): computed with the forward's Φ when recorded (then g · saved), else in the backward's one kernel
  gelu: {
    name: 'gelu',
    kernels: ['unary', 'binary', 'geluWithGrad'],
    forward: ([x], _attrs, recording) => (recording && isFloat(x.dtype) ? geluWithGrad(x) : unaryForward('gelu', x)),
    backward: (g, { inputs: [x], saved }) => [saved ? binaryForward('mul', g, saved.dgelu) : binaryForward('geluBackward', g, x)],
  },
  geluTanh: unaryOp('geluTanh', (g, x) => g.mul(unaryForward('geluTanhGrad', x))), // see special.ts
};

/** gelu(x) and, saved for the backward, gelu'(x), from one kernel call. */
function geluWithGrad(x: Tensor): readonly [Tensor, GeluSaved] {
  const out = Tensor.uninit(x.layout.shape, x.dtype, x.storage.device);
  const dgelu = Tensor.uninit(x.layout.shape, x.dtype, x.storage.device);
  const xv = x.view_();
  const o = out.data_, d = dgelu.data_;
  x.storage.device.run((k) => k.geluWithGrad(xv, o, d));
  return [out, { dgelu }];
}

export function unary(op: PublicUnary, x: Tensor): Tensor {
  // gelu's rule saves gelu'(x); the others save nothing
  const rule = UNARY_OPS[op] as Op<undefined, GeluSaved, readonly [Tensor]>;
  return apply(rule, [x], undefined);
}

// ---- binary -----------------------------------------------------------------------------------------

type Arith = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';

/** Result dtype: promoted; true division and powers of floats give floats. */
function resultType(op: BinaryOp, a: Tensor, b: Tensor): DType {
  const t = promoteTypes(a.dtype, b.dtype);
  return op === 'div' && t === 'int32' ? 'float32' : t;
}

export function binaryForward(op: BinaryOp, a: Tensor, b: Tensor, outDType?: DType): Tensor {
  sameDevice(op, a, b);
  const shape = broadcastShapes(op, a.layout.shape, b.layout.shape);
  const inType = op === 'div' ? resultType(op, a, b) : promoteTypes(a.dtype, b.dtype);
  const ac = a.dtype === inType ? a : cast(a, inType);
  const bc = b.dtype === inType ? b : cast(b, inType);
  const out = Tensor.uninit(shape, outDType ?? inType, a.storage.device);
  const av = { data: ac.view_().data, layout: expandLayout(op, ac.layout, shape) };
  const bv = { data: bc.view_().data, layout: expandLayout(op, bc.layout, shape) };
  const o = out.data_;
  a.storage.device.run((k) => k.binary(op, av, bv, o));
  return out;
}

const binaryOp = <P extends Arith>(name: P, backward: (grad: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null]): RuleOf<Binary, P> =>
  ({
    name,
    kernels: ['binary'],
    forward: ([a, b]) => binaryForward(name, a, b),
    backward: (grad, { inputs: [a, b], out, needsGrad }) => {
      const [ga, gb] = backward(grad, a, b, out);
      return [needsGrad[0] && ga ? sumToShape(ga, a.shape) : null, needsGrad[1] && gb ? sumToShape(gb, b.shape) : null];
    },
  });

/** Ties split the gradient evenly, as torch does for maximum/minimum. */
function tieMask(a: Tensor, b: Tensor, op: 'gt' | 'lt'): Tensor {
  return binaryForward(op, a, b, a.dtype === 'int32' ? 'float32' : promoteTypes(a.dtype, b.dtype)).add(binaryForward('eq', a, b, promoteTypes(a.dtype, b.dtype)).mul(0.5));
}

export const BINARY_OPS: Rules<Arith> = {
  add: binaryOp('add', (g) => [g, g]), //                                  d(a+b) = (1, 1)
  sub: binaryOp('sub', (g) => [g, g.neg()]), //                            d(a-b) = (1, -1)
  mul: binaryOp('mul', (g, a, b) => [g.mul(b), g.mul(a)]), //              d(ab) = (b, a)
  div: binaryOp('div', (g, _a, b, y) => [g.div(b), g.mul(y).div(b).neg()]), // d(a/b) = (1/b, -a/b²)
  // d aᵇ = (b aᵇ⁻¹, aᵇ ln a)
  pow: binaryOp('pow', (g, a, b, y) => [g.mul(b).mul(a.pow(b.sub(1))), b.requiresGrad ? g.mul(y).mul(a.log()) : null]),
  maximum: binaryOp('maximum', (g, a, b) => [g.mul(tieMask(a, b, 'gt')), g.mul(tieMask(b, a, 'gt'))]),
  minimum: binaryOp('minimum', (g, a, b) => [g.mul(tieMask(a, b, 'lt')), g.mul(tieMask(b, a, 'lt'))]),
};

function binary(op: Arith, a: TensorLike, b: TensorLike): Tensor {
  if (!(a instanceof Tensor)) {
    if (!(b instanceof Tensor)) throw new Error(`${op}: expected at least one tensor`);
    a = toTensor(a, b);
  }
  const rule: Op<undefined, undefined, readonly [Tensor, Tensor]> = BINARY_OPS[op];
  return apply(rule, [a, toTensor(b, a)], undefined);
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', a, b);

export const compareOp: Rule<'compare'> = {
  name: 'compare',
  kernels: ['binary'],
  forward: ([a, b], { op }) => binaryForward(op, a, b, 'int32'),
  backward: notDifferentiable,
};

/** Comparisons give int32 0/1 masks. */
export function compare(op: CompareOp, a: Tensor, b: TensorLike): Tensor {
  return apply(compareOp, [a, toTensor(b, a)], { op });
}

// ---- where and clamp --------------------------------------------------------------------------------

export const whereOp: Rule<'where'> = {
  name: 'where',
  kernels: ['where'],
  forward: ([c, a, b]) => {
    sameDevice('where', a, b);
    sameDevice('where', c, a);
    const shape = broadcastShapes('where', broadcastShapes('where', c.layout.shape, a.layout.shape), b.layout.shape);
    const dtype = promoteTypes(a.dtype, b.dtype);
    const ac = a.dtype === dtype ? a : cast(a, dtype);
    const bc = b.dtype === dtype ? b : cast(b, dtype);
    const out = Tensor.uninit(shape, dtype, a.storage.device);
    const views = [c, ac, bc].map((t) => ({ data: t.view_().data, layout: expandLayout('where', t.layout, shape) }));
    const o = out.data_;
    a.storage.device.run((k) => k.where(views[0], views[1], views[2], o));
    return out;
  },
  // d where(c, a, b) = (·, [c], [¬c])
  backward: (grad, { inputs: [c, a, b], needsGrad }) => {
    const zero = toTensor(0, grad);
    return [
      null,
      needsGrad[1] ? sumToShape(where(c, grad, zero), a.shape) : null,
      needsGrad[2] ? sumToShape(where(c, zero, grad), b.shape) : null,
    ];
  },
};

export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const at = a instanceof Tensor ? a : toTensor(a, b instanceof Tensor ? b : cond.dtype === 'int32' ? Tensor.empty([], 'float32', cond.storage.device) : cond);
  return apply(whereOp, [cond, at, toTensor(b, at)], undefined);
}

export const clampOp: Rule<'clamp'> = {
  name: 'clamp',
  kernels: ['binary'],
  forward: ([x], { min, max }) => {
    let y = x;
    if (min !== null) y = binaryForward('maximum', y, toTensor(min, y));
    if (max !== null) y = binaryForward('minimum', y, toTensor(max, y));
    return y === x ? binaryForward('add', x, toTensor(0, x)) : y;
  },
  // d clamp = [min ≤ x ≤ max]
  backward: (grad, { inputs: [x], attrs: { min, max } }) => {
    let mask = Tensor.empty([], grad.dtype, grad.storage.device).add(1);
    if (min !== null) mask = mask.mul(binaryForward('ge', x, toTensor(min, x), grad.dtype));
    if (max !== null) mask = mask.mul(binaryForward('le', x, toTensor(max, x), grad.dtype));
    return [grad.mul(mask)];
  },
};

export function clamp(x: Tensor, min: number | null, max: number | null): Tensor {
  if (min !== null && max !== null && min > max) throw new Error(`clamp: min ${min} is greater than max ${max}`);
  return apply(clampOp, [x], { min, max });
}

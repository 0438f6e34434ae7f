// The primitive table: one row per primitive (its inputs, attributes, saved values, and the backend kernels it
// calls), and PRIMITIVES, the rules (forward and backward together, in the family files) checked against it.
// Typed as { [P in Primitive]: Rule<P> }: a primitive without a rule, a backward returning another number of
// gradients than the primitive has inputs, or a kernel claim that names no kernel fails `tsc`.
import type { DType } from '../dtype.js';
import type { DeviceName } from '../device.js';
import type { Layout } from '../layout.js';
import type { AttentionShape, BinaryOp, Kernels } from '../backend/interface.js';
import type { Tensor } from '../tensor.js';
import type { Op } from './op.js';
import { BINARY_OPS, clampOp, compareOp, UNARY_OPS, whereOp } from './elementwise.js';
import { argOp, extremumOps, sumOp } from './reduce.js';
import { matmulOp } from './matmul.js';
import { linearOp } from './linear.js';
import { softmaxOp } from './softmax.js';
import { layerNormOp } from './layernorm.js';
import { attentionOp } from './attention.js';
import { catOp, copyOp, expandOp, gatherOp, permuteOp, sliceOp, toDeviceOp, viewOp } from './movement.js';

type In1 = readonly [x: Tensor];
type In2 = readonly [a: Tensor, b: Tensor];
type Kernel = keyof Kernels;

/** A row of the table: the inputs as a tuple, the attributes, what forward saves for backward, the kernels called. */
interface Row<In extends readonly Tensor[], A, S, K extends Kernel> { inputs: In; attrs: A; saved: S; kernels: K }
type AnyRow = Row<readonly Tensor[], unknown, unknown, Kernel>;
export type Unary<K extends Kernel = 'unary'> = Row<In1, undefined, undefined, K>;
export type Binary = Row<In2, undefined, undefined, 'binary'>;

export interface ReduceAttrs { axes: number[]; keepdim: boolean }
export interface LayerNormAttrs { cols: number; eps: number; hasWeight: boolean; hasBias: boolean }
export interface LayerNormSaved { mean: Tensor; rstd: Tensor }
/** x, then the weight and the bias that are given, in that order. */
export type LayerNormInputs = readonly [x: Tensor] | readonly [x: Tensor, weightOrBias: Tensor] | readonly [x: Tensor, weight: Tensor, bias: Tensor];
/** gelu'(x), when the forward computed it (recorded calls). */
export type GeluSaved = { dgelu: Tensor } | undefined;
export interface AttentionAttrs { heads: number; scale: number }
/**
 * The attention probabilities p [B·H, N, N], and either the inputs as the kernel read them and its shape (the fused kernel's forward) or
 * heads-first [B·H, N, hd] s·q, k and v (the composed one).
 */
export type AttentionSaved = { p: Tensor } & ({ inputs: readonly [q: Tensor, k: Tensor, v: Tensor]; shape: AttentionShape } | { heads: { qh: Tensor; kh: Tensor; vh: Tensor } });
/** x, weight, then the bias and the residual where the attrs say they are given. */
export type LinearInputs = readonly [x: Tensor, weight: Tensor] | readonly [x: Tensor, weight: Tensor, biasOrResidual: Tensor]
  | readonly [x: Tensor, weight: Tensor, bias: Tensor, residual: Tensor];
export interface LinearAttrs { hasBias: boolean; hasResidual: boolean }
export type CompareOp = Extract<BinaryOp, 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'>;

export interface Primitives {
  neg: Unary; abs: Unary; sign: Unary; exp: Unary; log: Unary; sqrt: Unary; rsqrt: Unary; reciprocal: Unary;
  square: Unary; sin: Unary; cos: Unary; tanh: Unary; sigmoid: Unary; relu: Unary; erf: Unary; geluTanh: Unary;
  /** recorded: the forward writes gelu'(x) beside gelu(x) in one pass (saved), the backward multiplies by it; else the backward runs the fused 'geluBackward' */
  gelu: Row<In1, undefined, GeluSaved, 'unary' | 'binary' | 'geluWithGrad'>;
  add: Binary; sub: Binary; mul: Binary; div: Binary; pow: Binary; maximum: Binary; minimum: Binary;
  compare: Row<In2, { op: CompareOp }, undefined, 'binary'>;
  where: Row<readonly [cond: Tensor, a: Tensor, b: Tensor], undefined, undefined, 'where'>;
  clamp: Row<In1, { min: number | null; max: number | null }, undefined, 'binary'>;
  sum: Row<In1, ReduceAttrs, undefined, 'reduce'>;
  max: Row<In1, ReduceAttrs, undefined, 'reduce'>;
  min: Row<In1, ReduceAttrs, undefined, 'reduce'>;
  argReduce: Row<In1, { op: 'argmax' | 'argmin'; axis: number; keepdim: boolean }, undefined, 'argReduce'>;
  matmul: Row<In2, undefined, undefined, 'matmul'>;
  linear: Row<LinearInputs, LinearAttrs, undefined, 'matmul' | 'binary'>;
  softmax: Row<In1, { log: boolean }, undefined, 'softmax' | 'softmaxBackward'>;
  layerNorm: Row<LayerNormInputs, LayerNormAttrs, LayerNormSaved, 'layerNorm' | 'layerNormBackward'>;
  /** fused multi-head self-attention (ops/attention.ts) */
  attention: Row<readonly [q: Tensor, k: Tensor, v: Tensor], AttentionAttrs, AttentionSaved, 'binary' | 'matmul' | 'softmax' | 'softmaxBackward' | 'copy'>;
  view: Row<In1, { layout: Layout }, undefined, never>;
  permute: Row<In1, { dims: number[] }, undefined, never>;
  expand: Row<In1, { shape: number[] }, undefined, never>;
  slice: Row<In1, { axis: number; start: number; length: number; step: number }, undefined, 'copy'>;
  copy: Row<In1, { dtype: DType }, undefined, 'copy'>;
  to: Row<In1, { device: DeviceName }, undefined, never>;
  /** any number of inputs: its gradient count is checked at run time */
  cat: Row<readonly Tensor[], { axis: number }, undefined, 'copy'>;
  gather: Row<readonly [x: Tensor, index: Tensor], { axis: number }, undefined, 'gather' | 'scatterAdd'>;
}

export type Primitive = keyof Primitives;

/** The rule for a row: forward and backward typed by the row's inputs, attributes and saved values, and its kernels. */
export interface RuleOf<R extends AnyRow, N extends string> extends Op<R['attrs'], R['saved'], R['inputs']> {
  readonly name: N;
  readonly kernels: readonly R['kernels'][];
}

/** A primitive's rule. */
export type Rule<P extends Primitive> = RuleOf<Primitives[P], P>;

/** Rules for some primitives, each required. */
export type Rules<P extends Primitive> = { readonly [K in P]: Rule<K> };

export const PRIMITIVES: Rules<Primitive> = {
  ...UNARY_OPS,
  ...BINARY_OPS,
  compare: compareOp,
  where: whereOp,
  clamp: clampOp,
  sum: sumOp,
  ...extremumOps,
  argReduce: argOp,
  matmul: matmulOp,
  linear: linearOp,
  softmax: softmaxOp,
  layerNorm: layerNormOp,
  attention: attentionOp,
  view: viewOp,
  permute: permuteOp,
  expand: expandOp,
  slice: sliceOp,
  copy: copyOp,
  to: toDeviceOp,
  cat: catOp,
  gather: gatherOp,
};

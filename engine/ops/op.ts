// The op contract: forward and backward declared together. `backward` is a required field, so an op
// without one fails `tsc`; ops with no derivative say so with the explicit `notDifferentiable` marker.
import type { Tensor } from '../tensor.js';

export const notDifferentiable: unique symbol = Symbol('notDifferentiable');

export interface BackwardContext<A, S> {
  readonly inputs: readonly Tensor[];
  readonly out: Tensor;
  readonly attrs: A;
  readonly saved: S;
  /** needsGrad[i]: whether input i wants a gradient (skip work for the others). */
  readonly needsGrad: readonly boolean[];
}

/** Returns one gradient per input (null where none flows); `grad` is the upstream gradient. */
export type BackwardFn<A, S> = (grad: Tensor, ctx: BackwardContext<A, S>) => readonly (Tensor | null)[];

export interface Op<A = undefined, S = undefined> {
  readonly name: string;
  /** Computes the output from the inputs; may return [out, saved] to keep extra values for backward. */
  forward(inputs: readonly Tensor[], attrs: A): Tensor | readonly [Tensor, S];
  readonly backward: BackwardFn<A, S> | typeof notDifferentiable;
}

export function defineOp<A = undefined, S = undefined>(op: Op<A, S>): Op<A, S> {
  return op;
}

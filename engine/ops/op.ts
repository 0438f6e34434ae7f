// The op contract: forward and backward declared together. `backward` is a required field, so an op
// without one fails `tsc`; ops with no derivative say so with the explicit `notDifferentiable` marker.
import type { Tensor } from '../tensor.js';

export const notDifferentiable: unique symbol = Symbol('notDifferentiable');

/**
 * One gradient per input, in input order (null where none flows): for a tuple of inputs a tuple of the same
 * length, so a backward that returns too few or too many fails `tsc`. Untyped inputs (a user's defineOp without
 * a tuple type) give a plain list, which autograd checks at run time.
 */
export type Grads<In extends readonly Tensor[]> = { readonly [K in keyof In]: Tensor | null };

export interface BackwardContext<A, S, In extends readonly Tensor[] = readonly Tensor[]> {
  readonly inputs: In;
  readonly out: Tensor;
  readonly attrs: A;
  readonly saved: S;
  /** needsGrad[i]: whether input i wants a gradient (skip work for the others). */
  readonly needsGrad: readonly boolean[];
}

/** Returns one gradient per input (null where none flows); `grad` is the upstream gradient. */
export type BackwardFn<A, S, In extends readonly Tensor[] = readonly Tensor[]> = (grad: Tensor, ctx: BackwardContext<A, S, In>) => NoInfer<Grads<In>>;

/** `In`, the inputs: a tuple type (readonly [Tensor, Tensor]) makes the gradient count a compile-time check. */
export interface Op<A = undefined, S = undefined, In extends readonly Tensor[] = readonly Tensor[]> {
  readonly name: string;
  /**
   * Computes the output from the inputs; may return [out, saved] to keep extra values for backward. `recording`:
   * whether autograd will record this call (grad mode on, an input requires grad), so the forward may compute
   * what its backward needs in the same pass, or skip it.
   */
  forward(inputs: In, attrs: A, recording: boolean): Tensor | readonly [Tensor, S];
  readonly backward: BackwardFn<A, S, In> | typeof notDifferentiable;
}

export function defineOp<A = undefined, S = undefined, In extends readonly Tensor[] = readonly Tensor[]>(op: Op<A, S, In>): Op<A, S, In> {
  return op;
}

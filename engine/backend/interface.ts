// The backend interface: the small set of kernels every backend answers for. Ops (engine/ops) are
// written against these; a backend that claims a kernel must implement it or `tsc` fails.
import type { DType, TypedArray } from '../dtype.js';
import type { Layout } from '../layout.js';

/** A typed array read through a layout (strides may be 0 for broadcast, or permuted). */
export interface View {
  readonly data: TypedArray;
  readonly layout: Layout;
}

export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'reciprocal' | 'square'
  | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'erf' | 'gelu' | 'geluTanh'
  | 'reluGrad' | 'geluGrad' | 'geluTanhGrad' | 'erfGrad';

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
  /** grad · gelu'(x) with a = grad, b = x: the gelu backward in one pass */
  | 'geluBackward';

export type ReduceOp = 'sum' | 'max' | 'min';

/**
 * Every kernel writes into `out` (contiguous, row-major, preallocated) unless stated.
 * `R` is the return type: `void` for synchronous backends, `void | Promise<void>` for asynchronous ones.
 */
export interface Kernels<R = void> {
  /** dst[i] = src[i] elementwise between two views of the same shape (casts between dtypes). */
  copy(src: View, dst: View): R;
  unary(op: UnaryOp, x: View, out: TypedArray): R;
  /** out = gelu(x) and grad = gelu'(x) (what its backward multiplies by): one pass where the backend fuses them. */
  geluWithGrad(x: View, out: TypedArray, grad: TypedArray): R;
  /** a and b are already broadcast (expanded) to the output shape. */
  binary(op: BinaryOp, a: View, b: View, out: TypedArray): R;
  /** out = cond != 0 ? a : b, all three expanded to the output shape. */
  where(cond: View, a: View, b: View, out: TypedArray): R;
  /** Reduces `axes` (sorted, unique) of x; out has x's shape without those axes. */
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: TypedArray): R;
  /** Index of the first max (or min) along one axis. */
  argReduce(op: 'argmax' | 'argmin', x: View, axis: number, out: Int32Array): R;
  /** out[b] = a[b] @ b[b]; a is [batch, M, K], b is [batch, K, N] (views; batch stride may be 0). */
  matmul(a: View, b: View, out: TypedArray, batch: number, M: number, N: number, K: number): R;
  /** Softmax (or log-softmax) over the last axis of a contiguous [rows, cols] array. */
  softmax(x: TypedArray, out: TypedArray, rows: number, cols: number, log: boolean): R;
  /** softmax: dx = y * (g - sum(g * y)); log-softmax: dx = g - exp(y) * sum(g). */
  softmaxBackward(y: TypedArray, g: TypedArray, out: TypedArray, rows: number, cols: number, log: boolean): R;
  /** y = (x - mean) * rstd * w + b over the last `cols`; also writes mean and rstd per row. */
  layerNorm(x: TypedArray, w: TypedArray | null, b: TypedArray | null, y: TypedArray, mean: TypedArray, rstd: TypedArray, rows: number, cols: number, eps: number): R;
  /** dx, and (overwritten, not accumulated) dw and db when given. */
  layerNormBackward(x: TypedArray, w: TypedArray | null, mean: TypedArray, rstd: TypedArray, g: TypedArray, dx: TypedArray, dw: TypedArray | null, db: TypedArray | null, rows: number, cols: number): R;
  /** out = x gathered along `axis` at `index` (x viewed as [outer, size, inner], index as [outer, n, inner]). */
  gather(x: View, axis: number, index: View, out: TypedArray): R;
  /** out (zeroed by the caller, x's shape) += src scattered along `axis` at `index` (the adjoint of gather). */
  scatterAdd(src: View, axis: number, index: View, out: TypedArray, outShape: readonly number[]): R;
}

/**
 * Shape of a multi-head attention call: q, k, v [batch, seq, heads·headSize] with rows `inputRow` elements apart
 * (heads·headSize when contiguous; 3·heads·headSize for the thirds of one qkv tensor), everything else contiguous.
 */
export interface AttentionShape { batch: number; seq: number; heads: number; headSize: number; scale: number; inputRow: number }

/**
 * Fused kernels a synchronous backend may offer besides its Kernels. An op that uses one keeps its composed path,
 * which runs where the backend lacks the kernel or the kernel turns the call down (returns false: a dtype or a
 * mode it does not take).
 */
export interface FusedKernels {
  /**
   * out [M, N] = a [1, M, K] @ b [1, K, N] (the kernel matmul's views) + bias [N] + residual [M, N] (null: none),
   * bias then residual added to each finished sum, so it rounds as the separate adds would.
   */
  linear(a: View, b: View, bias: View | null, residual: View | null, out: TypedArray, M: number, N: number, K: number): boolean;
  /** out = merge(softmax(s·q kᵀ) v) per (batch, head); p [batch·heads, seq, seq] keeps the probabilities (null: not kept). */
  attention(q: TypedArray, k: TypedArray, v: TypedArray, out: TypedArray, p: TypedArray | null, shape: AttentionShape): boolean;
  /** Its dq, dk, dv (null: not wanted) from the upstream gradient dy and the kept probabilities p. */
  attentionBackward(dy: TypedArray, q: TypedArray, k: TypedArray, v: TypedArray, p: TypedArray,
                    dq: TypedArray | null, dk: TypedArray | null, dv: TypedArray | null, shape: AttentionShape): boolean;
}

export type SyncKernels = Kernels<void>;
export type AsyncKernels = Kernels<void | Promise<void>>;

/** The kernels a backend claims, each required: a backend that claims a kernel it lacks fails `tsc`. */
export type ClaimedKernels<C extends keyof Kernels> = { readonly [K in C]: AsyncKernels[K] };

/**
 * Data a backend keeps in its own device memory: a storage's host array is its identity, and may be stale
 * while the device holds newer values (gpu.js webgpu). Reads make it current first.
 */
export interface Residency {
  /** True when the device holds newer values than the host array `a`. */
  isStale(a: TypedArray): boolean;
  /** Reads `a`'s values back into its host array (one host round trip when stale). */
  download(a: TypedArray): Promise<void>;
  /** Reads back everything the device holds. */
  downloadAll(): Promise<void>;
  /** Releases the device copy of a freed storage. */
  evict(a: TypedArray): void;
  /** Storages whose values are held on the device now. */
  readonly size: number;
}

/** A backend: a full kernel set (cpu) or a partial one that falls back to cpu for the rest. */
export interface Backend {
  readonly name: string;
  /** True when kernels may return Promises; ops then queue work and tensors are realised when read. */
  readonly async: boolean;
  readonly kernels: Partial<AsyncKernels>;
  /** Fused kernels it offers (synchronous backends only), called directly by the ops that use them. */
  readonly fused?: FusedKernels;
  /** What the backend runs on, for reports (e.g. 'gpu.js webgpu'). */
  describe(): string;
  /**
   * Allocation hook: an array for a new storage from the backend's own memory (the cpu backend puts large
   * float32 storages in wasm memory, where its kernels use them without copies), or null for an ordinary array.
   */
  alloc?(dtype: DType, length: number): TypedArray | null;
  /** Takes back an array from `alloc`; false (and nothing done) for any other array. */
  free?(a: TypedArray): boolean;
  /** Present when the backend keeps tensors' data on its device between kernels. */
  readonly residency?: Residency;
  dispose?(): void;
}

// The public Tensor: a typed storage read through a Layout, plus its autograd links. Most methods are
// one-line calls into engine/ops, where each op declares its forward and backward together.
import { allocArray, assertCastTarget, isFloat, type DType, type TypedArray } from './dtype.js';
import { getDevice, Storage, type Device, type DeviceName, type StorageHold } from './device.js';
import { contiguousLayout, contiguousStrides, isContiguous, numel, sameShape, shapeStr, type Layout } from './layout.js';
import type { View } from './backend/interface.js';
import { beginTracking, disposeUnkept, endTracking, keep, takeTensorId, trackTensor } from './scope.js';
import { readGuard } from './read-guard.js';
import { rebaseInPlace, runBackward, type GraphNode } from './autograd.js';
import { isGradEnabled, noGrad } from './grad-mode.js';
import * as E from './ops/elementwise.js';
import * as R from './ops/reduce.js';
import * as M from './ops/movement.js';
import { matmul } from './ops/matmul.js';
import { softmax, logSoftmax } from './ops/softmax.js';
import { formatTensor } from './format.js';

export type Scalar = number;
export type TensorLike = Tensor | number;

/** What the finalizer of a collected tensor releases: its count when still counted, and its hold on the storage. */
interface TensorLife extends StorageHold { readonly device: Device; counted: boolean }

const registry = new FinalizationRegistry<TensorLife>((life) => {
  if (life.counted) life.device.stats.tensors--;
  life.storage?.release();
});

export class Tensor {
  readonly __isTensor = true;
  readonly id = takeTensorId();
  /** Gradient accumulated by backward() for leaves (and for non-leaves after retainGrad()). */
  private gradValue: Tensor | null = null;
  /** The op that produced this tensor, when it was recorded for autograd. */
  gradFn: GraphNode | null = null;
  private requires: boolean;
  private retains = false;
  private disposed = false;
  /** Who disposed it, when not the user: said in the error of a later use. */
  private disposedBy = '';
  private readonly life: TensorLife;
  /** Graph nodes not yet released that hold this tensor (as an input, or as their output). */
  graphUses = 0;
  /** Made inside a graphScope() and needed by a graph: disposed when the last node holding it is released. */
  freeWithGraph = false;
  /** Passed to keep(): the engine leaves its lifetime to the user (dispose, or the garbage collector). */
  kept = false;
  /** A readable name for error messages and state dicts (optional). */
  name?: string;

  constructor(readonly storage: Storage, readonly layout: Layout, requiresGrad = false) {
    this.requires = requiresGrad;
    if (requiresGrad && !isFloat(this.dtype)) {
      throw new Error(`tensor: only floating-point tensors can require gradients, got ${this.dtype}`);
    }
    storage.retain();
    storage.device.stats.tensors++;
    this.life = { device: storage.device, storage, counted: true };
    registry.register(this, this.life, this.life);
    trackTensor(this);
  }

  // ---- creation helpers used by ops -------------------------------------------------------------

  /** A zero-filled contiguous tensor. */
  static empty(shape: readonly number[], dtype: DType = 'float32', device: DeviceName | Device = 'cpu'): Tensor {
    const dev = typeof device === 'string' ? getDevice(device) : device;
    return new Tensor(new Storage(dev, dev.alloc(dtype, numel(shape), true), true), contiguousLayout(shape));
  }

  /** A contiguous tensor whose values are unspecified: for kernels that write every element. */
  static uninit(shape: readonly number[], dtype: DType = 'float32', device: DeviceName | Device = 'cpu'): Tensor {
    const dev = typeof device === 'string' ? getDevice(device) : device;
    return new Tensor(new Storage(dev, dev.alloc(dtype, numel(shape), false), true), contiguousLayout(shape));
  }

  /** A tensor over an existing typed array (no copy), contiguous with the given shape. */
  static fromArray(data: TypedArray, shape: readonly number[], device: DeviceName | Device = 'cpu'): Tensor {
    const dev = typeof device === 'string' ? getDevice(device) : device;
    if (numel(shape) !== data.length) throw new Error(`tensor: shape ${shapeStr(shape)} needs ${numel(shape)} elements, got ${data.length}`);
    return new Tensor(new Storage(dev, data), contiguousLayout(shape));
  }

  /** A new tensor sharing this one's storage through another layout. */
  withLayout(layout: Layout): Tensor {
    return new Tensor(this.storage, layout);
  }

  // ---- properties -------------------------------------------------------------------------------

  get shape(): number[] { return [...this.layout.shape]; }
  get strides(): number[] { return [...this.layout.strides]; }
  get offset(): number { return this.layout.offset; }
  get ndim(): number { return this.layout.shape.length; }
  get size(): number { return numel(this.layout.shape); }
  numel(): number { return this.size; }
  get dtype(): DType { return this.storage.data instanceof Float32Array ? 'float32' : this.storage.data instanceof Float64Array ? 'float64' : 'int32'; }
  get device(): DeviceName { return this.storage.device.name; }
  get isLeaf(): boolean { return this.gradFn === null; }
  get retainsGrad(): boolean { return this.retains; }
  get requiresGrad(): boolean { return this.requires; }
  set requiresGrad(v: boolean) { this.requiresGrad_(v); }
  isContiguous(): boolean { return isContiguous(this.layout); }
  dim(i: number): number { return this.layout.shape[i < 0 ? i + this.ndim : i]; }

  /** The raw view for kernels; throws after dispose(). */
  view_(): View {
    if (this.disposed) throw this.usedAfterDispose('tensor');
    readGuard()?.(this);
    return { data: this.storage.data, layout: this.layout };
  }

  /** The storage array of a contiguous tensor created by an op (kernels write into it). */
  get data_(): TypedArray {
    if (this.disposed) throw this.usedAfterDispose('tensor');
    readGuard()?.(this);
    return this.storage.data;
  }

  get grad(): Tensor | null {
    if (!this.isLeaf && !this.retains) {
      throw new Error('grad: .grad of a non-leaf tensor is not populated by backward(); call .retainGrad() on it before backward(), or read the grad of a leaf');
    }
    return this.gradValue;
  }

  set grad(g: Tensor | null) {
    if (g !== null) {
      if (!sameShape(g.shape, this.shape)) throw new Error(`grad: assigned gradient has shape ${shapeStr(g.shape)}, expected ${shapeStr(this.layout.shape)}`);
      keep(g);
    }
    this.gradValue?.dispose();
    this.gradValue = g;
  }

  /** Adds g into .grad (a private copy the first time, in place after). */
  accumulateGrad_(g: Tensor): void {
    if (this.gradValue === null) {
      this.gradValue = keep(g.dtype === this.dtype ? g.clone() : M.cast(g, this.dtype).contiguous());
    } else {
      this.gradValue.add_(g);
    }
  }

  /** Takes g (made by backward, held nowhere else) as the first .grad, without a copy; false when it cannot. */
  adoptGrad_(g: Tensor): boolean {
    if (this.gradValue !== null || g.offset !== 0 || !g.isContiguous() || !sameShape(g.shape, this.shape)) return false;
    this.gradValue = keep(g);
    return true;
  }

  requiresGrad_(v = true): this {
    if (v && !isFloat(this.dtype)) throw new Error(`requiresGrad_: only floating-point tensors can require gradients, got ${this.dtype}`);
    if (!v && !this.isLeaf) throw new Error('requiresGrad_: cannot turn off requiresGrad on a non-leaf tensor; use .detach()');
    this.requires = v;
    return this;
  }

  retainGrad(): this {
    if (!this.requires) throw new Error('retainGrad: the tensor does not require grad');
    this.retains = true;
    return this;
  }

  backward(grad?: Tensor, options: { retainGraph?: boolean } = {}): void {
    // the implicit gradient of a one-element output is 1 (made here, so autograd.ts needs no creation import)
    const seed = grad === undefined && this.size === 1 ? Tensor.fromArray(allocArray(this.dtype, 1).fill(1), this.shape, this.storage.device) : grad;
    runBackward(this, seed, options.retainGraph ?? false);
  }

  /** Same data, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.layout, false);
  }

  /** Frees this tensor's hold on its storage now (device memory is released when no view remains). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    registry.unregister(this.life);
    if (this.life.counted) this.storage.device.stats.tensors--;
    else this.storage.forgetHanded(this.life);
    this.storage.release();
    this.gradFn = null;
  }

  /** Counted in memory(): not yet disposed, collected or handed to the garbage collector. */
  get isCounted(): boolean {
    return this.life.counted;
  }

  /**
   * Leaves this tensor to the garbage collector (see memory.ts): it stays valid but no longer counts in
   * memory(); true when its storage stops counting too, so its wasm memory should be evicted.
   */
  handOver_(): boolean {
    if (this.disposed || !this.life.counted) return false;
    this.life.counted = false;
    this.storage.device.stats.tensors--;
    const wasManaged = this.storage.managed;
    // a registered finalizer leaves a record behind until the event loop turns: drop the ones not needed
    for (const hold of this.storage.handOver(this.life)) registry.unregister(hold);
    return wasManaged && !this.storage.managed;
  }

  get isDisposed(): boolean { return this.disposed; }

  /** dispose() on the engine's behalf, saying why in the error of any later use. */
  disposeBecause_(reason: string): void {
    if (!this.disposed) this.disposedBy = reason;
    this.dispose();
  }

  private usedAfterDispose(where: string): Error {
    const why = this.disposedBy === '' ? 'used after dispose() (or after the scope() that made it ended)' : `used after ${this.disposedBy}`;
    return new Error(`${where}: the ${shapeStr(this.layout.shape)} tensor${this.name !== undefined ? ` '${this.name}'` : ''} was ${why}`);
  }

  // ---- reads ------------------------------------------------------------------------------------

  private checkReadable(op: string): void {
    if (this.disposed) throw this.usedAfterDispose(op);
    readGuard()?.(this);
    if (!this.storage.device.hostCurrent(this.storage.data)) {
      throw new Error(`${op}: this ${this.device} tensor is still being computed asynchronously or its values are on the device; use \`await t.data()\` (or \`await sync()\`) before reading synchronously`);
    }
  }

  /** A contiguous copy of the values, row-major. */
  toTypedArray(): TypedArray {
    this.checkReadable('toTypedArray');
    const n = this.size;
    if (isContiguous(this.layout)) return this.storage.data.slice(this.layout.offset, this.layout.offset + n);
    const out = allocArray(this.dtype, n);
    this.storage.device.hostKernels.copy(this.view_(), { data: out, layout: { shape: this.layout.shape, strides: contiguousStrides(this.layout.shape), offset: 0 } });
    return out;
  }

  /** Nested JavaScript arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const flat = this.toTypedArray();
    const shape = this.layout.shape;
    if (shape.length === 0) return flat[0];
    let pos = 0;
    const build = (d: number): NestedArray => {
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[d]; i++) out.push(d === shape.length - 1 ? flat[pos++] : build(d + 1));
      return out;
    };
    return build(0);
  }

  item(): number {
    if (this.size !== 1) throw new Error(`item: only a one-element tensor can be converted to a number, got shape ${shapeStr(this.layout.shape)}`);
    this.checkReadable('item');
    return this.storage.data[this.layout.offset];
  }

  /** Waits for queued asynchronous work, then returns the values (works on every device). */
  async data(): Promise<TypedArray> {
    await this.storage.device.syncFor(this.storage.data);
    return this.toTypedArray();
  }

  toString(): string {
    const head = `tensor(shape=${shapeStr(this.layout.shape)}, dtype=${this.dtype}, device=${this.device}${this.requires ? ', requiresGrad' : ''})`;
    if (!this.storage.device.hostCurrent(this.storage.data) || this.size > 64) return head;
    return `${head} ${JSON.stringify(this.toArray())}`;
  }

  // ---- elementwise ------------------------------------------------------------------------------
  add(other: TensorLike, alpha?: number): Tensor { return E.add(this, alpha === undefined ? other : E.mul(E.toTensor(other, this), alpha)); }
  sub(other: TensorLike, alpha?: number): Tensor { return E.sub(this, alpha === undefined ? other : E.mul(E.toTensor(other, this), alpha)); }
  mul(other: TensorLike): Tensor { return E.mul(this, other); }
  div(other: TensorLike): Tensor { return E.div(this, other); }
  pow(other: TensorLike): Tensor { return E.pow(this, other); }
  maximum(other: TensorLike): Tensor { return E.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return E.minimum(this, other); }
  eq(other: TensorLike): Tensor { return E.compare('eq', this, other); }
  ne(other: TensorLike): Tensor { return E.compare('ne', this, other); }
  lt(other: TensorLike): Tensor { return E.compare('lt', this, other); }
  le(other: TensorLike): Tensor { return E.compare('le', this, other); }
  gt(other: TensorLike): Tensor { return E.compare('gt', this, other); }
  ge(other: TensorLike): Tensor { return E.compare('ge', this, other); }
  neg(): Tensor { return E.unary('neg', this); }
  abs(): Tensor { return E.unary('abs', this); }
  sign(): Tensor { return E.unary('sign', this); }
  exp(): Tensor { return E.unary('exp', this); }
  log(): Tensor { return E.unary('log', this); }
  sqrt(): Tensor { return E.unary('sqrt', this); }
  rsqrt(): Tensor { return E.unary('rsqrt', this); }
  reciprocal(): Tensor { return E.unary('reciprocal', this); }
  square(): Tensor { return E.unary('square', this); }
  sin(): Tensor { return E.unary('sin', this); }
  cos(): Tensor { return E.unary('cos', this); }
  tanh(): Tensor { return E.unary('tanh', this); }
  sigmoid(): Tensor { return E.unary('sigmoid', this); }
  relu(): Tensor { return E.unary('relu', this); }
  erf(): Tensor { return E.unary('erf', this); }
  /** GELU; approximate 'tanh' for the tanh form, 'none' (default) for the exact erf form. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    if (approximate !== 'none' && approximate !== 'tanh') throw new Error(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
    return E.unary(approximate === 'tanh' ? 'geluTanh' : 'gelu', this);
  }
  clamp(min?: number | null, max?: number | null): Tensor { return E.clamp(this, min ?? null, max ?? null); }

  // ---- reductions -------------------------------------------------------------------------------
  sum(axes?: number | readonly number[], keepdim = false): Tensor { return R.sum(this, axes, keepdim); }
  mean(axes?: number | readonly number[], keepdim = false): Tensor { return R.mean(this, axes, keepdim); }
  max(axes?: number | readonly number[], keepdim = false): Tensor { return R.extremum('max', this, axes, keepdim); }
  min(axes?: number | readonly number[], keepdim = false): Tensor { return R.extremum('min', this, axes, keepdim); }
  argmax(axis?: number, keepdim = false): Tensor { return R.argReduce('argmax', this, axis, keepdim); }
  argmin(axis?: number, keepdim = false): Tensor { return R.argReduce('argmin', this, axis, keepdim); }
  var(axes?: number | readonly number[], options: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor { return R.variance(this, axes, options.unbiased ?? true, options.keepdim ?? false); }
  std(axes?: number | readonly number[], options: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor { return this.var(axes, options).sqrt(); }
  logsumexp(axes?: number | readonly number[], keepdim = false): Tensor { return R.logsumexp(this, axes, keepdim); }

  // ---- views and movement -----------------------------------------------------------------------
  reshape(...shape: ShapeArgs): Tensor { return M.reshape(this, flatShape(shape)); }
  view(...shape: ShapeArgs): Tensor { return M.view(this, flatShape(shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return M.flatten(this, startDim, endDim); }
  permute(...dims: ShapeArgs): Tensor { return M.permute(this, flatShape(dims)); }
  transpose(dim0 = -2, dim1 = -1): Tensor { return M.transpose(this, dim0, dim1); }
  /** Transpose of the last two dimensions. */
  get mT(): Tensor { return M.transpose(this, -2, -1); }
  expand(...shape: ShapeArgs): Tensor { return M.expand(this, flatShape(shape)); }
  expandAs(other: Tensor): Tensor { return M.expand(this, other.shape); }
  squeeze(axis?: number): Tensor { return M.squeeze(this, axis); }
  unsqueeze(axis: number): Tensor { return M.unsqueeze(this, axis); }
  /** Elements [start, end) along axis with a step (a view). Negative indices count from the end. */
  slice(axis: number, start?: number, end?: number, step = 1): Tensor { return M.slice(this, axis, start, end, step); }
  narrow(axis: number, start: number, length: number): Tensor { return M.narrow(this, axis, start, length); }
  select(axis: number, index: number): Tensor { return M.select(this, axis, index); }
  split(sizeOrSections: number | readonly number[], axis = 0): Tensor[] { return M.split(this, sizeOrSections, axis); }
  chunk(chunks: number, axis = 0): Tensor[] { return M.chunk(this, chunks, axis); }
  contiguous(): Tensor { return M.contiguous(this); }
  clone(): Tensor { return M.clone(this); }
  indexSelect(axis: number, index: Tensor | readonly number[]): Tensor { return M.indexSelect(this, axis, index); }
  gather(axis: number, index: Tensor): Tensor { return M.gather(this, axis, index); }
  to(target: DeviceName | DType): Tensor {
    if (target === 'cpu' || target === 'gpujs') return M.toDevice(this, target);
    return M.cast(this, assertCastTarget('to', target));
  }
  float(): Tensor { return M.cast(this, 'float32'); }
  double(): Tensor { return M.cast(this, 'float64'); }
  int(): Tensor { return M.cast(this, 'int32'); }

  // ---- linear algebra and row ops ----------------------------------------------------------------
  matmul(other: Tensor): Tensor { return matmul(this, other); }
  softmax(axis = -1): Tensor { return softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return logSoftmax(this, axis); }

  // ---- in place --------------------------------------------------------------------------------------
  // Every write bumps the storage's version, so a backward that needs the old values throws instead of
  // using the new ones. While grad is recorded, an in-place op on a tensor in the graph is recorded as
  // its out-of-place form applied to a copy of the old values, and the tensor takes over that history.

  /** Call after writing into data_ directly (optimisers' fused loops): autograd then sees the change. */
  markWritten_(op: string): void {
    this.storage.version++;
    this.storage.lastWrite = op;
  }

  private inPlace(op: string, other: TensorLike | null, compute: (self: Tensor, other: Tensor | null) => Tensor): this {
    if (this.disposed) throw this.usedAfterDispose(op);
    const recorded = isGradEnabled() && (this.requires || (other instanceof Tensor && other.requiresGrad));
    if (!recorded) {
      // the temporaries of an unrecorded update are nobody's: free them at once (optimiser loops make many)
      const created = beginTracking();
      try {
        const src = other === null ? null : E.toTensor(other, this);
        M.assignInto(this, noGrad(() => compute(this.detach(), src)));
      } finally {
        endTracking(created);
        disposeUnkept(created);
      }
    } else {
      this.checkRecordableInPlace(op);
      const src = other === null ? null : E.toTensor(other, this);
      // the old values, with the old history: the recorded op reads them, and the old node's output is them
      const previous = noGrad(() => M.clone(this));
      previous.gradFn = this.gradFn;
      previous.requires = this.requires;
      const result = compute(previous, src === null || src.storage !== this.storage ? src : previous);
      noGrad(() => M.assignInto(this, result));
      this.markWritten_(op);
      rebaseInPlace(this, previous, result);
      this.requires = result.requiresGrad;
      if (result !== src && result !== previous) result.dispose();
      return this;
    }
    this.markWritten_(op);
    return this;
  }

  /** In-place ops that autograd cannot record: on a leaf that requires grad, or on a view of a tensor in the graph. */
  private checkRecordableInPlace(op: string): void {
    if (this.requires && this.isLeaf) {
      throw new Error(`${op}: a leaf tensor that requires grad (${shapeStr(this.layout.shape)}) cannot be modified in place while grad is recorded; wrap the update in noGrad(() => ...)`);
    }
    let base: Tensor = this;
    while (base.gradFn !== null) {
      const viewed = base.gradFn.inputs.find((x) => x.storage === base.storage);
      if (viewed === undefined) break;
      base = viewed;
    }
    if (base !== this) {
      const what = base.isLeaf ? 'a leaf tensor that requires grad' : `a tensor made by ${base.gradFn!.op.name}`;
      throw new Error(`${op}: this ${shapeStr(this.layout.shape)} tensor is a view of ${what} (${shapeStr(base.shape)}), and an in-place op on a view would change it behind autograd's back; ${base.isLeaf ? 'wrap the update in noGrad(() => ...)' : 'use the out-of-place op, or clone() the view first'}`);
    }
  }

  /** this ← src (broadcast to this shape, cast to this dtype). */
  copy_(src: TensorLike): this {
    // the old values get no gradient: src replaces them; when recorded, the result is a tensor of its own (not src)
    return this.inPlace('copy_', src, (_old, s) => {
      const value = M.cast(M.expand(s!, this.shape), this.dtype);
      return value === s && isGradEnabled() ? M.clone(value) : value;
    });
  }
  add_(other: TensorLike, alpha = 1): this { return this.inPlace('add_', other, (a, b) => E.add(a, alpha === 1 ? b! : E.mul(b!, alpha))); }
  sub_(other: TensorLike, alpha = 1): this { return this.inPlace('sub_', other, (a, b) => E.sub(a, alpha === 1 ? b! : E.mul(b!, alpha))); }
  mul_(other: TensorLike): this { return this.inPlace('mul_', other, (a, b) => E.mul(a, b!)); }
  div_(other: TensorLike): this { return this.inPlace('div_', other, (a, b) => E.div(a, b!)); }
  fill_(value: number): this { return this.copy_(value); }
  zero_(): this { return this.fill_(0); }

  /** What console.log and util.inspect print: values, dtype and autograd state, as PyTorch's repr. */
  [Symbol.for('nodejs.util.inspect.custom')](): string { return formatTensor(this); }
}

export type NestedArray = number | NestedArray[];
type ShapeArgs = (number | readonly number[])[];

function flatShape(args: ShapeArgs): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

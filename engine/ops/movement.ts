// Views (reshape, permute, expand, slice, squeeze) share storage; copies (contiguous, cast, cat,
// gather) make new storage. Each op's backward is the adjoint movement of the gradient.
import { apply } from '../autograd.js';
import { isFloat, type DType } from '../dtype.js';
import { getDevice, Storage, type DeviceName } from '../device.js';
import {
  contiguousLayout, expandLayout, inferShape, isContiguous, normAxis, permuteLayout, reshapeLayout, sameShape, shapeStr, sliceLayout, type Layout,
} from '../layout.js';
import { Tensor } from '../tensor.js';
import type { Rule } from './table.js';
import { sumToShape } from './reduce.js';

// ---- views ------------------------------------------------------------------------------------------

export const viewOp: Rule<'view'> = {
  name: 'view',
  kernels: [],
  forward: ([x], { layout }) => x.withLayout(layout),
  backward: (grad, { inputs: [x] }) => [grad.reshape(x.shape)], // a reshape's adjoint is the inverse reshape
};

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('reshape', x.size, shape, x.shape);
  const layout = reshapeLayout(x.layout, target);
  if (layout) return apply(viewOp, [x], { layout });
  return apply(viewOp, [contiguous(x)], { layout: contiguousLayout(target) });
}

export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('view', x.size, shape, x.shape);
  const layout = reshapeLayout(x.layout, target);
  if (!layout) {
    throw new Error(`view: shape ${shapeStr(target)} is not compatible with the strides [${x.strides.join(', ')}] of a ${shapeStr(x.shape)} tensor; use .reshape(...) (which copies) instead`);
  }
  return apply(viewOp, [x], { layout });
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startDim, x.ndim);
  const e = normAxis('flatten', endDim, x.ndim);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = x.shape;
  return reshape(x, [...shape.slice(0, s), shape.slice(s, e + 1).reduce((a, b) => a * b, 1), ...shape.slice(e + 1)]);
}

export const permuteOp: Rule<'permute'> = {
  name: 'permute',
  kernels: [],
  forward: ([x], { dims }) => x.withLayout(permuteLayout('permute', x.layout, dims)),
  backward: (grad, { attrs: { dims } }) => {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => { inverse[d] = i; });
    return [permute(grad, inverse)];
  },
};

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const norm = permuteLayout('permute', x.layout, dims) && dims.map((d) => normAxis('permute', d, x.ndim));
  return apply(permuteOp, [x], { dims: norm });
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim < 2 && dim0 === -2 && dim1 === -1) return x;
  const a = normAxis('transpose', dim0, x.ndim);
  const b = normAxis('transpose', dim1, x.ndim);
  const dims = [...Array(x.ndim).keys()];
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

export const expandOp: Rule<'expand'> = {
  name: 'expand',
  kernels: [],
  forward: ([x], { shape }) => x.withLayout(expandLayout('expand', x.layout, shape)),
  backward: (grad, { inputs: [x] }) => [sumToShape(grad, x.shape)], // broadcasting's adjoint is a sum
};

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.layout.shape[i - lead] : d));
  if (target.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`expand: sizes must be non-negative integers (-1 only keeps an existing dimension), got ${shapeStr(shape)} for a tensor of shape ${shapeStr(x.shape)}`);
  }
  expandLayout('expand', x.layout, target);
  if (sameShape(target, x.shape)) return x;
  return apply(expandOp, [x], { shape: target });
}

export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normAxis('squeeze', axis, x.ndim);
  if (x.ndim === 0 || x.layout.shape[a] !== 1) return x;
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.ndim + 1);
  const shape = x.shape;
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

export const sliceOp: Rule<'slice'> = {
  name: 'slice',
  kernels: ['copy'],
  forward: ([x], { axis, start, length, step }) => x.withLayout(sliceLayout(x.layout, axis, start, length, step)),
  // the adjoint of taking a slice: place the gradient into zeros of the input's shape
  backward: (grad, { inputs: [x], attrs: { axis, start, length, step } }) => {
    const z = Tensor.empty(x.shape, grad.dtype, grad.storage.device);
    copyInto(grad, z.view_().data, sliceLayout(z.layout, axis, start, length, step), grad.storage.device.name);
    return [z];
  },
};

/** Elements [start, end) with a step along axis; negative bounds count from the end, as Python. */
export function slice(x: Tensor, axis: number, start = 0, end?: number, step = 1): Tensor {
  const a = normAxis('slice', axis, x.ndim);
  const size = x.layout.shape[a];
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const clampIdx = (i: number): number => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const s = clampIdx(start);
  const e = clampIdx(end ?? size);
  const length = Math.max(0, Math.ceil((e - s) / step));
  return apply(sliceOp, [x], { axis: a, start: s, length, step });
}

export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normAxis('narrow', axis, x.ndim);
  const size = x.layout.shape[a];
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(start) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new Error(`narrow: start ${start} and length ${length} do not fit dimension ${a} of size ${size} (shape ${shapeStr(x.shape)})`);
  }
  return apply(sliceOp, [x], { axis: a, start: s, length, step: 1 });
}

export function select(x: Tensor, axis: number, index: number): Tensor {
  const a = normAxis('select', axis, x.ndim);
  const size = x.layout.shape[a];
  if (!Number.isInteger(index) || index < -size || index >= size) throw new Error(`select: index ${index} is out of range for dimension ${a} of size ${size}`);
  return squeeze(narrow(x, a, index < 0 ? index + size : index, 1), a);
}

export function split(x: Tensor, sizeOrSections: number | readonly number[], axis = 0): Tensor[] {
  const a = normAxis('split', axis, x.ndim);
  const size = x.layout.shape[a];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0) throw new Error(`split: size must be a positive integer, got ${sizeOrSections}`);
    sizes = [];
    for (let s = 0; s < size; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, size - s));
  } else {
    sizes = [...sizeOrSections];
    if (sizes.reduce((p, q) => p + q, 0) !== size || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new Error(`split: sections [${sizes.join(', ')}] must be non-negative integers that sum to ${size} (dimension ${a} of ${shapeStr(x.shape)})`);
    }
  }
  let start = 0;
  return sizes.map((s) => { const t = narrow(x, a, start, s); start += s; return t; });
}

export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  const a = normAxis('chunk', axis, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.layout.shape[a] / chunks)), a);
}

// ---- copies -----------------------------------------------------------------------------------------

/** Queues (or runs) a strided copy of src into dst's storage viewed through `layout`. */
function copyInto(src: Tensor, dst: ReturnType<Tensor['view_']>['data'], layout: Layout, device: DeviceName): void {
  const sv = src.view_();
  getDevice(device).run((k) => k.copy(sv, { data: dst, layout }));
}

export const copyOp: Rule<'copy'> = {
  name: 'copy',
  kernels: ['copy'],
  forward: ([x], { dtype }) => {
    const out = Tensor.uninit(x.shape, dtype, x.storage.device);
    copyInto(x, out.data_, out.layout, x.device);
    return out;
  },
  backward: (grad, { inputs: [x] }) => [isFloat(x.dtype) ? (grad.dtype === x.dtype ? grad : cast(grad, x.dtype)) : null], // d copy = 1
};

export function contiguous(x: Tensor): Tensor {
  if (isContiguous(x.layout)) return x;
  return apply(copyOp, [x], { dtype: x.dtype });
}

export function clone(x: Tensor): Tensor {
  return apply(copyOp, [x], { dtype: x.dtype });
}

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return apply(copyOp, [x], { dtype });
}

export const toDeviceOp: Rule<'to'> = {
  name: 'to',
  kernels: [],
  forward: ([x], { device }) => {
    const src = x.toTypedArray(); // throws if x is still being computed asynchronously
    return new Tensor(new Storage(getDevice(device), src), contiguousLayout(x.shape));
  },
  backward: (grad, { inputs: [x] }) => [toDevice(grad, x.device)],
};

export function toDevice(x: Tensor, device: DeviceName): Tensor {
  if (x.device === device) return x;
  return apply(toDeviceOp, [x], { device });
}

/** dst ← src in place (src broadcast to dst's shape and cast); no autograd. */
export function assignInto(dst: Tensor, src: Tensor): void {
  if (src.device !== dst.device) throw new Error(`copy_: source is on ${src.device}, destination on ${dst.device}`);
  const layout = expandLayout('copy_', src.layout, dst.shape);
  const sv = { data: src.view_().data, layout };
  const dv = dst.view_();
  dst.storage.device.run((k) => k.copy(sv, dv));
}

export const catOp: Rule<'cat'> = {
  name: 'cat',
  kernels: ['copy'],
  forward: (xs, { axis }) => {
    const shape = xs[0].shape;
    shape[axis] = xs.reduce((n, t) => n + t.layout.shape[axis], 0);
    const out = Tensor.uninit(shape, xs[0].dtype, xs[0].storage.device);
    let start = 0;
    for (const t of xs) {
      copyInto(t, out.data_, sliceLayout(out.layout, axis, start, t.layout.shape[axis]), t.device);
      start += t.layout.shape[axis];
    }
    return out;
  },
  backward: (grad, { inputs, attrs: { axis } }) => split(grad, inputs.map((t) => t.layout.shape[axis]), axis), // d cat = slices
};

export function cat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('cat: expected a non-empty list of tensors');
  const first = tensors[0];
  if (first.ndim === 0) throw new Error('cat: zero-dimensional tensors cannot be concatenated; use stack, or unsqueeze them first');
  const a = normAxis('cat', axis, first.ndim);
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((d, k) => k !== a && d !== first.layout.shape[k])) {
      throw new Error(`cat: tensor ${i} has shape ${shapeStr(t.shape)}, which does not match ${shapeStr(first.shape)} outside dimension ${a}`);
    }
    if (t.dtype !== first.dtype) throw new Error(`cat: tensor ${i} is ${t.dtype}, tensor 0 is ${first.dtype}; cast them to one dtype first`);
    if (t.device !== first.device) throw new Error(`cat: tensor ${i} is on ${t.device}, tensor 0 on ${first.device}`);
  });
  return apply(catOp, tensors, { axis: a });
}

export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: expected a non-empty list of tensors');
  const a = normAxis('stack', axis, tensors[0].ndim + 1);
  tensors.forEach((t, i) => {
    if (!sameShape(t.shape, tensors[0].shape)) throw new Error(`stack: tensor ${i} has shape ${shapeStr(t.shape)}, tensor 0 has ${shapeStr(tensors[0].shape)}`);
  });
  return cat(tensors.map((t) => unsqueeze(t, a)), a);
}

export const gatherOp: Rule<'gather'> = {
  name: 'gather',
  kernels: ['gather', 'scatterAdd'],
  forward: ([x, index], { axis }) => {
    const out = Tensor.uninit(index.shape, x.dtype, x.storage.device);
    const xv = x.view_(), iv = index.view_(), o = out.data_;
    x.storage.device.run((k) => k.gather(xv, axis, iv, o));
    return out;
  },
  // the adjoint of gather is a scatter-add into zeros
  backward: (grad, { inputs: [x, index], attrs: { axis } }) => {
    const z = Tensor.empty(x.shape, grad.dtype, grad.storage.device);
    const gv = grad.view_(), iv = index.view_(), o = z.data_;
    grad.storage.device.run((k) => k.scatterAdd(gv, axis, iv, o, x.shape));
    return [z, null];
  },
};

function checkIndex(op: string, index: Tensor): void {
  if (index.dtype !== 'int32') throw new Error(`${op}: index must be an int32 tensor, got ${index.dtype}`);
}

/**
 * Every index in [0, size), as PyTorch (no wrapping of negatives). O(index.size), cheap beside the gather.
 * An index still being computed on an asynchronous device is checked by the kernel when it runs.
 */
function checkIndexRange(op: string, index: Tensor, axis: number, x: Tensor): void {
  if (!index.storage.device.hostCurrent(index.storage.data)) return;
  const size = x.layout.shape[axis];
  const values = index.isContiguous() ? index.storage.data : index.toTypedArray();
  const start = index.isContiguous() ? index.offset : 0;
  for (let i = start; i < start + index.size; i++) {
    const k = values[i];
    if (k < 0 || k >= size) {
      throw new Error(`${op}: index ${k} is out of range for dimension ${axis} of size ${size} (input ${shapeStr(x.shape)}); expected 0 <= index < ${size} (negative indices do not wrap)`);
    }
  }
}

export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normAxis('gather', axis, x.ndim);
  checkIndex('gather', index);
  if (index.ndim !== x.ndim || index.shape.some((d, i) => i !== a && d > x.layout.shape[i])) {
    throw new Error(`gather: index of shape ${shapeStr(index.shape)} does not fit input ${shapeStr(x.shape)} along axis ${a} (same rank, and no larger outside the axis)`);
  }
  checkIndexRange('gather', index, a, x);
  return apply(gatherOp, [x, index], { axis: a });
}

export function indexSelect(x: Tensor, axis: number, index: Tensor | readonly number[]): Tensor {
  const a = normAxis('indexSelect', axis, x.ndim);
  if (!(index instanceof Tensor)) {
    const size = x.layout.shape[a];
    const bad = index.find((i) => !Number.isInteger(i) || i < 0 || i >= size);
    if (bad !== undefined) throw new Error(`indexSelect: index ${bad} is out of range for dimension ${a} of size ${size} (shape ${shapeStr(x.shape)}); expected 0 <= index < ${size} (negative indices do not wrap)`);
  }
  const idx = index instanceof Tensor ? index : Tensor.fromArray(Int32Array.from(index), [index.length], x.storage.device);
  checkIndex('indexSelect', idx);
  if (idx.ndim !== 1) throw new Error(`indexSelect: index must be 1-D, got shape ${shapeStr(idx.shape)}`);
  if (index instanceof Tensor) checkIndexRange('indexSelect', idx, a, x);
  const outShape = x.shape;
  outShape[a] = idx.layout.shape[0];
  const lifted = reshape(idx, outShape.map((d, i) => (i === a ? d : 1)));
  // checked above on the 1-D index: gather's own check would read the expanded copy
  return apply(gatherOp, [x, expand(lifted, outShape)], { axis: a });
}


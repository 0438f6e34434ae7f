// Shape, strides and offset: the whole view story. Every view op is a pure function on a Layout.
export interface Layout {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function contiguousLayout(shape: readonly number[], offset = 0): Layout {
  return { shape: [...shape], strides: contiguousStrides(shape), offset };
}

/** Row-major contiguous from `offset` (size-1 dimensions may carry any stride). */
export function isContiguous(layout: Layout): boolean {
  let expected = 1;
  for (let i = layout.shape.length - 1; i >= 0; i--) {
    if (layout.shape[i] === 1) continue;
    if (layout.strides[i] !== expected) return false;
    expected *= layout.shape[i];
  }
  return true;
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function checkShape(op: string, shape: readonly unknown[]): number[] {
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: sizes must be non-negative integers, got [${shape.map(String).join(', ')}]`);
    }
  }
  return shape as number[];
}

/** Normalises a possibly negative axis; throws when out of range. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -Math.max(rank, 1) || axis >= Math.max(rank, 1)) {
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank} (expected ${-Math.max(rank, 1)}..${Math.max(rank, 1) - 1})`);
  }
  return axis < 0 ? axis + Math.max(rank, 1) : axis;
}

export function normAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normAxis(op, a, rank));
  const repeated = out.findIndex((a, i) => out.indexOf(a) !== i);
  if (repeated >= 0) {
    throw new Error(`${op}: axis ${list[repeated]} appears more than once in [${list.join(', ')}] (as axis ${out[repeated]} of a rank-${rank} tensor); list each axis once`);
  }
  if (rank === 0) return [];
  return out.sort((a, b) => a - b);
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast (dimension ${i} of the result: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** A view of `layout` broadcast to `shape` (stride 0 on repeated dimensions). */
export function expandLayout(op: string, layout: Layout, shape: readonly number[]): Layout {
  const rank = shape.length;
  if (rank < layout.shape.length) {
    throw new Error(`${op}: cannot expand ${shapeStr(layout.shape)} to fewer dimensions ${shapeStr(shape)}`);
  }
  const strides = new Array<number>(rank);
  const lead = rank - layout.shape.length;
  for (let i = 0; i < rank; i++) {
    if (i < lead) { strides[i] = 0; continue; }
    const d = layout.shape[i - lead];
    if (d === shape[i]) strides[i] = layout.strides[i - lead];
    else if (d === 1) strides[i] = 0;
    else throw new Error(`${op}: cannot expand ${shapeStr(layout.shape)} to ${shapeStr(shape)} (dimension ${i}: ${d} is neither ${shape[i]} nor 1)`);
  }
  return { shape: [...shape], strides, offset: layout.offset };
}

export function permuteLayout(op: string, layout: Layout, dims: readonly number[]): Layout {
  const rank = layout.shape.length;
  if (dims.length !== rank) {
    throw new Error(`${op}: expected ${rank} dimensions for a tensor of shape ${shapeStr(layout.shape)}, got [${dims.join(', ')}]`);
  }
  const norm = dims.map((d) => normAxis(op, d, rank));
  if (new Set(norm).size !== rank) throw new Error(`${op}: dimensions [${dims.join(', ')}] repeat an axis`);
  return { shape: norm.map((d) => layout.shape[d]), strides: norm.map((d) => layout.strides[d]), offset: layout.offset };
}

/** Elements start..start+length-1 along `axis`, step `step`. */
export function sliceLayout(layout: Layout, axis: number, start: number, length: number, step = 1): Layout {
  const shape = [...layout.shape];
  const strides = [...layout.strides];
  shape[axis] = length;
  strides[axis] = layout.strides[axis] * step;
  return { shape, strides, offset: layout.offset + start * layout.strides[axis] };
}

/** Reshape without copying when the strides allow it; null when a copy is needed. */
export function reshapeLayout(layout: Layout, shape: readonly number[]): Layout | null {
  if (isContiguous(layout)) return contiguousLayout(shape, layout.offset);
  // Merge old dims into groups that are internally contiguous, then split each group for the new shape.
  const oldShape = layout.shape.filter((d) => d !== 1);
  const oldStrides = layout.strides.filter((_, i) => layout.shape[i] !== 1);
  const newStrides = new Array<number>(shape.length).fill(0);
  let oi = 0;
  let ni = 0;
  while (ni < shape.length || oi < oldShape.length) {
    if (ni < shape.length && shape[ni] === 1) { newStrides[ni] = 1; ni++; continue; }
    if (oi >= oldShape.length || ni >= shape.length) return null;
    // collect an old group [oi, oj) and a new group [ni, nj) of equal element count
    let oldCount = oldShape[oi];
    let newCount = shape[ni];
    let oj = oi + 1;
    let nj = ni + 1;
    while (oldCount !== newCount) {
      if (oldCount < newCount) { if (oj >= oldShape.length) return null; oldCount *= oldShape[oj++]; }
      else { if (nj >= shape.length) return null; newCount *= shape[nj++]; }
    }
    for (let k = oi; k < oj - 1; k++) if (oldStrides[k] !== oldStrides[k + 1] * oldShape[k + 1]) return null;
    let stride = oldStrides[oj - 1];
    for (let k = nj - 1; k >= ni; k--) { newStrides[k] = stride; stride *= shape[k]; }
    oi = oj;
    ni = nj;
  }
  return { shape: [...shape], strides: newStrides, offset: layout.offset };
}

/** Resolves one -1 in a requested shape against `size` elements. */
export function inferShape(op: string, size: number, shape: readonly number[], from: readonly number[]): number[] {
  let unknown = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (unknown >= 0) throw new Error(`${op}: only one dimension can be -1, got ${shapeStr(shape)}`);
      unknown = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: sizes must be non-negative integers or -1, got ${shapeStr(shape)}`);
    } else known *= d;
  });
  const out = [...shape];
  if (unknown >= 0) {
    if (known === 0 || size % known !== 0) throw new Error(`${op}: cannot reshape ${shapeStr(from)} (${size} elements) to ${shapeStr(shape)}`);
    out[unknown] = size / known;
  } else if (known !== size) {
    throw new Error(`${op}: cannot reshape ${shapeStr(from)} (${size} elements) to ${shapeStr(shape)} (${known} elements)`);
  }
  return out;
}

/** Whether two shapes are equal, dimension by dimension (no string building: it runs once per node in backward). */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

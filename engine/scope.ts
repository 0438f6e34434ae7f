// Explicit memory scopes: every tensor created inside `scope(fn)` is disposed when fn returns, except
// the ones it returns and the ones passed to `keep`. Tensors made outside any scope are watched by the
// step generations of memory.ts instead.
import type { Tensor } from './tensor.js';
import { noteUnscoped } from './memory.js';

const stack: Set<Tensor>[] = [];

let nextId = 1;

/** A new tensor's id. Ids only grow, so a tensor's graph ancestors all have smaller ids (graphScope uses this). */
export function takeTensorId(): number {
  return nextId++;
}

/** The id the next tensor will get. */
export function nextTensorId(): number {
  return nextId;
}

export function trackTensor(t: Tensor): void {
  if (stack.length > 0) stack[stack.length - 1].add(t);
  else noteUnscoped(t);
}

/** Excludes t from disposal by every enclosing scope, and from the hand-over to the garbage collector. */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

/** Disposes the tensors of a finished tracking set, except the kept ones. */
export function disposeUnkept(created: Iterable<Tensor>): void {
  for (const t of created) if (!t.kept) t.dispose();
}

/** Starts recording the tensors created from now on (the engine's own bookkeeping, e.g. inside backward). */
export function beginTracking(): Set<Tensor> {
  const created = new Set<Tensor>();
  stack.push(created);
  return created;
}

/** Stops the recording begun by beginTracking (which must be the innermost one still open). */
export function endTracking(created: Set<Tensor>): void {
  if (stack.pop() !== created) throw new Error('scope: tracking ended out of order (an engine bug)');
}

export function collectTensors(value: unknown, out: Set<Tensor>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (isTensor(value)) { out.add(value); return; }
  const items = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : Object.values(value);
  for (const v of items) collectTensors(v, out, depth + 1);
}

function isTensor(v: object): v is Tensor {
  return (v as { __isTensor?: boolean }).__isTensor === true;
}

/** Runs fn; disposes the tensors it created that it neither returns nor keeps. */
export function scope<T>(fn: () => T): T {
  const mine = new Set<Tensor>();
  stack.push(mine);
  let result: T;
  try {
    result = fn();
  } finally {
    stack.pop();
  }
  if (result instanceof Promise) {
    throw new Error('scope: fn returned a Promise; scopes are synchronous: await outside the scope, and keep() what must outlive it');
  }
  const returned = new Set<Tensor>();
  collectTensors(result, returned);
  for (const t of mine) {
    if (returned.has(t)) trackTensor(t);
    else if (!t.kept) t.dispose();
  }
  return result;
}


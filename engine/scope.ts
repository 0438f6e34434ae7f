// Explicit memory scopes: every tensor created inside `scope(fn)` is disposed when fn returns, except
// the ones it returns and the ones passed to `keep`. On cpu the garbage collector also reclaims
// storage; scopes make the counts exact and free device buffers at once.
import type { Tensor } from './tensor.js';

const stack: Set<Tensor>[] = [];

export function trackTensor(t: Tensor): void {
  if (stack.length > 0) stack[stack.length - 1].add(t);
}

/** Excludes t from disposal by every enclosing scope. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of stack) s.delete(t);
  return t;
}

function collectTensors(value: unknown, out: Set<Tensor>, depth = 0): void {
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
    else t.dispose();
  }
  return result;
}

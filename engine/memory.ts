// Memory accounting per device; the step generations that keep a plain training loop flat; the leak
// warning; waiting for asynchronous work.
//
// JavaScript cannot tell synchronously that a tensor became unreachable (a FinalizationRegistry callback
// runs only when the event loop turns, never inside a synchronous loop), so the engine owns what it can
// prove is its own and hands everything else to the garbage collector at each step boundary:
//  - apply() frees an op's scratch tensors at once; backward() frees its own temporaries and, unless
//    retainGraph, the graph's saved values (autograd.ts);
//  - a step boundary is the end of a backward() (or every GENERATION_LIMIT tensors made outside any
//    scope): each tensor made outside a scope since the last boundary is *handed over*, unless it is a
//    parameter (a leaf that requires grad), was passed to keep(), or is still in a graph not yet
//    backpropagated. A handed-over tensor stays valid for whoever holds it, but no longer counts in
//    memory(), and if its storage is in wasm memory and still alive one boundary later, the values are
//    copied to an ordinary array and the wasm block is freed (evicted).
import { listDevices, type DeviceName, type MemoryStats, type Storage } from './device.js';
import type { Tensor } from './tensor.js';

/** Live tensors, storages and bytes per device. */
export function memory(): Partial<Record<DeviceName, MemoryStats>> {
  const out: Partial<Record<DeviceName, MemoryStats>> = {};
  for (const d of listDevices()) out[d.name] = { ...d.stats };
  return out;
}

/** Waits until every device has finished its queued work (the one await of an async training step). */
export async function sync(): Promise<void> {
  for (const d of listDevices()) await d.sync();
}

/** A boundary also falls after this many tensors made outside a scope (a loop that never calls backward). */
const GENERATION_LIMIT = 10_000;

/** Tensors made outside any scope since the last boundary. */
let generation: Tensor[] = [];
/** Tensors that were in a live graph at the last boundary (weak: a graph dropped unbackpropagated can still be collected). */
let carried: WeakRef<Tensor>[] = [];
/** Storages handed over at the last boundary (evicted at the next one if still alive), and at the one before. */
let handedThisStep: Storage[] = [];
let handedLastStep: Storage[] = [];

export function noteUnscoped(t: Tensor): void {
  generation.push(t);
  if (generation.length >= GENERATION_LIMIT) endStep();
}

/** A step boundary (called at the end of every backward()): hands over the last step's tensors, evicts, watches for leaks. */
export function endStep(): void {
  const nextCarried: WeakRef<Tensor>[] = [];
  const consider = (t: Tensor): void => {
    if (t.isDisposed || !t.isCounted || t.kept || (t.isLeaf && t.requiresGrad)) return;
    if (t.graphUses > 0) { nextCarried.push(new WeakRef(t)); return; }
    if (t.handOver_()) handedThisStep.push(t.storage);
  };
  const made = generation;
  generation = [];
  for (const t of made) consider(t);
  for (const ref of carried) { const t = ref.deref(); if (t !== undefined) consider(t); }
  carried = nextCarried;
  for (const s of handedLastStep) s.evict();
  handedLastStep = handedThisStep;
  handedThisStep = [];
  watchForLeaks();
}

// ---- the leak warning -------------------------------------------------------------------------------

/** Every CHECK_EVERY boundaries the live tensor count is compared with the last check. */
const CHECK_EVERY = 100;
/** Growth at this many checks in a row, by at least MIN_GROWTH tensors in all, is worth a warning. */
const GROWING_CHECKS = 5;
const MIN_GROWTH = 100;
const leakWatch = { steps: 0, last: -1, growing: 0, since: 0, warned: false };

function liveTensors(): number {
  let n = 0;
  for (const d of listDevices()) n += d.stats.tensors;
  return n;
}

function watchForLeaks(): void {
  if (leakWatch.warned || ++leakWatch.steps % CHECK_EVERY !== 0) return;
  const live = liveTensors();
  if (leakWatch.last >= 0 && live > leakWatch.last) {
    if (leakWatch.growing++ === 0) leakWatch.since = leakWatch.last;
  } else {
    leakWatch.growing = 0;
  }
  leakWatch.last = live;
  if (leakWatch.growing >= GROWING_CHECKS && live - leakWatch.since >= MIN_GROWTH) {
    leakWatch.warned = true;
    console.warn(
      `tleg-ts: live tensors grew over the last ${GROWING_CHECKS * CHECK_EVERY} steps (${leakWatch.since} → ${live}): something keeps ` +
      'tensors from every step alive. Usual causes: a graph that is never backpropagated, e.g. adding up the loss as a tensor ' +
      '(total = total.add(loss); use total += loss.item()) or running a model with grad on outside training (wrap it in ' +
      'noGrad(() => ...)); tensors passed to keep() and never disposed; a scope() that never ends. dispose() what you keep, ' +
      'or wrap each step in scope(() => ...) to free everything it makes. (This warning is shown once.)',
    );
  }
}

/** Restarts the leak watch (for tests, or a program that changes phase). */
export function resetLeakWatch(): void {
  Object.assign(leakWatch, { steps: 0, last: -1, growing: 0, since: 0, warned: false });
}

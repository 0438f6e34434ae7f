// Recording ops into the graph (apply) and the backward driver: an iterative topological sort and a
// reversed walk, so a chain of any length runs without recursion. Memory: apply frees an op's scratch
// tensors at once, and backward frees its own temporaries as it goes and, unless retainGraph, releases
// the graph it walked; graphScope hands a function's internals to the graph (the memory model is
// described in memory.ts).
import { isFloat } from './dtype.js';
import type { Storage } from './device.js';
import { isAnomalyDetectionEnabled, isGradEnabled, noGrad } from './grad-mode.js';
import { sameShape, shapeStr } from './layout.js';
import { endStep } from './memory.js';
import { notDifferentiable, type Op } from './ops/op.js';
import { beginTracking, collectTensors, disposeUnkept, endTracking, nextTensorId, trackTensor } from './scope.js';
import { setReadGuard } from './read-guard.js';
import type { Tensor } from './tensor.js';
import { inBackwardPhase, profiling, recordOp } from './profiler.js';

/** A recorded op application: what backward needs to carry the gradient to the op's inputs. */
export interface GraphNode {
  readonly op: Op<any, any, any>;
  readonly inputs: readonly Tensor[];
  attrs: unknown;
  saved: unknown;
  freed: boolean;
}

/** A node as apply records it: what it must free, and what it must find unchanged when backward runs. */
interface RecordedNode extends GraphNode {
  /** Tensors the op's forward created only to save for backward: freed with the node. */
  owned: Tensor[];
  /** Storage versions of the inputs, output and saved tensors at record time. */
  versions: Map<Storage, number>;
  /** Each input's gradFn at record time: an in-place op on the input since then rebased its history. */
  inputFns: (GraphNode | null)[];
  /** Set when an in-place op rebased this node's output: the tensor that now stands for the value it made. */
  rebasedTo?: Tensor;
}

/** Runs an op's forward and, when any input requires grad, links the output into the graph. */
export function apply<A, S, In extends readonly Tensor[]>(op: Op<A, S, In>, inputs: In, attrs: A): Tensor {
  const recording = isGradEnabled() && op.backward !== notDifferentiable && inputs.some((t) => t.requiresGrad);
  const created = beginTracking();
  let result: Tensor | readonly [Tensor, S];
  try {
    result = noGrad(() => (profiling.on ? recordOp(op.name, () => op.forward(inputs, attrs, recording)) : op.forward(inputs, attrs, recording)));
  } finally {
    endTracking(created);
  }
  const [out, saved] = Array.isArray(result) ? (result as readonly [Tensor, S]) : [result as Tensor, undefined];
  const savedTensors = new Set<Tensor>();
  if (saved !== undefined) collectTensors(saved, savedTensors);
  // scratch tensors of the forward (casts, contiguous copies) are nobody's: free them now
  const owned: Tensor[] = [];
  for (const t of created) {
    if (t.kept) continue;
    if (t === out) trackTensor(t);
    else if (savedTensors.has(t)) owned.push(t);
    else t.dispose();
  }
  if (isAnomalyDetectionEnabled()) checkFinite(op.name, 'forward', out, inputs);
  if (recording && isFloat(out.dtype)) {
    const versions = new Map<Storage, number>();
    for (const t of [...inputs, out, ...savedTensors]) versions.set(t.storage, t.storage.version);
    const node: RecordedNode = { op, inputs, attrs, saved, freed: false, owned, versions, inputFns: inputs.map((x) => x.gradFn) };
    for (const t of owned) {
      // the node frees them; an enclosing scope() that ends first frees them with the output
      t.graphUses++;
      t.freeWithGraph = true;
      trackTensor(t);
    }
    for (const x of inputs) x.graphUses++;
    out.graphUses++;
    out.gradFn = node;
    out.requiresGrad_(true);
  } else {
    for (const t of owned) t.dispose(); // no backward will read them
  }
  return out;
}

/**
 * After an in-place op on `target` recorded as `result = op(previous value, ...)`: `target` takes over
 * result's history and values, and the node checks target's storage from its new version on.
 */
export function rebaseInPlace(target: Tensor, previous: Tensor, result: Tensor): void {
  const node = result.gradFn as RecordedNode | null;
  const oldNode = previous.gradFn as RecordedNode | null;
  if (oldNode !== null) {
    // the old node's output is now `previous`: ops that used the old value send their gradient there
    oldNode.rebasedTo = previous;
    previous.graphUses++;
    target.graphUses--;
  }
  if (node !== null) {
    node.versions.delete(result.storage);
    node.versions.set(target.storage, target.storage.version);
    target.graphUses++;
  }
  target.gradFn = node;
}

function checkFinite(opName: string, phase: 'forward' | 'backward', t: Tensor, inputs: readonly Tensor[]): void {
  if (!isFloat(t.dtype) || !t.storage.device.hostCurrent(t.storage.data)) return;
  const data = t.toTypedArray();
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new Error(`anomaly: ${opName} ${phase} produced ${Number.isNaN(data[i]) ? 'NaN' : 'Inf'} (output ${shapeStr(t.shape)}, inputs ${inputs.map((x) => shapeStr(x.shape)).join(', ')})`);
    }
  }
}

/**
 * Where each input's gradient goes: the input itself, or, when an in-place op rebased the input's history
 * after this node used it, the tensor that now stands for the value the node saw (null: it was a constant).
 */
function gradientTargets(node: GraphNode): (Tensor | null)[] {
  const { inputFns } = node as RecordedNode;
  return node.inputs.map((x, k) => {
    const recorded = inputFns[k] as RecordedNode | null;
    if (x.gradFn === recorded || x.isDisposed) return x; // (dispose() drops gradFn; the walk reports it)
    return recorded === null ? null : recorded.rebasedTo ?? null;
  });
}

/** Post-order of the graph above `root`, found with an explicit stack. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const enter = (t: Tensor): [Tensor, number, (Tensor | null)[]] => [t, 0, t.gradFn === null ? [] : gradientTargets(t.gradFn)];
  const stack = [enter(root)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top[2];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next === null) continue;
      if (next.isDisposed && next.requiresGrad) {
        // dispose() drops the tensor's gradFn: walking on would treat it as a leaf and silently lose the gradient
        throw new Error(`backward: the graph of ${top[0].gradFn!.op.name} reaches a disposed tensor ${shapeStr(next.shape)} (disposed by dispose() or when its scope() ended); call backward() inside the scope that built the graph, or keep() the tensors it needs`);
      }
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push(enter(next));
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

function describe(t: Tensor): string {
  return `${t.name !== undefined ? `'${t.name}', ` : ''}a ${shapeStr(t.shape)} ${t.dtype} tensor`;
}

/** Which of the node's tensors holds `storage`, for error messages. */
function roleOf(node: RecordedNode, out: Tensor, storage: Storage): string {
  const k = node.inputs.findIndex((x) => x.storage === storage);
  if (k >= 0) return `input ${k} of ${node.op.name} (${describe(node.inputs[k])})`;
  if (out.storage === storage) return `the output of ${node.op.name} (${describe(out)})`;
  return `a tensor ${node.op.name} saved for backward`;
}

/** While a node's backward runs: reading a tensor whose storage was written after the node was recorded throws. */
function guardReads(node: RecordedNode, out: Tensor): (t: Tensor) => void {
  return (t) => {
    const recorded = node.versions.get(t.storage);
    if (recorded === undefined || recorded === t.storage.version) return;
    throw new Error(`backward: one of the variables needed for gradient computation has been modified by an inplace operation: ${roleOf(node, out, t.storage)} was at version ${recorded} when ${node.op.name} recorded it and is at version ${t.storage.version} now (last written by ${t.storage.lastWrite ?? 'an in-place op'}); do the in-place update after backward(), or use the out-of-place op (y = y.add(...) instead of y.add_(...))`);
  };
}

export function runBackward(root: Tensor, grad: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require grad and has no grad function (did every input have requiresGrad = false, or was it computed under noGrad?)');
  }
  if (grad !== undefined && (grad === null || (grad as { __isTensor?: boolean }).__isTensor !== true)) {
    throw new Error(`backward: the gradient must be a Tensor, got ${grad === null ? 'null' : typeof grad}; options go second: t.backward(undefined, { retainGraph: true })`);
  }
  if (grad === undefined) {
    // Tensor.backward passes the implicit gradient (1) of a one-element output
    throw new Error(`backward: a gradient can be created implicitly only for a one-element output, got shape ${shapeStr(root.shape)}; pass a gradient of that shape: t.backward(grad)`);
  } else if (!sameShape(grad.shape, root.shape)) {
    throw new Error(`backward: gradient shape ${shapeStr(grad.shape)} does not match the output shape ${shapeStr(root.shape)}`);
  }
  const order = topologicalOrder(root);
  // every tensor created from here on is backward's own, except the gradients it keep()s for leaves
  const created = beginTracking();
  try {
    noGrad(() => inBackwardPhase(() => walk(root, grad, order, created)));
  } finally {
    endTracking(created);
    disposeUnkept(created);
  }
  if (!retainGraph) releaseGraph(order);
  endStep();
}

/**
 * Whether gradient `prev` (now held by no entry) may take another contribution in place: made by this backward,
 * its storage nobody else's, outside any graph (the caller also checks the node's own gradients do not share it).
 */
function accumulatesInPlace(prev: Tensor, created: Set<Tensor>, holds: Map<Tensor, number>): boolean {
  return created.has(prev) && !prev.kept && holds.get(prev) === 0 && prev.storage.refCount === 1 && !prev.requiresGrad &&
    !isGradEnabled() && prev.isContiguous() && prev.offset === 0 && !prev.storage.device.async;
}

/** acc += g by the binary kernel writing over acc (elementwise, so reading and writing one array is safe on the cpu). */
function addInPlace(acc: Tensor, g: Tensor): void {
  const av = acc.view_(), gv = g.view_();
  const out = av.data.length === acc.size ? av.data : av.data.subarray(0, acc.size);
  acc.storage.device.run((k) => k.binary('add', av, gv, out));
}

function walk(root: Tensor, grad: Tensor, order: Tensor[], created: Set<Tensor>): void {
  const grads = new Map<Tensor, Tensor>();
  // how many entries of `grads` hold each gradient object: one still held must not be freed
  const holds = new Map<Tensor, number>();
  const hold = (x: Tensor, g: Tensor): void => { grads.set(x, g); holds.set(g, (holds.get(g) ?? 0) + 1); };
  const unhold = (g: Tensor): void => { holds.set(g, holds.get(g)! - 1); };
  const freeIfDone = (g: Tensor): void => { if (created.has(g) && !g.kept && holds.get(g) === 0) g.dispose(); };
  hold(root, grad);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    unhold(g);
    const node = t.gradFn as RecordedNode | null;
    if (node === null) {
      // a gradient made here and held nowhere else becomes the leaf's .grad as it is, without a copy
      if (created.has(g) && !g.kept && holds.get(g) === 0 && g.storage.refCount === 1 && g.dtype === t.dtype && t.adoptGrad_(g)) created.delete(g);
      else t.accumulateGrad_(g);
      freeIfDone(g);
      continue;
    }
    if (t.retainsGrad) t.accumulateGrad_(g);
    if (node.freed) {
      throw new Error(`backward: trying to go through the graph of ${node.op.name} a second time, but its saved values were freed; call backward(grad, { retainGraph: true }) the first time`);
    }
    if (node.op.backward === notDifferentiable) { freeIfDone(g); continue; }
    const targets = gradientTargets(node);
    const needsGrad = targets.map((x) => x !== null && x.requiresGrad);
    const previousGuard = setReadGuard(guardReads(node, t));
    let inGrads: readonly (Tensor | null | undefined)[];
    const scratch = beginTracking();
    try {
      const ctx = { inputs: node.inputs, out: t, attrs: node.attrs, saved: node.saved, needsGrad };
      const backward = node.op.backward;
      inGrads = profiling.on ? recordOp(`${node.op.name}Backward`, () => backward(g, ctx)) : backward(g, ctx);
    } finally {
      endTracking(scratch);
      setReadGuard(previousGuard);
    }
    // the rule's scratch (transposed views, copies) goes now, so a gradient's storage is soon its own again
    for (const s of scratch) {
      if (inGrads.includes(s)) created.add(s);
      else if (!s.kept) s.dispose();
    }
    if (inGrads.length !== node.inputs.length) {
      // built-in rules are held to this by their types (Grads); a user's defineOp is checked here
      throw new Error(`backward of ${node.op.name}: returned ${inGrads.length} gradient(s) for ${node.inputs.length} input(s); return one per input, in input order, with null where no gradient flows`);
    }
    const consumed: Tensor[] = [g];
    targets.forEach((x, k) => {
      const gk = inGrads[k];
      if (x === null || !needsGrad[k] || gk === null || gk === undefined) return;
      if (!sameShape(gk.shape, x.shape)) {
        throw new Error(`backward of ${node.op.name}: gradient for input ${k} has shape ${shapeStr(gk.shape)}, expected ${shapeStr(x.shape)} (an op's backward is wrong)`);
      }
      if (isAnomalyDetectionEnabled()) checkFinite(node.op.name, 'backward', gk, node.inputs);
      const prev = grads.get(x);
      if (prev) {
        unhold(prev);
        if (accumulatesInPlace(prev, created, holds) && prev.dtype === gk.dtype && ![g, ...inGrads].some((o) => o?.storage === prev.storage)) {
          // a sum made here, held by this entry only: no new tensor per extra contribution
          if (profiling.on) recordOp('accumulateGrad', () => addInPlace(prev, gk)); else addInPlace(prev, gk);
          consumed.push(gk);
          hold(x, prev);
        } else {
          consumed.push(prev, gk);
          hold(x, prev.add(gk));
        }
      } else {
        hold(x, gk);
      }
    });
    for (const c of consumed) freeIfDone(c);
  }
}

/**
 * Ends the graph that backward walked (torch frees it the same way unless retain_graph): see releaseNode.
 * The step boundary that follows hands the graph's remaining tensors to the garbage collector (memory.ts).
 */
function releaseGraph(order: readonly Tensor[]): void {
  for (const t of order) if (t.gradFn !== null && !t.gradFn.freed) releaseNode(t);
}

/**
 * Frees the node that made `out`: its saved values go, it forgets its inputs, and tensors that a
 * graphScope() handed to the graph (freeWithGraph) are disposed once no live node holds them.
 */
export function releaseNode(out: Tensor): void {
  const node = out.gradFn as RecordedNode;
  node.saved = null;
  node.freed = true;
  for (const s of node.owned) { s.graphUses--; s.dispose(); }
  node.owned = [];
  node.versions.clear();
  const held = [out, ...node.inputs];
  (node as { inputs: readonly Tensor[] }).inputs = [];
  for (const x of held) {
    if (--x.graphUses === 0 && x.freeWithGraph) {
      x.disposeBecause_("backward() freed it: a Module's forward (or a graphScope) made it and did not return it; keep() it to hold it past backward()");
    }
  }
}

/**
 * Like scope(), for a function that builds part of a graph (Module.call runs every forward in one): the
 * tensors fn makes that a later backward() may need (the ancestors of what it returns or keeps) are freed
 * when backward() releases the graph instead of now; the rest are disposed now, as scope() does.
 */
export function graphScope<T>(fn: () => T): T {
  const firstId = nextTensorId();
  const mine = beginTracking();
  let result: T;
  try {
    result = fn();
  } finally {
    endTracking(mine);
  }
  if (result instanceof Promise) throw new Error('graphScope: fn returned a Promise; scopes are synchronous (await outside the scope)');
  const returned = new Set<Tensor>();
  collectTensors(result, returned);
  // ancestors of the returned tensors made inside fn (tensor ids grow, so older ones end the walk)
  const needed = new Set<Tensor>();
  const todo = [...returned];
  for (const t of mine) if (t.kept) todo.push(t);
  while (todo.length > 0) {
    const t = todo.pop()!;
    if (t.gradFn === null || t.gradFn.freed) continue;
    for (const x of t.gradFn.inputs) {
      if (x.id >= firstId && !needed.has(x)) { needed.add(x); todo.push(x); }
    }
  }
  for (const t of mine) {
    if (t.kept || t.freeWithGraph) continue; // freeWithGraph: saved by a node, which frees it
    if (returned.has(t)) trackTensor(t);
    else if (needed.has(t)) t.freeWithGraph = true;
    else {
      if (t.gradFn !== null && !t.gradFn.freed) releaseNode(t); // a branch nothing returned depends on
      t.dispose();
    }
  }
  return result;
}

// Recording ops into the graph (apply) and the backward driver: an iterative topological sort and a
// reversed walk, so a chain of any length runs without recursion.
import { isFloat } from './dtype.js';
import { isAnomalyDetectionEnabled, isGradEnabled, noGrad } from './grad-mode.js';
import { sameShape, shapeStr } from './layout.js';
import { notDifferentiable, type Op } from './ops/op.js';
import type { Tensor } from './tensor.js';

/** A recorded op application: what backward needs to carry the gradient to the op's inputs. */
export interface GraphNode {
  readonly op: Op<any, any, any>;
  readonly inputs: readonly Tensor[];
  attrs: unknown;
  saved: unknown;
  freed: boolean;
}

/** Runs an op's forward and, when any input requires grad, links the output into the graph. */
export function apply<A, S, In extends readonly Tensor[]>(op: Op<A, S, In>, inputs: In, attrs: A): Tensor {
  const result = noGrad(() => op.forward(inputs, attrs));
  const [out, saved] = Array.isArray(result) ? (result as readonly [Tensor, S]) : [result as Tensor, undefined];
  if (isAnomalyDetectionEnabled()) checkFinite(op.name, 'forward', out, inputs);
  if (isGradEnabled() && op.backward !== notDifferentiable && isFloat(out.dtype) && inputs.some((t) => t.requiresGrad)) {
    const node: GraphNode = { op, inputs, attrs, saved, freed: false };
    out.gradFn = node;
    out.requiresGrad_(true);
  }
  return out;
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

/** Post-order of the graph above `root`, found with an explicit stack. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top[0].gradFn?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.isDisposed && next.requiresGrad) {
        // dispose() drops the tensor's gradFn: walking on would treat it as a leaf and silently lose the gradient
        throw new Error(`backward: the graph of ${top[0].gradFn!.op.name} reaches a disposed tensor ${shapeStr(next.shape)} (disposed by dispose() or when its scope() ended); call backward() inside the scope that built the graph, or keep() the tensors it needs`);
      }
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
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
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, grad);
    const order = topologicalOrder(root);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const node = t.gradFn;
      if (node === null) {
        t.accumulateGrad_(g);
        continue;
      }
      if (t.retainsGrad) t.accumulateGrad_(g);
      if (node.freed) {
        throw new Error(`backward: trying to go through the graph of ${node.op.name} a second time, but its saved values were freed; call backward(grad, { retainGraph: true }) the first time`);
      }
      if (node.op.backward === notDifferentiable) continue;
      const needsGrad = node.inputs.map((x) => x.requiresGrad);
      const inGrads: readonly (Tensor | null | undefined)[] = node.op.backward(g, { inputs: node.inputs, out: t, attrs: node.attrs, saved: node.saved, needsGrad });
      if (inGrads.length !== node.inputs.length) {
        // built-in rules are held to this by their types (Grads); a user's defineOp is checked here
        throw new Error(`backward of ${node.op.name}: returned ${inGrads.length} gradient(s) for ${node.inputs.length} input(s); return one per input, in input order, with null where no gradient flows`);
      }
      node.inputs.forEach((x, k) => {
        const gk = inGrads[k];
        if (!needsGrad[k] || gk === null || gk === undefined) return;
        if (!sameShape(gk.shape, x.shape)) {
          throw new Error(`backward of ${node.op.name}: gradient for input ${k} has shape ${shapeStr(gk.shape)}, expected ${shapeStr(x.shape)} (an op's backward is wrong)`);
        }
        if (isAnomalyDetectionEnabled()) checkFinite(node.op.name, 'backward', gk, node.inputs);
        const prev = grads.get(x);
        grads.set(x, prev ? prev.add(gk) : gk);
      });
      if (!retainGraph) {
        node.saved = null;
        node.freed = true;
      }
    }
  });
}

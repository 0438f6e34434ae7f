// Fused linear layer y = x Wᵀ + b (+ r) on row-major x [rows, in]: one matmul with the bias, and a residual r
// (the x + f(x) of a transformer block) where given, added in the GEMM's store where the backend has the fused
// kernel, so the forward makes one output tensor, not two or three. Bias then residual are added to each
// finished sum, so the result rounds as the separate adds would.
import { apply } from '../autograd.js';
import { isFloat } from '../dtype.js';
import { expandLayout, sameShape, shapeStr } from '../layout.js';
import { Tensor } from '../tensor.js';
import type { LinearInputs, Rule } from './table.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';
import { transpose } from './movement.js';

export const linearOp: Rule<'linear'> = {
  name: 'linear',
  kernels: ['matmul', 'binary'],
  forward: (inputs, { hasBias, hasResidual }) => {
    const [x, w] = inputs;
    const b = hasBias ? inputs[2]! : null, r = hasResidual ? inputs[hasBias ? 3 : 2]! : null;
    const [rows, inF] = x.layout.shape;
    const outF = w.layout.shape[0];
    const y = Tensor.uninit([rows, outF], x.dtype, x.storage.device);
    const xv = { data: x.view_().data, layout: { shape: [1, rows, inF], strides: [0, x.layout.strides[0], x.layout.strides[1]], offset: x.layout.offset } };
    // Wᵀ read through strides: element (k, j) of Wᵀ is W[j, k]
    const wv = { data: w.view_().data, layout: { shape: [1, inF, outF], strides: [0, w.layout.strides[1], w.layout.strides[0]], offset: w.layout.offset } };
    const yd = y.data_;
    const fused = x.storage.device.backend.fused;
    if ((b || r) && fused && fused.linear(xv, wv, b ? b.view_() : null, r ? r.view_() : null, yd, rows, outF, inF)) return y;
    const bv = b ? { data: b.view_().data, layout: expandLayout('linear', b.layout, [rows, outF]) } : null;
    const rv = r ? r.view_() : null;
    const yv = { data: yd, layout: y.layout };
    x.storage.device.run((k) => {
      const done = k.matmul(xv, wv, yd, 1, rows, outF, inF);
      const addBias = (): void | Promise<void> => (bv ? k.binary('add', yv, bv, yd) : undefined);
      const addResidual = (): void | Promise<void> => (rv ? k.binary('add', yv, rv, yd) : undefined);
      const biased = done instanceof Promise ? done.then(addBias) : addBias();
      return biased instanceof Promise ? biased.then(addResidual) : addResidual();
    });
    return y;
  },
  // dx = G W;  dW = Gᵀ x;  db = Σ_rows G;  dr = G
  backward: (grad, { inputs: [x, w], attrs: { hasBias, hasResidual }, needsGrad }) => {
    const dx = needsGrad[0] ? matmul(grad, w) : null;
    const dw = needsGrad[1] ? matmul(transpose(grad, 0, 1), x) : null;
    const db = hasBias && needsGrad[2] ? sum(grad, [0]) : null;
    const dr = hasResidual && needsGrad[hasBias ? 3 : 2] ? grad : null;
    if (hasBias) return hasResidual ? [dx, dw, db, dr] : [dx, dw, db];
    return hasResidual ? [dx, dw, dr] : [dx, dw];
  },
};

/**
 * y = x Wᵀ + b for x of any rank ≥ 1 and W [out, in] (PyTorch's layout); leading dims fold into rows.
 * `residual`, of y's shape, is added too: residual + linear(x, W, b) in one op (a transformer block's
 * x + proj(…)), with the same float32 result as the separate add.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, residual?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D [out, in], got ${shapeStr(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.ndim === 0 || x.dim(-1) !== inF) {
    throw new Error(`linear: input features ${x.ndim === 0 ? 'none (0-d input)' : x.dim(-1)} (input ${shapeStr(x.shape)}) do not match weight [out, in] = ${shapeStr(weight.shape)}`);
  }
  if (bias && (bias.ndim !== 1 || bias.dim(0) !== outF)) throw new Error(`linear: bias must be [${outF}], got ${shapeStr(bias.shape)}`);
  const lead = x.shape.slice(0, -1);
  const outShape = [...lead, outF];
  if (residual && !sameShape(residual.shape, outShape)) {
    throw new Error(`linear: residual must have the output's shape ${shapeStr(outShape)} (input ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)}), got ${shapeStr(residual.shape)}; broadcast it first with expand() if that is meant`);
  }
  const others = [...(bias ? [['bias', bias] as const] : []), ...(residual ? [['residual', residual] as const] : [])];
  if (!isFloat(x.dtype) || x.dtype !== weight.dtype || others.some(([, t]) => t.dtype !== x.dtype)) {
    throw new Error(`linear: expected floating-point tensors of one dtype, got input ${x.dtype}, weight ${weight.dtype}${others.map(([n, t]) => `, ${n} ${t.dtype}`).join('')}`);
  }
  if (x.device !== weight.device || others.some(([, t]) => t.device !== x.device)) {
    throw new Error(`linear: tensors are on different devices (input ${x.device}, weight ${weight.device}${others.map(([n, t]) => `, ${n} ${t.device}`).join('')})`);
  }
  const rows = x.reshape(-1, inF);
  const flat = residual ? residual.reshape(-1, outF) : null;
  const inputs = [rows, weight, ...(bias ? [bias] : []), ...(flat ? [flat] : [])] as unknown as LinearInputs;
  const y = apply(linearOp, inputs, { hasBias: !!bias, hasResidual: !!flat });
  return x.ndim === 2 ? y : y.reshape(outShape);
}

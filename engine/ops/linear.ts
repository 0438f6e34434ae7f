// Fused linear layer y = x Wᵀ + b on row-major x [rows, in]: one matmul with the bias added in place (inside
// the GEMM's store where the backend has the fused kernel), so the forward makes one output tensor, not two.
import { apply } from '../autograd.js';
import { isFloat } from '../dtype.js';
import { expandLayout, shapeStr } from '../layout.js';
import { Tensor } from '../tensor.js';
import type { LinearInputs, Rule } from './table.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';
import { transpose } from './movement.js';

export const linearOp: Rule<'linear'> = {
  name: 'linear',
  kernels: ['matmul', 'binary'],
  forward: ([x, w, b], { hasBias }) => {
    const [rows, inF] = x.layout.shape;
    const outF = w.layout.shape[0];
    const y = Tensor.uninit([rows, outF], x.dtype, x.storage.device);
    const xv = { data: x.view_().data, layout: { shape: [1, rows, inF], strides: [0, x.layout.strides[0], x.layout.strides[1]], offset: x.layout.offset } };
    // Wᵀ read through strides: element (k, j) of Wᵀ is W[j, k]
    const wv = { data: w.view_().data, layout: { shape: [1, inF, outF], strides: [0, w.layout.strides[1], w.layout.strides[0]], offset: w.layout.offset } };
    const yd = y.data_;
    const fused = x.storage.device.backend.fused;
    if (hasBias && b && fused && fused.linear(xv, wv, b.view_(), yd, rows, outF, inF)) return y;
    const bv = hasBias && b ? { data: b.view_().data, layout: expandLayout('linear', b.layout, [rows, outF]) } : null;
    const yv = { data: yd, layout: y.layout };
    x.storage.device.run((k) => {
      const done = k.matmul(xv, wv, yd, 1, rows, outF, inF);
      const addBias = (): void | Promise<void> => (bv ? k.binary('add', yv, bv, yd) : undefined);
      return done instanceof Promise ? done.then(addBias) : addBias();
    });
    return y;
  },
  // dx = G W;  dW = Gᵀ x;  db = Σ_rows G
  backward: (grad, { inputs: [x, w], attrs: { hasBias }, needsGrad }) => {
    const dx = needsGrad[0] ? matmul(grad, w) : null;
    const dw = needsGrad[1] ? matmul(transpose(grad, 0, 1), x) : null;
    return hasBias ? [dx, dw, needsGrad[2] ? sum(grad, [0]) : null] : [dx, dw];
  },
};

/** y = x Wᵀ + b for x of any rank ≥ 1 and W [out, in] (PyTorch's layout); leading dims fold into rows. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D [out, in], got ${shapeStr(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.ndim === 0 || x.dim(-1) !== inF) {
    throw new Error(`linear: input features ${x.ndim === 0 ? 'none (0-d input)' : x.dim(-1)} (input ${shapeStr(x.shape)}) do not match weight [out, in] = ${shapeStr(weight.shape)}`);
  }
  if (bias && (bias.ndim !== 1 || bias.dim(0) !== outF)) throw new Error(`linear: bias must be [${outF}], got ${shapeStr(bias.shape)}`);
  if (!isFloat(x.dtype) || x.dtype !== weight.dtype || (bias && bias.dtype !== x.dtype)) {
    throw new Error(`linear: expected floating-point tensors of one dtype, got input ${x.dtype}, weight ${weight.dtype}${bias ? `, bias ${bias.dtype}` : ''}`);
  }
  if (x.device !== weight.device || (bias && bias.device !== x.device)) throw new Error(`linear: tensors are on different devices (${x.device}, ${weight.device}${bias ? `, ${bias.device}` : ''})`);
  const lead = x.shape.slice(0, -1);
  const rows = x.reshape(-1, inF);
  const inputs: LinearInputs = bias ? [rows, weight, bias] : [rows, weight];
  const y = apply(linearOp, inputs, { hasBias: !!bias });
  return x.ndim === 2 ? y : y.reshape([...lead, outF]);
}

// Batched matmul with broadcasting over batch dimensions. Operands reach the kernel as rank-3 views,
// so transposes (the backward's A^T and B^T) are read through strides without a copy.
import { apply } from '../autograd.js';
import { isFloat, promoteTypes } from '../dtype.js';
import { broadcastShapes, expandLayout, reshapeLayout, shapeStr, type Layout } from '../layout.js';
import { Tensor } from '../tensor.js';
import type { Rule } from './table.js';
import { sumToShape } from './reduce.js';
import { cast, contiguous, transpose } from './movement.js';

/** x expanded to [...batch, r, c], as a rank-3 layout [prod(batch), r, c] (copying only if strides do not merge). */
function asBatch3(x: Tensor, batch: readonly number[]): { t: Tensor; layout: Layout } {
  const [r, c] = x.layout.shape.slice(-2);
  const expanded = expandLayout('matmul', x.layout, [...batch, r, c]);
  const n = batch.reduce((a, b) => a * b, 1);
  const merged = reshapeLayout(expanded, [n, r, c]);
  if (merged) return { t: x, layout: merged };
  // batch dims that do not merge (e.g. an expanded middle dim): materialise them
  const copy = contiguous(x.withLayout(expanded));
  return { t: copy, layout: { shape: [n, r, c], strides: [r * c, c, 1], offset: copy.layout.offset } };
}

export const matmulOp: Rule<'matmul'> = {
  name: 'matmul',
  kernels: ['matmul'],
  forward: ([a, b]) => {
    const [M, K] = a.layout.shape.slice(-2);
    const N = b.layout.shape[b.ndim - 1];
    const batch = broadcastShapes('matmul', a.layout.shape.slice(0, -2), b.layout.shape.slice(0, -2));
    const A = asBatch3(a, batch);
    const B = asBatch3(b, batch);
    const n = batch.reduce((p, q) => p * q, 1);
    const out = Tensor.uninit([...batch, M, N], a.dtype, a.storage.device);
    const av = { data: A.t.view_().data, layout: A.layout };
    const bv = { data: B.t.view_().data, layout: B.layout };
    const o = out.data_;
    a.storage.device.run((k) => k.matmul(av, bv, o, n, M, N, K));
    return out;
  },
  // d(AB) = (G Bᵀ, Aᵀ G), each summed over broadcast batch dims
  backward: (grad, { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? sumToShape(matmul(grad, transpose(b, -2, -1)), a.shape) : null,
    needsGrad[1] ? sumToShape(matmul(transpose(a, -2, -1), grad), b.shape) : null,
  ],
};

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(b instanceof Tensor)) throw new Error('matmul: expected a Tensor as the right operand');
  if (a.ndim === 0 || b.ndim === 0) throw new Error(`matmul: both operands need at least 1 dimension, got ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
  if (!isFloat(a.dtype) || !isFloat(b.dtype)) throw new Error(`matmul: expected floating-point tensors, got ${a.dtype} @ ${b.dtype}`);
  if (a.device !== b.device) throw new Error(`matmul: operands are on different devices (${a.device} and ${b.device})`);
  const K = a.layout.shape[a.ndim - 1];
  const Kb = b.layout.shape[b.ndim === 1 ? 0 : b.ndim - 2];
  if (Kb !== K) throw new Error(`matmul: inner dimensions differ: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)} (${K} vs ${Kb})`);
  // 1-D operands: a vector on the left is a row, on the right a column; the added dim is removed after
  if (a.ndim === 1 && b.ndim === 1) return matmul(a.unsqueeze(0), b.unsqueeze(-1)).reshape([]); // dot product
  if (a.ndim === 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
  if (b.ndim === 1) return matmul(a, b.unsqueeze(-1)).squeeze(-1);
  broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const dtype = promoteTypes(a.dtype, b.dtype);
  return apply(matmulOp, [cast(a, dtype), cast(b, dtype)], undefined);
}

// Plain TypeScript batched matmul: the reference, and the float64 path. Operands are packed into
// contiguous row-major panels first, so transposed (strided) inputs cost one copy, never a slow loop.
import type { TypedArray } from '../../dtype.js';
import type { View } from '../interface.js';

function pack(v: View, b: number, rows: number, cols: number, buf: Float64Array | Float32Array): void {
  const [sb, sr, sc] = v.layout.strides;
  const base = v.layout.offset + b * sb;
  const d = v.data;
  let o = 0;
  if (sc === 1) {
    for (let i = 0; i < rows; i++) { const p = base + i * sr; for (let j = 0; j < cols; j++) buf[o++] = d[p + j]; }
  } else {
    for (let i = 0; i < rows; i++) { let p = base + i * sr; for (let j = 0; j < cols; j++) { buf[o++] = d[p]; p += sc; } }
  }
}

const BLOCK_K = 128;

export function matmulReference(a: View, b: View, out: TypedArray, batch: number, M: number, N: number, K: number): void {
  const Buf = out instanceof Float32Array ? Float32Array : Float64Array;
  const pa = new Buf(M * K);
  const pb = new Buf(K * N);
  const acc = new Float64Array(N);
  const aBatch0 = a.layout.strides[0] === 0;
  const bBatch0 = b.layout.strides[0] === 0;
  for (let bi = 0; bi < batch; bi++) {
    if (bi === 0 || !aBatch0) pack(a, bi, M, K, pa);
    if (bi === 0 || !bBatch0) pack(b, bi, K, N, pb);
    const ob = bi * M * N;
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      const ai = i * K;
      // k-blocked i-k-j: the inner loop streams one row of B into the accumulator row
      for (let k0 = 0; k0 < K; k0 += BLOCK_K) {
        const k1 = Math.min(K, k0 + BLOCK_K);
        for (let k = k0; k < k1; k++) {
          const av = pa[ai + k];
          const bk = k * N;
          for (let j = 0; j < N; j++) acc[j] += av * pb[bk + j];
        }
      }
      const oi = ob + i * N;
      for (let j = 0; j < N; j++) out[oi + j] = acc[j];
    }
  }
}

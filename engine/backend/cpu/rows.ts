// Row kernels over the last axis of contiguous [rows, cols] arrays: softmax, log-softmax, layernorm.
import type { TypedArray } from '../../dtype.js';

export function softmaxRows(x: TypedArray, out: TypedArray, rows: number, cols: number, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
    if (max === -Infinity) max = 0;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j] - max);
    if (log) {
      const lse = max + Math.log(sum);
      for (let j = 0; j < cols; j++) out[o + j] = x[o + j] - lse;
    } else {
      const inv = 1 / sum;
      for (let j = 0; j < cols; j++) out[o + j] = Math.exp(x[o + j] - max) * inv;
    }
  }
}

// softmax: dx = y ⊙ (g − Σ g⊙y);  log-softmax: dx = g − exp(y) Σ g
export function softmaxBackwardRows(y: TypedArray, g: TypedArray, out: TypedArray, rows: number, cols: number, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += g[o + j];
      for (let j = 0; j < cols; j++) out[o + j] = g[o + j] - Math.exp(y[o + j]) * s;
    } else {
      for (let j = 0; j < cols; j++) s += g[o + j] * y[o + j];
      for (let j = 0; j < cols; j++) out[o + j] = y[o + j] * (g[o + j] - s);
    }
  }
}

export function layerNormRows(x: TypedArray, w: TypedArray | null, b: TypedArray | null, y: TypedArray, mean: TypedArray, rstd: TypedArray, rows: number, cols: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = 0;
    for (let j = 0; j < cols; j++) m += x[o + j];
    m /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) { const d = x[o + j] - m; v += d * d; }
    const rs = 1 / Math.sqrt(v / cols + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) {
      const xh = (x[o + j] - m) * rs;
      y[o + j] = (w ? xh * w[j] : xh) + (b ? b[j] : 0);
    }
  }
}

// x̂ = (x−μ)·rstd, ĝ = g⊙w:  dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ⊙x̂));  dw = Σ_rows g⊙x̂;  db = Σ_rows g
export function layerNormBackwardRows(x: TypedArray, w: TypedArray | null, mean: TypedArray, rstd: TypedArray, g: TypedArray, dx: TypedArray, dw: TypedArray | null, db: TypedArray | null, rows: number, cols: number): void {
  const accW = dw ? new Float64Array(cols) : null;
  const accB = db ? new Float64Array(cols) : null;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const m = mean[r], rs = rstd[r];
    let sg = 0, sgx = 0;
    for (let j = 0; j < cols; j++) {
      const xh = (x[o + j] - m) * rs;
      const gh = w ? g[o + j] * w[j] : g[o + j];
      sg += gh;
      sgx += gh * xh;
      if (accW) accW[j] += g[o + j] * xh;
      if (accB) accB[j] += g[o + j];
    }
    sg /= cols;
    sgx /= cols;
    for (let j = 0; j < cols; j++) {
      const xh = (x[o + j] - m) * rs;
      const gh = w ? g[o + j] * w[j] : g[o + j];
      dx[o + j] = rs * (gh - sg - xh * sgx);
    }
  }
  if (dw && accW) dw.set(accW);
  if (db && accB) db.set(accB);
}

// What the kernel family measures, and the contract every backend (ours and the peers) fills in.
//
// Matmul: the forward product A·B and the two products its backward computes, with the transposed
// operands read as they are in backward (dA = G·Bᵀ, dB = Aᵀ·G; G has the output's shape). Each is
// 2·M·N·K flops per batch entry. Row ops (softmax, layernorm) count the bytes read and written once.
import type { Call } from './measure.js';

export type Product = 'A·B' | 'G·Bᵀ' | 'Aᵀ·G';

export interface MatmulShape {
  label: string;
  batch: number;
  M: number;
  K: number;
  N: number;
}

export interface MatmulCase extends MatmulShape {
  family: 'matmul';
  product: Product;
}

export interface RowCase {
  family: 'softmax' | 'layernorm';
  direction: 'fwd' | 'bwd';
  rows: number;
  cols: number;
}

export type KernelCase = MatmulCase | RowCase;

export type Unit = 'GFLOP/s' | 'GB/s' | 'images/s';

/** One prepared measurement: inputs allocated, ready to be called repeatedly. */
export interface Prepared {
  /** The compute, without reading the result back to the host. */
  run: Call;
  /** true when run returns a Promise (benchmark.js deferred mode). */
  async: boolean;
  /** Where a backend has a separate readback: computes a fresh result untimed, returns the readback's seconds. */
  readbackOnce?: () => Promise<number>;
  dispose(): void;
}

/** A backend measured in this process: ours (engine cpu, engine gpujs per mode) or a peer (tfjs). */
export interface BenchBackend<C> {
  /** e.g. 'engine cpu', 'engine gpujs', 'tfjs wasm'. */
  backend: string;
  /** gpu.js mode for engine gpujs rows, else null. */
  mode: string | null;
  /** Makes the backend current (tf.setBackend, initGpujs); throws if it is not present here. */
  activate(): Promise<void>;
  /** What it runs on, once activated (for the JSON). */
  describe(): string;
  prepare(c: C): Prepared;
  deactivate?(): Promise<void>;
}

export type KernelBackend = BenchBackend<KernelCase>;

/** What a row says about its case, whoever ran it. */
export interface CaseHead {
  family: 'matmul' | 'softmax' | 'layernorm' | 'vit';
  key: string;
  shape: string;
  op: string;
  unit: Unit;
  amount: number;
}

export function kernelHead(c: KernelCase): CaseHead {
  return { family: c.family, key: caseKey(c), ...caseLabel(c), ...caseWork(c) };
}

const mm = (label: string, batch: number, M: number, K: number, N: number): MatmulShape => ({ label, batch, M, K, N });

const SQUARES = [128, 256, 512, 1024].map((n) => mm(`${n}²`, 1, n, n, n));
const VIT_SHAPES = [
  mm('ViT qkv [4096,192]·[192,576]', 1, 4096, 192, 576),
  mm('ViT proj [4096,192]·[192,192]', 1, 4096, 192, 192),
  mm('ViT fc2 [4096,768]·[768,192]', 1, 4096, 768, 192),
  mm('attn Q·Kᵀ [256,50,48]·[256,48,50]', 256, 50, 48, 50),
  mm('attn P·V [256,50,50]·[256,50,48]', 256, 50, 50, 48),
];
const ROW_SHAPES: [number, number][] = [[4096, 192], [4096, 768]];

export function kernelCases(quick: boolean): KernelCase[] {
  // Largest squares last: a slow backend's time budget then runs out on them, not on the ViT's shapes.
  const shapes = quick ? [SQUARES[1], VIT_SHAPES[0], VIT_SHAPES[3]] : [SQUARES[0], SQUARES[1], ...VIT_SHAPES, SQUARES[2], SQUARES[3]];
  const products: Product[] = ['A·B', 'G·Bᵀ', 'Aᵀ·G'];
  const cases: KernelCase[] = [];
  for (const s of shapes) for (const product of products) cases.push({ family: 'matmul', product, ...s });
  for (const family of ['softmax', 'layernorm'] as const) {
    for (const [rows, cols] of quick ? ROW_SHAPES.slice(0, 1) : ROW_SHAPES) {
      for (const direction of ['fwd', 'bwd'] as const) cases.push({ family, direction, rows, cols });
    }
  }
  return cases;
}

/** Operand shapes of a matmul case, in the order the product takes them (batch dim dropped when 1). */
export function matmulOperands(c: MatmulCase): { left: number[]; right: number[]; transLeft: boolean; transRight: boolean } {
  const s = (r: number, k: number) => (c.batch > 1 ? [c.batch, r, k] : [r, k]);
  const A = s(c.M, c.K), B = s(c.K, c.N), G = s(c.M, c.N);
  if (c.product === 'A·B') return { left: A, right: B, transLeft: false, transRight: false };
  if (c.product === 'G·Bᵀ') return { left: G, right: B, transLeft: false, transRight: true };
  return { left: A, right: G, transLeft: true, transRight: false };
}

/** A stable id, the same across backends, for matching rows (ratios) and numpy results. */
export function caseKey(c: KernelCase): string {
  return c.family === 'matmul' ? `matmul|${c.label}|${c.product}` : `${c.family}|${c.rows}x${c.cols}|${c.direction}`;
}

export function caseLabel(c: KernelCase): { shape: string; op: string } {
  if (c.family === 'matmul') {
    const role = c.product === 'A·B' ? 'fwd' : c.product === 'G·Bᵀ' ? 'bwd dA' : 'bwd dB';
    return { shape: c.label, op: `${c.product} (${role})` };
  }
  return { shape: `[${c.rows},${c.cols}]`, op: c.direction };
}

/** Work per call: flops for matmul, bytes moved for row ops (float32). */
export function caseWork(c: KernelCase): { unit: Unit; amount: number } {
  if (c.family === 'matmul') return { unit: 'GFLOP/s', amount: 2 * c.batch * c.M * c.N * c.K };
  const { rows: R, cols: C } = c;
  let elements: number;
  if (c.family === 'softmax') elements = c.direction === 'fwd' ? 2 * R * C : 3 * R * C; // x→y; y,g→dx
  else elements = c.direction === 'fwd'
    ? 2 * R * C + 2 * C + 2 * R // x,w,b → y,mean,rstd
    : 3 * R * C + 3 * C + 2 * R; // x,g,w,mean,rstd → dx,dw,db
  return { unit: 'GB/s', amount: 4 * elements };
}

/** The end-to-end family's model: the reference ViT, one training step or inference batch. */
export const REFERENCE_VIT = {
  imgSize: 28,
  patchSize: 4,
  inChans: 1,
  numClasses: 10,
  embedDim: 64,
  depth: 6,
  numHeads: 4,
  mlpRatio: 4,
  batch: 64,
  lr: 1e-3,
  weightDecay: 0.05,
  /** timm's ViT layernorm eps. */
  eps: 1e-6,
  /** The class token's output feeds the head. */
  pool: 'cls',
} as const;

/** The TLEG pipeline's own model (tleg/presets.ts MODELS['tleg-small']) at the Aux-Net's depth: 7×7 patches (16 tokens), MLP 2, average pooling. */
export const TLEG_SMALL_VIT = {
  ...REFERENCE_VIT,
  patchSize: 7,
  mlpRatio: 2,
  /** timm's global_pool='avg': the mean of the patch tokens (class token left out), after the final norm. */
  pool: 'avg',
} as const;

export type VitSpec = typeof REFERENCE_VIT | typeof TLEG_SMALL_VIT;

/** Thrown by a backend's prepare for a case it does not implement: the row reads "skipped" with the reason. */
export class NotImplementedCase extends Error {}

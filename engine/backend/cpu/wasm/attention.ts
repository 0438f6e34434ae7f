// The fused attention kernels' entry points (the chunks run in attention-kernel.ts): operands staged into wasm
// memory when they are not already there, the job posted, the pool run over groups of a batch element's heads.
import { runtime } from './runtime.js';
import { staged, type Staging } from './index.js';
import { Ctl, CTRL_BYTES, JobKind } from './protocol.js';
import { lockJob, runJob, threadCount } from './pool.js';
import { attentionScratchBytes } from './attention-kernel.js';
import { f32Bits } from './rows-kernel.js';
import type { AttentionShape } from '../../interface.js';

/** Below this many multiply-adds a worker's wake-up costs more than it saves (as for matmul). */
const PARALLEL_MIN_MACS = 1 << 20;

/** Posts the job whose operand slots `fill` sets, and runs it. */
function runAttention(s: Staging, shape: AttentionShape, backward: boolean, fill: (c: Int32Array) => void): void {
  const { batch, seq, heads, headSize } = shape;
  const pairs = batch * heads;
  const threads = pairs > 1 && pairs * seq * seq * headSize >= PARALLEL_MIN_MACS ? threadCount() : 1;
  // a chunk takes as many of a batch element's heads (a divisor of H) as still leaves 8 chunks a thread: the
  // chunk's rows of q, k, v and out are then longer runs, touched first (attention-kernel.ts)
  let group = heads;
  while (group > 1 && (heads % group !== 0 || batch * (heads / group) < 8 * threads)) group--;
  const scratchBytes = attentionScratchBytes(seq, headSize);
  const scratch = s.temp((threads * scratchBytes) / 4);
  const c = new Int32Array(s.h.view().buffer, 0, CTRL_BYTES / 4);
  lockJob(c);
  c[Ctl.kind] = JobKind.attention;
  c[Ctl.atBackward] = backward ? 1 : 0;
  c[Ctl.atP] = 0; c[Ctl.atDq] = 0; c[Ctl.atDk] = 0; c[Ctl.atDv] = 0;
  c[Ctl.atHeads] = heads; c[Ctl.atSeq] = seq; c[Ctl.atHeadSize] = headSize; c[Ctl.atScale] = f32Bits(shape.scale);
  c[Ctl.atScratch] = scratch; c[Ctl.atScratchBytes] = scratchBytes; c[Ctl.atInRow] = shape.inputRow;
  c[Ctl.atGroup] = group;
  c[Ctl.total] = pairs / group;
  fill(c);
  runJob(runtime(), c, threads);
}

/** Elements an input of `shape` spans from its first: (B·N − 1) rows of inputRow, then one of D. */
const inputSpan = (shape: AttentionShape): number => (shape.batch * shape.seq - 1) * shape.inputRow + shape.heads * shape.headSize;

/** out = merge(softmax(s·q kᵀ) v) per (batch, head) over float32 q, k, v (rows shape.inputRow apart) into contiguous out; p [B·H, N, N] keeps the probabilities (null: not kept). */
export function attentionF32(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, p: Float32Array | null, shape: AttentionShape): void {
  const n = shape.batch * shape.seq * shape.heads * shape.headSize, span = inputSpan(shape);
  if (n === 0) return;
  staged((s) => {
    const qAt = s.input(q.subarray(0, span)), kAt = s.input(k.subarray(0, span)), vAt = s.input(v.subarray(0, span));
    const outAt = s.output(out.subarray(0, n));
    const pAt = p ? s.output(p.subarray(0, shape.batch * shape.heads * shape.seq * shape.seq)) : 0;
    runAttention(s, shape, false, (c) => {
      c[Ctl.atQ] = qAt; c[Ctl.atK] = kAt; c[Ctl.atV] = vAt; c[Ctl.atOut] = outAt; c[Ctl.atP] = pAt;
    });
  });
}

/** dq, dk, dv (null: not wanted) of attentionF32 from the upstream gradient dy and the kept probabilities p. */
export function attentionBackwardF32(dy: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, p: Float32Array,
                                     dq: Float32Array | null, dk: Float32Array | null, dv: Float32Array | null, shape: AttentionShape): void {
  const n = shape.batch * shape.seq * shape.heads * shape.headSize, span = inputSpan(shape);
  if (n === 0) return;
  staged((s) => {
    const dyAt = s.input(dy.subarray(0, n));
    const [qAt, kAt, vAt] = [q, k, v].map((x) => s.input(x.subarray(0, span)));
    const pAt = s.input(p.subarray(0, shape.batch * shape.heads * shape.seq * shape.seq));
    const [dqAt, dkAt, dvAt] = [dq, dk, dv].map((x) => (x ? s.output(x.subarray(0, n)) : 0));
    runAttention(s, shape, true, (c) => {
      c[Ctl.atOut] = dyAt; c[Ctl.atQ] = qAt; c[Ctl.atK] = kAt; c[Ctl.atV] = vAt; c[Ctl.atP] = pAt;
      c[Ctl.atDq] = dqAt; c[Ctl.atDk] = dkAt; c[Ctl.atDv] = dvAt;
    });
  });
}

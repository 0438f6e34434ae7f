// Training metrics: top-1 counts, running means, a throughput meter and the metrics.jsonl writer.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-write.js';
import { dirname } from 'node:path';
import type { Tensor } from '../../engine/index.js';

/** How many rows of logits [N, C] have their largest entry at the label (ties: the first index, as argmax). */
export function countCorrect(logits: Tensor, labels: Tensor): number {
  if (logits.ndim !== 2 || labels.ndim !== 1 || labels.dim(0) !== logits.dim(0)) {
    throw new Error(`countCorrect: expected logits [N, C] and labels [N], got ${JSON.stringify(logits.shape)} and ${JSON.stringify(labels.shape)}`);
  }
  const [n, c] = logits.shape;
  const v = logits.toTypedArray(), l = labels.toTypedArray();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (v[i * c + j] > v[i * c + best]) best = j;
    if (best === l[i]) correct++;
  }
  return correct;
}

/** A weighted mean that can be reset (per epoch, per logging window). */
export class RunningMean {
  private sum = 0;
  private weight = 0;

  add(value: number, weight = 1): void {
    this.sum += value * weight;
    this.weight += weight;
  }

  get mean(): number {
    return this.weight === 0 ? NaN : this.sum / this.weight;
  }

  get count(): number {
    return this.weight;
  }

  reset(): void {
    this.sum = 0;
    this.weight = 0;
  }
}

/** Images per second, smoothed exponentially over steps (the first step, often slow, counts least). */
export class Throughput {
  private last = performance.now();
  private rate = NaN;

  constructor(private readonly smoothing = 0.9) {}

  /** Marks the end of a step that processed `images`; returns the smoothed rate. */
  tick(images: number): number {
    const now = performance.now();
    const seconds = Math.max(1e-6, (now - this.last) / 1000);
    this.last = now;
    const current = images / seconds;
    this.rate = Number.isNaN(this.rate) ? current : this.smoothing * this.rate + (1 - this.smoothing) * current;
    return this.rate;
  }

  /** Restarts the clock (after an evaluation or a checkpoint, which are not training time). */
  restart(): void {
    this.last = performance.now();
  }

  get imagesPerSecond(): number {
    return this.rate;
  }
}

/** Appends one JSON object per line; numbers that are not finite become null (JSON has no NaN). */
export class MetricsLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  /**
   * Keeps the rows up to `step` (a resumed run is about to write the later ones again) and drops a torn line;
   * returns how many lines were dropped.
   */
  truncateAfter(step: number): number {
    if (!existsSync(this.path)) return 0;
    const lines = readFileSync(this.path, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const kept = lines.filter((line) => {
      try {
        const row = JSON.parse(line) as { step?: unknown };
        return typeof row.step === 'number' && row.step <= step;
      } catch {
        return false;
      }
    });
    if (kept.length !== lines.length) writeFileAtomic(this.path, new TextEncoder().encode(kept.map((l) => `${l}\n`).join('')));
    return lines.length - kept.length;
  }

  append(record: Record<string, unknown>): void {
    const line = JSON.stringify(record, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
    appendFileSync(this.path, `${line}\n`);
  }
}

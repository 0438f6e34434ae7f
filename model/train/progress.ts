// What the trainer prints: a live bar with loss, accuracy, images/s and ETA when stderr is a terminal; one line
// per epoch otherwise (CI logs stay short); nothing with log: false. Every line, the trainer's and the caller's
// (the pipeline's stage lines), goes through one writer, so log lines print above the bar and the bar is redrawn.

/** The streams the writer uses; process.stdout and process.stderr by default. */
export interface WriterStreams {
  out: { write(s: string): unknown; isTTY?: boolean };
  err: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

/** Log lines to `out`; at most one live line (the bar) at the bottom of `err` when `err` is a terminal. */
export class TerminalWriter {
  private bar: string | null = null;

  constructor(private readonly streams: WriterStreams = { out: process.stdout, err: process.stderr }) {}

  /** True when a bar can be drawn: stderr is a terminal. */
  get interactive(): boolean {
    return this.streams.err.isTTY === true;
  }

  /** Prints a line above the bar: erase the bar, write the line, draw the bar again. */
  log(line: string): void {
    const shared = this.bar !== null && this.streams.out.isTTY === true;
    if (shared) this.streams.err.write('\r\x1b[2K');
    this.streams.out.write(`${line}\n`);
    if (shared) this.streams.err.write(this.fitted(this.bar!));
  }

  /** Draws (or redraws) the bar in place; cut to the terminal's width, since a wrapped line cannot be redrawn. */
  setBar(text: string): void {
    if (!this.interactive) return;
    this.bar = text;
    this.streams.err.write(`\r${this.fitted(text)}\x1b[K`);
  }

  /** Erases the bar and forgets it. */
  clearBar(): void {
    if (this.bar === null) return;
    this.bar = null;
    this.streams.err.write('\r\x1b[2K');
  }

  private fitted(text: string): string {
    const width = (this.streams.err.columns ?? 80) - 1;
    return text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text;
  }
}

/** The process's writer: the trainer's bar and every log line of the pipeline and the CLI go through it. */
export const terminal = new TerminalWriter();

/** Prints one log line through the process's writer (above the bar when one is shown). */
export function logLine(line: string): void {
  terminal.log(line);
}

export interface ProgressValues {
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  lr: number;
}

export interface EpochSummary extends ProgressValues {
  epoch: number;
  epochs: number;
  step: number;
  seconds: number;
  evalAccuracy?: number;
  evalLoss?: number;
}

export interface ProgressReporter {
  /** `batches`: the steps this epoch will run in all (fewer than the loader's length when maxSteps cuts it). */
  startEpoch(epoch: number, epochs: number, batches: number, startBatch: number): void;
  update(batchesDone: number, values: ProgressValues): void;
  endEpoch(summary: EpochSummary): void;
  message(text: string): void;
  stop(): void;
}

const fmt = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

export function formatEpochLine(s: EpochSummary): string {
  const evalPart = s.evalAccuracy === undefined ? '' : ` | eval acc ${fmt(100 * s.evalAccuracy, 2)}% loss ${fmt(s.evalLoss ?? NaN, 4)}`;
  return `epoch ${s.epoch + 1}/${s.epochs} step ${s.step} | loss ${fmt(s.loss, 4)} acc ${fmt(100 * s.accuracy, 2)}% | ` +
    `${fmt(s.imagesPerSecond, 1)} img/s | lr ${s.lr.toExponential(3)} | ${fmt(s.seconds, 1)} s${evalPart}`;
}

const BAR_WIDTH = 24;

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '-';
  const m = Math.floor(s / 60), sec = Math.round(s % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** One bar line: `epoch 1/3 ████░░░░ 40/100 | loss 0.6931 acc 51.2% | 812 img/s | lr 1.00e-3 | ETA 12s`. */
export function formatBar(epoch: number, epochs: number, done: number, total: number, v: ProgressValues | null, etaSeconds: number): string {
  const filled = total > 0 ? Math.round((BAR_WIDTH * Math.min(done, total)) / total) : 0;
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  const values = v === null
    ? 'loss - acc -% | - img/s | lr -'
    : `loss ${fmt(v.loss, 4)} acc ${fmt(100 * v.accuracy, 1)}% | ${fmt(v.imagesPerSecond, 0)} img/s | lr ${v.lr.toExponential(2)}`;
  return `epoch ${epoch + 1}/${epochs} ${bar} ${done}/${total} | ${values} | ETA ${formatSeconds(etaSeconds)}`;
}

class SilentReporter implements ProgressReporter {
  startEpoch(): void {}
  update(): void {}
  endEpoch(): void {}
  message(): void {}
  stop(): void {}
}

class LineReporter implements ProgressReporter {
  constructor(private readonly writer: TerminalWriter) {}
  startEpoch(): void {}
  update(): void {}
  endEpoch(summary: EpochSummary): void { this.writer.log(formatEpochLine(summary)); }
  message(text: string): void { this.writer.log(text); }
  stop(): void {}
}

// Redrawing more often than this only costs time: the eye reads about five updates a second.
const REDRAW_MS = 200;

class BarReporter implements ProgressReporter {
  private epoch = 0;
  private epochs = 1;
  private total = 0;
  private firstBatch = 0;
  private started = 0;
  private lastDraw = -Infinity;

  constructor(private readonly writer: TerminalWriter) {}

  startEpoch(epoch: number, epochs: number, batches: number, startBatch: number): void {
    Object.assign(this, { epoch, epochs, total: batches, firstBatch: startBatch, started: performance.now(), lastDraw: -Infinity });
    this.writer.setBar(formatBar(epoch, epochs, startBatch, batches, null, NaN));
  }

  update(batchesDone: number, v: ProgressValues): void {
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_MS && batchesDone < this.total) return;
    this.lastDraw = now;
    const rate = (batchesDone - this.firstBatch) / ((now - this.started) / 1000);
    this.writer.setBar(formatBar(this.epoch, this.epochs, batchesDone, this.total, v, (this.total - batchesDone) / rate));
  }

  endEpoch(summary: EpochSummary): void {
    this.writer.clearBar();
    this.writer.log(formatEpochLine(summary));
  }

  message(text: string): void {
    this.writer.log(text);
  }

  stop(): void {
    this.writer.clearBar();
  }
}

/** The bar on a terminal, epoch lines elsewhere, silence with log = false. */
export function createReporter(log: boolean, writer: TerminalWriter = terminal): ProgressReporter {
  if (!log) return new SilentReporter();
  return writer.interactive ? new BarReporter(writer) : new LineReporter(writer);
}

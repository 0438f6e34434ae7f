// What the trainer prints: a live bar (cli-progress) with loss, accuracy, images/s and ETA when stderr is
// a terminal; one line per epoch otherwise (CI logs stay short); nothing with log: false.
import cliProgress from 'cli-progress';

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

class SilentReporter implements ProgressReporter {
  startEpoch(): void {}
  update(): void {}
  endEpoch(): void {}
  message(): void {}
  stop(): void {}
}

class LineReporter implements ProgressReporter {
  startEpoch(): void {}
  update(): void {}
  endEpoch(summary: EpochSummary): void { console.log(formatEpochLine(summary)); }
  message(text: string): void { console.log(text); }
  stop(): void {}
}

class BarReporter implements ProgressReporter {
  private bar: cliProgress.SingleBar | null = null;

  startEpoch(epoch: number, epochs: number, batches: number, startBatch: number): void {
    this.bar?.stop();
    this.bar = new cliProgress.SingleBar({
      format: `epoch ${epoch + 1}/${epochs} {bar} {value}/{total} | loss {loss} acc {acc}% | {ips} img/s | lr {lr} | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 5,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(batches, startBatch, { loss: '-', acc: '-', ips: '-', lr: '-' });
  }

  update(batchesDone: number, v: ProgressValues): void {
    this.bar?.update(batchesDone, { loss: fmt(v.loss, 4), acc: fmt(100 * v.accuracy, 1), ips: fmt(v.imagesPerSecond, 0), lr: v.lr.toExponential(2) });
  }

  endEpoch(summary: EpochSummary): void {
    this.bar?.stop();
    this.bar = null;
    process.stderr.write(`${formatEpochLine(summary)}\n`);
  }

  message(text: string): void {
    if (this.bar) process.stderr.write('\n');
    process.stderr.write(`${text}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** The bar on a terminal, epoch lines elsewhere, silence with log = false. */
export function createReporter(log: boolean): ProgressReporter {
  if (!log) return new SilentReporter();
  return process.stderr.isTTY ? new BarReporter() : new LineReporter();
}

// Timing: benchmark.js around one call of a kernel or a training step. Asynchronous calls run in
// benchmark.js's deferred mode. Warm-up calls (kernel compilation, first-touch allocation, JIT) run
// before benchmark.js starts, so they are never sampled. A call slower than `slowCallS` is timed by
// hand over a few calls instead: benchmark.js would spend at least minSamples × (its own calibration)
// on it, and one call already dwarfs the timer's resolution. A call slower than `singleCallS` (gpu.js's
// JavaScript reference mode on a large matmul) is timed once, so one slow backend cannot stall the run.
import Benchmark from 'benchmark';

export interface Stats {
  /** Mean seconds per call. */
  meanS: number;
  /** benchmark.js's relative margin of error at 95% (percent); null when timed by hand (see min/max). */
  rme: number | null;
  minS: number;
  maxS: number;
  samples: number;
  how: 'benchmark.js' | 'manual' | 'perf_counter';
}

export interface MeasureOptions {
  /** Seconds each benchmark.js sample should last (it loops the call until it does). */
  minTime: number;
  /** Seconds after which benchmark.js stops sampling (once it has minSamples). */
  maxTime: number;
  minSamples: number;
  warmup: number;
  /** A warm call slower than this is timed by hand, `manualSamples` times. */
  slowCallS: number;
  manualSamples: number;
  /** A warm-up call slower than this is timed once more, alone (a backend far off the pace). */
  singleCallS: number;
  /** A first (warm-up) call slower than this is not timed at all: the case is reported as skipped. */
  maxWarmupS: number;
}

/** Thrown by measure when the warm-up call alone exceeded maxWarmupS. */
export class TooSlowError extends Error {}

export type Call = () => void | Promise<void>;

async function timeOnce(fn: Call): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1e3;
}

/** Times `fn`. `async` selects benchmark.js's deferred mode (each call awaited before the next). */
export async function measure(fn: Call, async: boolean, opts: MeasureOptions): Promise<Stats> {
  // Every case gets `warmup` calls unless one is slower than singleCallS (a backend far off the pace): a first
  // call that compiles (slower than slowCallS) is not enough, the next may still run code not yet optimized
  // (wasm tiers up in the background). The rest is timed from the last warm-up call's speed.
  let last = await timeOnce(fn);
  if (last > opts.maxWarmupS) throw new TooSlowError(`warm-up call took ${last.toFixed(1)} s (> ${opts.maxWarmupS} s): not timed`);
  for (let i = 1; i < opts.warmup && last <= opts.singleCallS; i++) last = await timeOnce(fn);
  if (last > opts.singleCallS) return measureByHand(fn, { ...opts, manualSamples: 1 });
  if (last > opts.slowCallS) return measureByHand(fn, opts);
  return async ? runBenchmark(deferredBenchmark(fn, opts)) : runBenchmark(syncBenchmark(fn, opts));
}

async function measureByHand(fn: Call, opts: MeasureOptions): Promise<Stats> {
  const times: number[] = [];
  for (let i = 0; i < Math.max(1, opts.manualSamples); i++) times.push(await timeOnce(fn));
  return {
    meanS: times.reduce((a, b) => a + b, 0) / times.length,
    rme: null,
    minS: Math.min(...times),
    maxS: Math.max(...times),
    samples: times.length,
    how: 'manual',
  };
}

function syncBenchmark(fn: Call, opts: MeasureOptions): Benchmark {
  return new Benchmark({ fn: fn as () => void, minTime: opts.minTime, maxTime: opts.maxTime, minSamples: opts.minSamples });
}

function deferredBenchmark(fn: Call, opts: MeasureOptions): Benchmark {
  let failure: unknown = null;
  const bench = new Benchmark({
    defer: true,
    minTime: opts.minTime,
    maxTime: opts.maxTime,
    minSamples: opts.minSamples,
    fn(deferred: Benchmark.Deferred) {
      // A rejected call still resolves the cycle (benchmark.js has no reject), then aborts the run.
      Promise.resolve()
        .then(fn)
        .then(
          () => deferred.resolve(),
          (err: unknown) => { failure = err; bench.abort(); deferred.resolve(); },
        );
    },
  });
  (bench as unknown as { failure: () => unknown }).failure = () => failure;
  return bench;
}

function runBenchmark(bench: Benchmark): Promise<Stats> {
  return new Promise((resolve, reject) => {
    bench.on('complete', () => {
      const failure = (bench as unknown as { failure?: () => unknown }).failure?.() ?? null;
      const error = failure ?? (bench as unknown as { error?: unknown }).error ?? null;
      if (error) { reject(error instanceof Error ? error : new Error(String(error))); return; }
      const sample = bench.stats.sample;
      if (sample.length === 0) { reject(new Error('benchmark.js collected no samples')); return; }
      resolve({
        meanS: bench.stats.mean,
        rme: bench.stats.rme,
        minS: Math.min(...sample),
        maxS: Math.max(...sample),
        samples: sample.length,
        how: 'benchmark.js',
      });
    });
    bench.run({ async: true });
  });
}

/** Mean of `n` readback timings; each call computes a fresh result untimed and returns the seconds its readback took. */
export async function measureReadback(readbackOnce: () => Promise<number>, n: number): Promise<number> {
  await readbackOnce();
  let total = 0;
  for (let i = 0; i < n; i++) total += await readbackOnce();
  return total / n;
}

/** Seconds `fn` takes (for readback timings inside readbackOnce). */
export async function seconds(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1e3;
}

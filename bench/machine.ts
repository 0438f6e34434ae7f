// The machine a run measured, written at the top of every report: figures from two machines are not
// comparable, and neither are figures taken while other work loads the cores.
import os from 'node:os';
import { createRequire } from 'node:module';

export interface Machine {
  cpuModel: string;
  /** Logical cores (os.cpus().length) and what Node may use (os.availableParallelism()). */
  cores: number;
  availableParallelism: number;
  totalMemBytes: number;
  /** 1-minute load average at the start: near or above `cores` means the numbers are noisy. */
  loadAverage1m: number;
  node: string;
  v8: string;
  platform: string;
  arch: string;
  date: string;
  packages: Record<string, string>;
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemBytes: os.totalmem(),
    loadAverage1m: os.loadavg()[0],
    node: process.versions.node,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    date: new Date().toISOString(),
    packages: Object.fromEntries(
      ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', 'gpu.js', 'benchmark']
        .map((name) => [name, packageVersion(name)]),
    ),
  };
}

// Loading the PyTorch reference fixtures (test/reference/README.md explains the format).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor, type DeviceName, type Tensor } from '../../engine/index.js';

export interface FixtureTensor {
  shape: number[];
  data: number[];
  dtype?: 'int64';
}

export interface Fixture {
  name: string;
  dtype: 'float32' | 'float64';
  attrs: Record<string, unknown>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  grads: Record<string, FixtureTensor>;
}

/** test/reference/fixtures/<group> in the source tree (tests run from dist/, which has no fixtures). */
export function fixturesDir(group: string): string {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
      const candidate = join(dir, 'test', 'reference', 'fixtures', group);
      if (existsSync(candidate) && existsSync(join(dir, 'test', 'reference', 'README.md'))) return candidate;
    }
  }
  throw new Error(`test/reference/fixtures/${group} not found above this file or the working directory`);
}

/** File names (without .json) in a fixture group. */
export function listFixtures(group: string): string[] {
  return readdirSync(fixturesDir(group)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

export function loadFixture(group: string, file: string): Fixture {
  const parsed = JSON.parse(readFileSync(join(fixturesDir(group), `${file}.json`), 'utf8')) as Fixture;
  if (parsed.dtype !== 'float32' && parsed.dtype !== 'float64') throw new Error(`fixture ${file}: unknown dtype ${String(parsed.dtype)}`);
  return parsed;
}

/** An engine tensor from a fixture entry: int64 labels become int32, floats keep the fixture's dtype. */
export function fixtureTensor(t: FixtureTensor, dtype: 'float32' | 'float64', device: DeviceName = 'cpu'): Tensor {
  if (t.dtype === 'int64') return tensor(Int32Array.from(t.data), { shape: t.shape, dtype: 'int32', device });
  const data = dtype === 'float64' ? Float64Array.from(t.data) : Float32Array.from(t.data);
  return tensor(data, { shape: t.shape, dtype, device });
}

// The summary over several bench runs: each cell is the range over the runs, ratios included, and runs from
// machines with different core counts are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runsTable } from '../../bench/runs-table.js';
import type { JsonReport } from '../../bench/table.js';

const machine = (cores: number) => ({ cpuModel: 'cpu', cores, availableParallelism: cores, totalMemBytes: 1, loadAverage1m: 0, node: 'v20', v8: '11', platform: 'linux', arch: 'x64', date: 'd', packages: {} });
const row = (backend: string, throughput: number, ratioToTorch: number | null) => ({
  family: 'vit' as const, key: 'vit|train', shape: 'ViT', op: 'train step', backend, mode: null, unit: 'images/s' as const, amount: 64,
  status: 'ok' as const, throughput, ratioToTfjsWasm: null, ratioToTorch,
});
const report = (ours1: number, torch1: number, ours2: number, torch2: number): JsonReport => ({
  machine: machine(2), quick: true, backends: [],
  rows: [row('engine cpu 1T', ours1, ours1 / torch1), row('pytorch 1T', torch1, null), row('engine cpu', ours2, ours2 / torch2), row('pytorch', torch2, null)],
});

test('runsTable gives each cell as min–max over the runs, and one value where they agree', () => {
  const md = runsTable([report(250, 400, 350, 600), report(270, 400, 330, 550)]);
  const line = md.split('\n').find((l) => l.startsWith('| ViT | train step | images/s |'));
  // ratios: 250/400 and 270/400; 350/600 and 330/550
  assert.equal(line, '| ViT | train step | images/s | 250–270 | 400 | 0.63–0.68× | 330–350 | 550–600 | 0.58–0.60× |');
});

test('runsTable refuses runs from machines with different core counts', () => {
  const other = { ...report(1, 1, 1, 1), machine: machine(16) };
  assert.throws(() => runsTable([report(1, 1, 1, 1), other]), /different core counts \(2, 16\)/);
});

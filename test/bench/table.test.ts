// The bench report's "vs PyTorch" column: each row is compared with PyTorch at its own thread count
// ("engine cpu 1T" with "pytorch 1T", rows on every core with PyTorch on every core), PyTorch's own rows
// and rows without a PyTorch result get none, and the markdown table and JSON carry the ratio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { ratioToTorch, renderMarkdown, toJson, torchPeerOf, type Row } from '../../bench/table.js';
import { torchBackend } from '../../bench/peers/torch.js';
import type { Machine } from '../../bench/machine.js';

const stats = (meanS: number) => ({ meanS, rme: 1, minS: meanS, maxS: meanS, samples: 5, how: 'benchmark.js' as const });
const row = (backend: string, meanS: number | null): Row => ({
  family: 'vit', key: 'vit|train', shape: 'ViT', op: 'train step', backend, mode: null, unit: 'images/s', amount: 64,
  ...(meanS === null ? { status: 'error', note: 'failed' } : { status: 'ok', stats: stats(meanS) }),
});

test('torchPeerOf pairs a row with PyTorch at its thread count', () => {
  assert.equal(torchPeerOf({ backend: 'engine cpu 1T' }), 'pytorch 1T');
  assert.equal(torchPeerOf({ backend: 'engine cpu' }), torchBackend(availableParallelism()));
  assert.equal(torchPeerOf({ backend: 'engine cpu 3T' }), torchBackend(3));
  assert.equal(torchBackend(availableParallelism()), 'pytorch', 'every core is plain "pytorch", as "engine cpu" is');
});

test('ratioToTorch is PyTorch\'s time over the row\'s at the same thread count; none for PyTorch itself or without a result', () => {
  const all = availableParallelism();
  const rows = [row('engine cpu 1T', 0.4), row('engine cpu', 0.25), row('pytorch 1T', 0.2), row(torchBackend(all), 0.1), row('tfjs wasm', 2)];
  assert.equal(ratioToTorch(rows[0], rows), 0.2 / 0.4);
  if (all > 1) assert.equal(ratioToTorch(rows[1], rows), 0.1 / 0.25);
  assert.equal(ratioToTorch(rows[2], rows), null, 'PyTorch rows have no ratio to themselves');
  assert.equal(ratioToTorch(row('engine cpu 1T', null), rows), null, 'a failed row has no ratio');
  assert.equal(ratioToTorch(rows[0], rows.filter((r) => r.backend !== 'pytorch 1T')), null, 'no PyTorch result: no ratio');
  const machine: Machine = { cpuModel: 'test cpu', cores: all, availableParallelism: all, totalMemBytes: 2 ** 30, loadAverage1m: 0, node: 'v20', v8: '11', platform: 'linux', arch: 'x64', date: 'today', packages: {} };
  const md = renderMarkdown(rows, [], machine, true);
  assert.match(md, /\| vs tfjs-wasm \| vs PyTorch \| readback \|/);
  assert.ok(md.split('\n').some((l) => l.startsWith('| ViT | train step | engine cpu 1T |') && l.includes('| 0.50× |')), 'the 1T row shows 0.50× vs PyTorch');
  assert.equal(toJson(rows, [], machine, true).rows[0].ratioToTorch, 0.5);
  // the summary on top: ours and PyTorch at each thread count, and the ratio
  const summary = md.split('\n').find((l) => l.startsWith('| ViT | train step | images/s |'));
  assert.ok(summary, 'the summary has a line for the case');
  assert.ok(summary.startsWith(`| ViT | train step | images/s | 160 | 320 | 0.50× |`), `summary line: ${summary}`);
  if (all > 1) assert.ok(summary.endsWith('| 256 | 640 | 0.40× |'), `summary line: ${summary}`);
  assert.ok(!renderMarkdown(rows.filter((r) => !r.backend.startsWith('pytorch')), [], machine, true).includes('## Against PyTorch'), 'no PyTorch rows: no summary');
});

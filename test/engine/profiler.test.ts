// profile(fn): one row per op and phase with the right call counts, self ≤ total time, the bytes each op's
// own outputs took, labelled ranges (recordFunction), a sorted printable table, and no trace left behind
// (hooks off, allocation counting removed) when fn returns or throws. Counts and structure only: tests never time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProfile, getDevice, profile, randn, recordFunction, type ProfileRow } from '../../engine/index.js';
import { profiling } from '../../engine/profiler.js';

const row = (rows: readonly ProfileRow[], name: string, phase: 'forward' | 'backward'): ProfileRow => {
  const r = rows.find((x) => x.name === name && x.phase === phase);
  assert.ok(r, `no ${phase} row for ${name}; rows: ${rows.map((x) => `${x.name}/${x.phase}`).join(', ')}`);
  return r;
};

test('profile counts each op once per call, forward and backward apart, with self ≤ total and mean = total / calls', () => {
  const a = randn([8, 5], { requiresGrad: true }), b = randn([5, 3], { requiresGrad: true });
  const report = profile(() => {
    const loss = a.matmul(b).gelu().sum();
    loss.backward();
    return loss.item();
  });
  assert.equal(typeof report.result, 'number', 'the report carries what fn returned');
  const { rows } = report;
  assert.equal(row(rows, 'matmul', 'forward').calls, 1);
  assert.equal(row(rows, 'gelu', 'forward').calls, 1);
  assert.equal(row(rows, 'sum', 'forward').calls, 1);
  assert.equal(row(rows, 'sumBackward', 'backward').calls, 1);
  assert.equal(row(rows, 'geluBackward', 'backward').calls, 1);
  assert.equal(row(rows, 'matmulBackward', 'backward').calls, 1);
  assert.equal(row(rows, 'matmul', 'backward').calls, 2, "matmul's backward runs two matmuls (dA and dB), counted in the backward phase");
  assert.ok(!rows.some((r) => r.name.endsWith('Backward') && r.phase === 'forward'), 'backward rows only in the backward phase');
  for (const r of rows) {
    assert.ok(r.calls >= 1, `${r.name}: calls`);
    assert.ok(r.selfMs >= 0 && r.selfMs <= r.totalMs + 1e-9, `${r.name}: self ${r.selfMs} within total ${r.totalMs}`);
    assert.ok(Math.abs(r.meanMs - r.totalMs / r.calls) < 1e-9, `${r.name}: mean`);
  }
  // the backward of matmul calls the two matmuls: its total includes them, its self time does not
  const mb = row(rows, 'matmulBackward', 'backward'), inner = row(rows, 'matmul', 'backward');
  assert.ok(mb.totalMs >= inner.totalMs, 'matmulBackward total includes the matmuls it ran');
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].selfMs >= rows[i].selfMs, 'rows sorted by self time');
  assert.ok(report.wallMs >= Math.max(...rows.map((r) => r.totalMs)) - 1e-9, 'wall time covers every row');
});

test('profile counts the bytes each op allocates for itself: an [8, 3] float32 output is 96 bytes', () => {
  const a = randn([8, 5]), b = randn([5, 3]);
  const { rows } = profile(() => a.matmul(b).gelu());
  assert.equal(row(rows, 'matmul', 'forward').selfBytes, 8 * 3 * 4);
  assert.equal(row(rows, 'gelu', 'forward').selfBytes, 8 * 3 * 4);
});

test('recordFunction labels a range as its own row; the ops inside it keep their rows and leave it only its self time', () => {
  const a = randn([4, 4]);
  const { rows } = profile(() => {
    for (let i = 0; i < 3; i++) recordFunction('my step', () => a.exp().mul(2));
  });
  const step = row(rows, 'my step', 'forward');
  assert.equal(step.calls, 3);
  assert.equal(row(rows, 'exp', 'forward').calls, 3);
  assert.equal(row(rows, 'mul', 'forward').calls, 3);
  assert.ok(step.selfMs <= step.totalMs - row(rows, 'exp', 'forward').totalMs + 1e-9, 'the range self time excludes its ops');
  // outside profile(), recordFunction just runs its function
  assert.equal(recordFunction('outside', () => 42), 42);
});

test('the table lists every row under torch-like headers, sorted and limited as asked', () => {
  const a = randn([6, 6], { requiresGrad: true });
  const report = profile(() => { a.exp().sum().backward(); });
  const text = report.table();
  for (const header of ['Name', 'Phase', 'Self', 'Total', 'Calls', 'Mean', 'Self alloc']) assert.match(text, new RegExp(header));
  for (const r of report.rows) assert.ok(text.includes(r.name), `table lists ${r.name}`);
  assert.match(text, /Wall time/);
  const looped = profile(() => { for (let i = 0; i < 3; i++) a.exp(); a.sum(); });
  const limited = formatProfile(looped.rows, looped.wallMs, { rowLimit: 1, sortBy: 'calls' });
  const body = limited.split('\n').filter((l) => /forward|backward/.test(l) && !l.startsWith('Name'));
  assert.equal(body.length, 1, 'rowLimit 1 keeps one row');
  const cells = body[0].trim().split(/\s{2,}/);
  assert.deepEqual([cells[0], cells[5]], ['exp', '3'], 'sorted by calls: exp (3 calls) before sum (1)');
});

test('profile leaves nothing behind: hooks off and allocation counting removed after a return or a throw; profiles do not nest', () => {
  const device = getDevice('cpu');
  profile(() => randn([2]).exp());
  assert.equal(profiling.on, false);
  assert.equal(Object.prototype.hasOwnProperty.call(device, 'alloc'), false, 'the device allocates through its own method again');
  assert.throws(() => profile(() => { throw new Error('boom'); }), /boom/);
  assert.equal(profiling.on, false, 'off after a throw');
  assert.equal(Object.prototype.hasOwnProperty.call(device, 'alloc'), false);
  assert.throws(() => profile(() => profile(() => 1)), /already running/);
  assert.equal(profiling.on, false);
});

// The one writer for log lines and the progress bar: on a terminal a log line erases the bar, prints, and the
// bar is redrawn below it; the bar never wraps; off a terminal only plain lines come out. And the bar counts
// the steps an epoch will really run (maxSteps), not the loader's length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Linear, SGD, DataLoader, fit, syntheticDataset, crossEntropyLoss, createReporter, TerminalWriter, formatBar, type WriterStreams, Module } from '../../model/index.js';
import type { Tensor } from '../../engine/index.js';

function fakeStreams(tty: boolean, columns = 80): WriterStreams & { text: () => string } {
  const chunks: string[] = [];
  const stream = (name: string) => ({ isTTY: tty, columns, write: (s: string) => { chunks.push(`${name}:${s}`); return true; } });
  return { out: stream('out'), err: stream('err'), text: () => chunks.join('|') };
}

test('on a terminal, a log line erases the bar, prints on stdout, and the bar is redrawn after it', () => {
  const s = fakeStreams(true);
  const w = new TerminalWriter(s);
  w.setBar('epoch 1/1 [bar] 3/10');
  w.log('[stage] step 3/10: eval accuracy 50.00%');
  w.clearBar();
  w.log('done');
  assert.equal(s.text(), [
    'err:\repoch 1/1 [bar] 3/10\x1b[K',
    'err:\r\x1b[2K', 'out:[stage] step 3/10: eval accuracy 50.00%\n', 'err:epoch 1/1 [bar] 3/10',
    'err:\r\x1b[2K', 'out:done\n',
  ].join('|'));
});

test('the bar is cut to the terminal width (a wrapped line could not be redrawn in place)', () => {
  const s = fakeStreams(true, 30);
  new TerminalWriter(s).setBar('x'.repeat(100));
  assert.equal(s.text(), `err:\r${'x'.repeat(28)}…\x1b[K`);
});

test('off a terminal, no bar and no control characters: only the log lines', () => {
  const s = fakeStreams(false);
  const w = new TerminalWriter(s);
  w.setBar('epoch 1/1 [bar] 3/10');
  w.log('a');
  w.clearBar();
  w.log('b');
  assert.equal(s.text(), 'out:a\n|out:b\n');
  const r = createReporter(true, w);
  r.startEpoch(0, 1, 10, 0);
  r.update(5, { loss: 1, accuracy: 0.5, imagesPerSecond: 10, lr: 1e-3 });
  r.message('m');
  r.stop();
  assert.equal(s.text(), 'out:a\n|out:b\n|out:m\n');
});

test('formatBar shows done/total, the values and the ETA', () => {
  const bar = formatBar(0, 2, 25, 100, { loss: 0.5, accuracy: 0.75, imagesPerSecond: 300, lr: 1e-3 }, 75);
  assert.match(bar, /^epoch 1\/2 █{6}░{18} 25\/100 \| loss 0\.5000 acc 75\.0% \| 300 img\/s \| lr 1\.00e-3 \| ETA 1m15s$/);
});

class Tiny extends Module {
  readonly fc: Linear;
  constructor() { super(); this.fc = this.registerModule('fc', new Linear(16, 2)); }
  forward(x: Tensor): Tensor { return this.fc.forward(x.reshape(x.dim(0), 16)); }
}

test('the bar of a run cut by maxSteps counts its real steps (10 of a 25-batch epoch shows /10)', async () => {
  const s = fakeStreams(true, 200);
  const writer = new TerminalWriter(s);
  const loader = new DataLoader(syntheticDataset({ n: 100, classes: 2, size: 4, seed: 0 }), { batchSize: 4 });
  assert.equal(loader.length, 25);
  const model = new Tiny();
  const ce = crossEntropyLoss();
  await fit(model, loader, {
    epochs: 1, maxSteps: 10, optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss: (logits, labels) => ({ loss: ce(logits, labels) }), reporter: createReporter(true, writer),
  });
  const totals = [...s.text().matchAll(/ (\d+)\/(\d+) \|/g)].map((m) => m[2]);
  assert.ok(totals.length > 0, s.text());
  assert.deepEqual([...new Set(totals)], ['10']);
});

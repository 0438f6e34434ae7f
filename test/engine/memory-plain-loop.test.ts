// A plain PyTorch-style loop (no scope(), no dispose()) keeps memory flat: live tensors, storages and
// engine bytes after step 2,000 equal those after step 100, and a tensor the user holds stays valid.
// A loop that really keeps something from every step gets one console.warn saying what to do.
// (Its own file: the loops are synchronous, so no finalizer can run and blur the counts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, Generator, keep, memory, noGrad, randint, randn, tensor, type MemoryStats, type Tensor } from '../../engine/index.js';
import { resetLeakWatch } from '../../engine/memory.js';
import { AdamW, Linear, Module, VisionTransformer, vitConfig } from '../../model/index.js';

const cpuStats = (): MemoryStats => ({ ...memory().cpu! });

/** Runs fn with console.warn captured; returns the messages. */
function capturingWarnings(fn: () => void): string[] {
  const messages: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => { messages.push(args.join(' ')); };
  try {
    fn();
  } finally {
    console.warn = original;
  }
  return messages;
}

test('2,000 plain steps of a tiny ViT with AdamW: memory() after step 2,000 equals after step 100, no warning', () => {
  resetLeakWatch();
  const generator = new Generator(0);
  const model = new VisionTransformer(vitConfig('mnist_tiny', { imgSize: 8, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2, numClasses: 3 }), { generator });
  const optimizer = new AdamW(model.parameters(), { lr: 3e-3 });
  const images = randn([4, 1, 8, 8], { generator });
  const labels = randint(0, 3, [4], { generator });
  let firstLogits: Tensor | undefined;
  let firstLogitsValues: number[] = [];
  let at100: MemoryStats | undefined;
  let firstLoss = NaN, lastLoss = NaN;
  const warnings = capturingWarnings(() => {
    for (let step = 1; step <= 2000; step++) {
      const logits = model.call(images);
      const loss = F.crossEntropy(logits, labels);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      lastLoss = loss.item();
      if (step === 1) {
        firstLoss = lastLoss;
        firstLogits = logits;
        firstLogitsValues = [...logits.toTypedArray()];
      }
      if (step === 100) at100 = cpuStats();
    }
  });
  const at2000 = cpuStats();
  assert.deepEqual(at2000, at100, `memory after step 2,000 ${JSON.stringify(at2000)} differs from after step 100 ${JSON.stringify(at100)}`);
  assert.ok(lastLoss < firstLoss / 2, `the loop trains (loss ${firstLoss} → ${lastLoss}), so the steps did real work`);
  assert.deepEqual([...firstLogits!.toTypedArray()], firstLogitsValues, 'the logits of step 1, still held, keep their values');
  assert.deepEqual(warnings, [], 'a loop that keeps nothing gets no leak warning');
});

test('2,000 plain steps of an MLP updated with sub_ under noGrad (the README loop): memory flat', () => {
  resetLeakWatch();
  const generator = new Generator(1);
  const init = (shape: number[]) => randn(shape, { generator, std: 0.3, requiresGrad: true });
  const params = [init([16, 8]), init([16]), init([4, 16]), init([4])];
  const x = randn([8, 8], { generator });
  const y = randn([8, 4], { generator });
  let at100: MemoryStats | undefined;
  for (let step = 1; step <= 2000; step++) {
    const [w1, b1, w2, b2] = params;
    const loss = F.mseLoss(F.linear(F.linear(x, w1, b1).gelu(), w2, b2), y);
    loss.backward();
    noGrad(() => { for (const p of params) { p.sub_(p.grad!, 0.05); p.grad = null; } });
    if (step === 100) at100 = cpuStats();
  }
  assert.deepEqual(cpuStats(), at100);
});

test('a loop that adds up the loss as a tensor (total = total.add(loss)) keeps every step: one warning names the fix', () => {
  resetLeakWatch();
  const generator = new Generator(2);
  const w = randn([4, 4], { generator, requiresGrad: true });
  const x = randn([2, 4], { generator });
  let total = tensor(0);
  const warnings = capturingWarnings(() => {
    for (let step = 0; step < 1200; step++) {
      const loss = x.matmul(w).square().mean();
      loss.backward();
      noGrad(() => { w.sub_(w.grad!, 0.01); });
      w.grad = null;
      total = total.add(loss); // keeps each step's loss in a graph that is never backpropagated
    }
  });
  assert.equal(warnings.length, 1, `one warning, got ${JSON.stringify(warnings)}`);
  assert.match(warnings[0], /live tensors grew/);
  assert.match(warnings[0], /loss\.item\(\)/);
  assert.match(warnings[0], /scope\(/);
  assert.ok(Number.isFinite(total.item()));
});

/** A layer that stashes its hidden activation (to show it later), with or without keep(). */
class Stashing extends Module {
  readonly fc: Linear;
  hidden: Tensor | null = null;
  constructor(readonly keepHidden: boolean) {
    super();
    this.fc = this.registerModule('fc', new Linear(3, 3, { generator: new Generator(4) }));
  }
  forward(x: Tensor): Tensor {
    const h = this.fc.call(x).relu();
    this.hidden = this.keepHidden ? keep(h) : h;
    return h.sum();
  }
}

test("a module's forward owns what it does not return: backward() frees it, and a later read says keep()", () => {
  const x = randn([2, 3], { generator: new Generator(5) });
  const plain = new Stashing(false);
  plain.call(x).backward();
  assert.throws(() => plain.hidden!.toArray(), /backward\(\) freed it.*Module's forward.*keep\(\)/);
  const kept = new Stashing(true);
  const out = kept.call(x);
  const before = kept.hidden!.toArray();
  out.backward();
  assert.deepEqual(kept.hidden!.toArray(), before, 'a kept internal stays valid after backward()');
  assert.ok(kept.fc.weight.grad !== null, 'and the gradient still flows');
});

// A custom layer: a SwiGLU MLP Module placed in every block of a ViT through `mlpFactory`, trained a
// few steps with plain SGD. Also runs the README's custom-layer snippet exactly as written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { F, Generator, noGrad, randint, randn, type DType, type Tensor } from '../../engine/index.js';
import { Linear, Module, VisionTransformer, vitConfig } from '../../model/index.js';

/** fc2(silu(x W_gate) ⊙ x W_value), with gate and value in one fc1 of width 2·hidden. */
class GatedMlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(dim: number, hidden: number, options: { dtype?: DType; generator?: Generator } = {}) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(dim, 2 * hidden, options));
    this.fc2 = this.registerModule('fc2', new Linear(hidden, dim, options));
  }

  forward(x: Tensor): Tensor {
    const [gate, value] = this.fc1.forward(x).chunk(2, -1);
    return this.fc2.forward(gate.mul(gate.sigmoid()).mul(value));
  }
}

test('a GatedMlp in place of every Mlp: named as a block child, gets gradients, and SGD lowers the loss', () => {
  const generator = new Generator(11);
  const cfg = vitConfig('mnist_tiny', { depth: 2, embedDim: 32, numHeads: 2, imgSize: 8, patchSize: 4, numClasses: 4 });
  const model = new VisionTransformer(cfg, {
    generator, mlpFactory: ({ dim, hiddenDim, dtype }) => new GatedMlp(dim, hiddenDim / 2, { dtype, generator }),
  });
  const names = model.namedParameters().map(([n]) => n);
  assert.deepEqual(names.filter((n) => n.startsWith('blocks.1.mlp.')), ['blocks.1.mlp.fc1.weight', 'blocks.1.mlp.fc1.bias', 'blocks.1.mlp.fc2.weight', 'blocks.1.mlp.fc2.bias']);
  assert.ok(model.blocks.at(0).namedModules().some(([, m]) => m instanceof GatedMlp));
  const fc1 = model.namedParameters().find(([n]) => n === 'blocks.0.mlp.fc1.weight')![1];
  assert.deepEqual(fc1.shape, [128, 32]); // 2 · (hidden 128 / 2), embedDim 32

  const images = randn([16, 1, 8, 8], { generator });
  const labels = randint(0, 4, [16], { generator });
  const losses: number[] = [];
  for (let step = 0; step < 8; step++) {
    const loss = F.crossEntropy(model.call(images), labels);
    model.zeroGrad();
    loss.backward();
    if (step === 0) assert.ok(fc1.grad && fc1.grad.abs().max().item() > 0, 'the custom layer receives gradients');
    noGrad(() => { for (const p of model.parameters()) p.sub_(p.grad!, 0.1); });
    losses.push(loss.item());
  }
  assert.ok(losses.at(-1)! < losses[0] * 0.9, `loss should fall by 10%: ${losses.map((l) => l.toFixed(4)).join(' → ')}`);
  assert.ok(losses.every((l, i) => i === 0 || l < losses[i - 1] + 1e-3), `loss should keep falling: ${losses.join(', ')}`);
});

test('blockFactory replaces whole blocks (here: identity blocks leave only embed → norm → head)', () => {
  class Skip extends Module { forward(x: Tensor): Tensor { return x; } }
  const cfg = vitConfig('mnist_tiny', { depth: 3 });
  const model = new VisionTransformer(cfg, { blockFactory: () => new Skip() });
  assert.equal(model.blocks.length, 3);
  assert.ok(!model.namedParameters().some(([n]) => n.startsWith('blocks.')));
  assert.deepEqual(model.forward(randn([2, 1, 28, 28])).shape, [2, 10]);
});

test('the README snippet (Writing a custom layer) runs as written and its loss falls', () => {
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'README.md')) && root !== dirname(root)) root = dirname(root);
  const markdown = readFileSync(join(root, 'README.md'), 'utf8');
  const section = markdown.slice(markdown.indexOf('### Writing a custom layer'));
  const source = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(source, 'the README has a ```ts block');
  // types are erased as a user's build would; test/readme-typecheck.test.ts checks them under strict tsc
  const code = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  // inside the package (dist/ is ignored), so 'tleg-ts/model' resolves to this build by self-reference
  const file = join(root, 'dist', `readme-custom-layer-${process.pid}.mjs`);
  writeFileSync(file, code);
  try {
    const run = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8' });
    assert.equal(run.status, 0, `the snippet failed:\n${run.stderr}`);
    const losses = [...run.stdout.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
    assert.equal(losses.length, 5, run.stdout);
    assert.ok(losses[4] < losses[0], `loss should fall: ${losses.join(' → ')}`);
  } finally {
    rmSync(file, { force: true });
  }
});

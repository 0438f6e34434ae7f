// A transformer block adds each residual inside the branch's last linear (attn.proj, mlp.fc2) when nothing
// stochastic comes between: the same float32 values and gradients as x + branch(x) written out, and the
// explicit add still where stochastic depth, proj_drop or a custom MLP sits there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, profile, randn, type Tensor } from '../../engine/index.js';
import { Block } from '../../model/index.js';
import { Module } from '../../model/module.js';

/** x + attn(norm1(x)), then + mlp(norm2(x)), written out with the separate adds. */
function composed(block: Block, x: Tensor): Tensor {
  const h = x.add(block.attn.forward(block.norm1.forward(x)));
  return h.add(block.mlp.forward(block.norm2.forward(h)));
}

function run(block: Block, x: Tensor, forward: (b: Block, x: Tensor) => Tensor): { y: Float32Array; grads: Float32Array[] } {
  block.zeroGrad();
  const input = x.detach().requiresGrad_();
  const y = forward(block, input);
  y.square().sum().backward();
  return { y: y.toTypedArray() as Float32Array, grads: [input, ...block.parameters()].map((t) => t.grad!.toTypedArray() as Float32Array) };
}

test('Block.forward gives the written-out residual adds bit for bit, values and every gradient, training and eval', () => {
  const block = new Block(64, { numHeads: 4, generator: new Generator(1) });
  const x = randn([6, 50, 64], { generator: new Generator(2) });
  for (const training of [true, false]) {
    block.train(training);
    const fused = run(block, x, (b, t) => b.forward(t)), written = run(block, x, composed);
    assert.deepEqual(fused.y, written.y, `output (${training ? 'training' : 'eval'})`);
    fused.grads.forEach((g, i) => assert.deepEqual(g, written.grads[i], `gradient ${i} (${training ? 'training' : 'eval'})`));
  }
  // the residual adds are inside the linears: no add op runs (the probe sees only the block)
  const report = profile(() => block.forward(x));
  assert.equal(report.rows.filter((r) => r.name === 'add').length, 0, report.table({}));
});

test('Block keeps the explicit add where stochastic depth, proj_drop or a custom MLP sits between', () => {
  const x = randn([2, 5, 16], { generator: new Generator(3) });
  class Doubler extends Module { forward(t: Tensor): Tensor { return t.mul(2); } }
  const cases: [string, Block][] = [
    ['drop path', new Block(16, { numHeads: 2, dropPath: 0.5, generator: new Generator(4) })],
    ['proj_drop', new Block(16, { numHeads: 2, dropRate: 0.5, generator: new Generator(4) })],
    ['custom mlp', new Block(16, { numHeads: 2, mlp: new Doubler(), generator: new Generator(4) })],
  ];
  for (const [what, block] of cases) {
    block.train(true);
    const adds = profile(() => block.forward(x)).rows.filter((r) => r.name === 'add').reduce((n, r) => n + r.calls, 0);
    assert.ok(adds >= 1, `${what}: expected an explicit residual add, saw ${adds}`);
  }
});

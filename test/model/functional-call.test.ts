// functionalCall (torch.func.functional_call) and the one-forward layers it relies on: a module run with
// substituted tensors computes what a module holding copies of them computes, gradients reach the
// substitutes, the module's own tensors come back even when forward throws, and a layer's forward runs
// through its children (a replaced `mlp.act` is the one used).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Generator, noGrad, randn, zeros, type Tensor } from '../../engine/index.js';
import { Block, functionalCall, GELU, Linear, Mlp, Module, SiLU, VisionTransformer, type ViTConfig } from '../../model/index.js';

const tiny = (over: Partial<ViTConfig> = {}): ViTConfig => ({
  imgSize: 8, inChans: 1, patchSize: 4, embedDim: 8, depth: 2, numHeads: 2, mlpRatio: 2, qkvBias: true,
  numClasses: 3, pool: 'cls', dropPathRate: 0, dropRate: 0, lnEps: 1e-6, ...over,
});

const values = (t: Tensor): number[] => Array.from(t.toTypedArray());

test('functionalCall(A, B.stateDict(), x) equals B.forward(x) exactly, and A keeps its own tensors (random configs)', () => {
  fc.assert(fc.property(
    fc.record({ depth: fc.integer({ min: 1, max: 3 }), pool: fc.constantFrom('cls' as const, 'avg' as const), qkvBias: fc.boolean(),
      numClasses: fc.integer({ min: 0, max: 4 }), seed: fc.nat(1000), batch: fc.integer({ min: 1, max: 3 }) }),
    ({ seed, batch, ...over }) => {
      const a = new VisionTransformer(tiny(over), { generator: new Generator(seed) }).eval();
      const b = new VisionTransformer(tiny(over), { generator: new Generator(seed + 1) }).eval();
      const x = randn([batch, 1, 8, 8], { generator: new Generator(seed + 2) });
      const before = new Map(a.namedParameters());
      const ownOutput = values(noGrad(() => a.forward(x)));
      assert.deepEqual(values(noGrad(() => functionalCall(a, b.stateDict(), x))), values(noGrad(() => b.forward(x))));
      assert.deepEqual(values(noGrad(() => a.forward(x))), ownOutput, 'A computes with its own tensors again');
      for (const [name, t] of a.namedParameters()) assert.equal(t, before.get(name), `${name} is the original tensor`);
    },
  ), { numRuns: 12 });
});

test('functionalCall with some names substitutes only those (a plain record works as a Map does)', () => {
  const c = new VisionTransformer(tiny(), { generator: new Generator(1) }).eval();
  const b = new VisionTransformer(tiny(), { generator: new Generator(2) }).eval();
  const x = randn([2, 1, 8, 8], { generator: new Generator(3) });
  const head = { 'head.weight': b.head!.weight.detach(), 'head.bias': b.head!.bias!.detach() };
  const withCopiedHead = new VisionTransformer(tiny(), { generator: new Generator(1) }).eval();
  withCopiedHead.loadStateDict(head, { strict: false });
  const expected = values(noGrad(() => withCopiedHead.forward(x)));
  assert.deepEqual(values(noGrad(() => functionalCall(c, head, x))), expected);
  assert.notDeepEqual(values(noGrad(() => c.forward(x))), expected, 'C keeps its own head');
});

test('gradients flow to the substituted tensors (equal to those of a module holding copies) and not to the module\'s own', () => {
  const model = new VisionTransformer(tiny({ pool: 'avg' }), { generator: new Generator(4), dtype: 'float64' });
  const copy = new VisionTransformer(tiny({ pool: 'avg' }), { generator: new Generator(5), dtype: 'float64' });
  const x = randn([2, 1, 8, 8], { generator: new Generator(6), dtype: 'float64' });
  const substitutes = new Map(copy.namedParameters().map(([name, p]) => [name, p.detach().clone().requiresGrad_(true)]));
  functionalCall(model, substitutes, x).square().sum().backward();
  copy.forward(x).square().sum().backward();
  for (const [name, p] of copy.namedParameters()) {
    const g = substitutes.get(name)!.grad;
    assert.ok(g, `${name}: the substitute has a gradient`);
    assert.deepEqual(values(g), values(p.grad!), `${name}: gradient`);
  }
  for (const [name, p] of model.namedParameters()) assert.equal(p.grad, null, `${name}: the module's own tensor gets no gradient`);
});

test('the module\'s own tensors (map and fields) are back after forward throws', () => {
  const model = new VisionTransformer(tiny(), { generator: new Generator(7) });
  const own = new Map(model.namedParameters());
  const fields = { head: model.head!.weight, cls: model.clsToken, pos: model.posEmbed, qkv: model.blocks.at(0).namedParameters()[2][1] };
  const substitutes = new Map([...own].map(([name, p]) => [name, zeros(p.shape)]));
  assert.throws(() => functionalCall(model, substitutes, randn([1, 1, 9, 9])), /VisionTransformer: expected images \[B, 1, 8, 8\]/);
  for (const [name, p] of model.namedParameters()) assert.equal(p, own.get(name), `${name} restored`);
  assert.equal(model.head!.weight, fields.head);
  assert.equal(model.clsToken, fields.cls);
  assert.equal(model.posEmbed, fields.pos);
  assert.equal(model.blocks.at(0).namedParameters()[2][1], fields.qkv);

  // a forward that throws after it has read the substitutes
  class Boom extends Module {
    readonly lin = this.registerModule('lin', new Linear(2, 2, { generator: new Generator(8) }));
    forward(x: Tensor): Tensor {
      const y = this.lin.forward(x);
      throw new Error(`boom with ${y.shape}`);
    }
  }
  const boom = new Boom();
  const weight = boom.lin.weight;
  assert.throws(() => functionalCall(boom, { 'lin.weight': zeros([2, 2]) }, randn([1, 2])), /boom/);
  assert.equal(boom.lin.weight, weight);
  assert.equal(boom.namedParameters()[0][1], weight);
});

test('functionalCall names every unknown name, wrong shape and non-tensor at once, and substitutes nothing', () => {
  const model = new VisionTransformer(tiny(), { generator: new Generator(9) });
  const own = new Map(model.namedParameters());
  const bad = new Map<string, Tensor>([
    ['head.weight', zeros([3, 8])], // fine
    ['blocks.7.norm1.weight', zeros([8])],
    ['pos_embed', zeros([1, 4, 8])],
    ['norm.bias', 3 as unknown as Tensor],
  ]);
  assert.throws(() => functionalCall(model, bad, randn([1, 1, 8, 8])), (e: Error) => {
    assert.match(e.message, /^functionalCall: 3 problem\(s\) with the tensors given for VisionTransformer/);
    assert.match(e.message, /'blocks\.7\.norm1\.weight': no parameter or buffer of that name/);
    assert.match(e.message, /'pos_embed': shape \[1, 4, 8\] given, \[1, 5, 8\] in the module/);
    assert.match(e.message, /'norm\.bias': expected a Tensor, got number/);
    return true;
  });
  for (const [name, p] of model.namedParameters()) assert.equal(p, own.get(name), `${name} untouched`);
});

test('functionalCall substitutes buffers too', () => {
  class Shift extends Module {
    readonly offset = this.registerBuffer('offset', zeros([2]));
    forward(x: Tensor): Tensor { return x.add(this.offset); }
  }
  const m = new Shift();
  const x = randn([3, 2], { generator: new Generator(10) });
  const offset = randn([2], { generator: new Generator(11) });
  assert.deepEqual(values(functionalCall(m, { offset }, x)), values(x.add(offset)));
  assert.deepEqual(values(m.forward(x)), values(x));
});

test('Mlp runs through its children: assigning mlp.act registers the new activation and forward uses it', () => {
  const mlp = new Mlp(4, 6, { generator: new Generator(12) });
  const x = randn([2, 3, 4], { generator: new Generator(13) });
  const geluOut = values(mlp.forward(x));
  assert.deepEqual(geluOut, values(mlp.fc2.forward(mlp.fc1.forward(x).gelu())));
  const silu = new SiLU();
  mlp.act = silu;
  assert.equal(mlp.act, silu);
  assert.ok(mlp.namedModules().some(([name, m]) => name === 'act' && m === silu), 'the new activation is the registered child');
  const siluOut = values(mlp.forward(x));
  assert.notDeepEqual(siluOut, geluOut);
  const h = mlp.fc1.forward(x);
  assert.deepEqual(siluOut, values(mlp.fc2.forward(h.mul(h.sigmoid()))));
  // an activation given at construction is the one used as well
  const tanhMlp = new Mlp(4, 6, { generator: new Generator(12), act: new GELU('tanh') });
  assert.deepEqual(values(tanhMlp.forward(x)), values(tanhMlp.fc2.forward(tanhMlp.fc1.forward(x).gelu('tanh'))));
});

test('a Block uses its children: a replaced mlp.act changes the block output; its dropouts follow train()/eval()', () => {
  const block = new Block(8, { numHeads: 2, mlpRatio: 2, dropRate: 0.5, generator: new Generator(14) });
  const x = randn([2, 3, 8], { generator: new Generator(15) });
  block.eval();
  const before = values(block.forward(x));
  assert.deepEqual(values(block.forward(x)), before, 'eval: no dropout anywhere');
  (block.mlp as Mlp).act = new SiLU();
  assert.notDeepEqual(values(block.forward(x)), before);
  block.train();
  assert.notDeepEqual(values(block.forward(x)), values(block.forward(x)), 'train: dropout draws fresh masks');
});

test('setModule replaces only an existing child and says which exist', () => {
  const mlp = new Mlp(2, 3);
  assert.throws(() => mlp.setModule('activation', new SiLU()), /setModule: Mlp has no child 'activation' \(children: fc1, act, fc2, drop\)/);
});

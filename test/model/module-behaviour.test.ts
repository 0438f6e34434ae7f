// Module: registration, names, state dicts, modes, apply, zeroGrad, counts, dtype moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, noGrad, ones, randn, tensor, zeros, type Tensor } from '../../engine/index.js';
import {
  Dropout, DropPath, Linear, Module, ModuleList, VisionTransformer, type ViTConfig,
} from '../../model/index.js';

const tiny: ViTConfig = {
  imgSize: 8, inChans: 1, patchSize: 4, embedDim: 16, depth: 2, numHeads: 2, mlpRatio: 2, qkvBias: true,
  numClasses: 3, pool: 'cls', dropPathRate: 0, lnEps: 1e-6,
};
const images = (seed: number) => randn([2, 1, 8, 8], { generator: new Generator(seed) });
const same = (a: Tensor, b: Tensor) => assert.deepEqual(Array.from(a.toTypedArray()), Array.from(b.toTypedArray()));

class WithBuffer extends Module {
  readonly lin = this.registerModule('lin', new Linear(3, 2, { generator: new Generator(0) }));
  readonly count = this.registerBuffer('count', zeros([1]));
  forward(x: Tensor): Tensor { return this.lin.forward(x); }
}

test('names are dotted and in registration order: own tensors first, then each child (torch order)', () => {
  const m = new WithBuffer();
  assert.deepEqual(m.namedParameters().map(([n]) => n), ['lin.weight', 'lin.bias']);
  assert.deepEqual(m.namedBuffers().map(([n]) => n), ['count']);
  assert.deepEqual([...m.stateDict().keys()], ['count', 'lin.weight', 'lin.bias']);
  assert.deepEqual(m.namedModules().map(([n, mod]) => `${n}:${mod.constructor.name}`), [':WithBuffer', 'lin:Linear']);
  for (const p of m.parameters()) assert.ok(p.isLeaf && p.requiresGrad);
  const list = new ModuleList([new Linear(2, 2), new Linear(2, 2)]);
  assert.deepEqual(list.namedParameters().map(([n]) => n), ['0.weight', '0.bias', '1.weight', '1.bias']);
  assert.equal(list.length, 2);
  assert.equal(list.at(-1), [...list][1]);
  assert.throws(() => list.at(5), /index 5 is out of range for a list of 2/);
});

test('registration rejects duplicate or dotted names and non-leaf tensors', () => {
  class Bad extends Module { forward(): void {} }
  const m = new Bad();
  m.registerParameter('w', zeros([2]));
  assert.throws(() => m.registerParameter('w', zeros([2])), /'w' is already registered/);
  assert.throws(() => m.registerBuffer('a.b', zeros([2])), /without '\.'/);
  const leaf = ones([2], { requiresGrad: true });
  assert.throws(() => m.registerParameter('v', leaf.mul(2)), /must be a leaf tensor/);
});

test('stateDict round trip: loading A into B makes B compute exactly what A computes', () => {
  const a = new VisionTransformer(tiny, { generator: new Generator(1) });
  const b = new VisionTransformer(tiny, { generator: new Generator(2) });
  const x = images(3);
  const ya = noGrad(() => a.forward(x));
  assert.notDeepEqual(Array.from(noGrad(() => b.forward(x)).toTypedArray()), Array.from(ya.toTypedArray()));
  const sd = a.stateDict();
  for (const t of sd.values()) assert.equal(t.requiresGrad, false, 'state dict tensors are detached');
  assert.deepEqual(b.loadStateDict(sd), { missingKeys: [], unexpectedKeys: [] });
  same(noGrad(() => b.forward(x)), ya);
  // copied, not aliased: changing A afterwards leaves B alone
  noGrad(() => a.head!.weight.fill_(0));
  assert.notDeepEqual(Array.from(b.head!.weight.toTypedArray()), Array.from(a.head!.weight.toTypedArray()));
  // a plain record works too, and values are cast to the module's dtype
  const c = new VisionTransformer(tiny, { generator: new Generator(4), dtype: 'float64' });
  c.loadStateDict(Object.fromEntries(b.stateDict()));
  assert.ok(Math.abs(noGrad(() => c.forward(x.double())).sub(ya.double()).abs().max().item()) < 1e-5);
});

test('strict loadStateDict lists every missing, unexpected and wrongly shaped key in one error', () => {
  const m = new VisionTransformer(tiny, { generator: new Generator(1) });
  const sd = m.stateDict();
  sd.delete('blocks.1.mlp.fc2.bias');
  sd.delete('norm.weight');
  sd.set('blocks.7.attn.qkv.weight', zeros([48, 16]));
  sd.set('head.weight', zeros([4, 16]));
  sd.set('pos_embed', zeros([1, 4, 16]));
  let message = '';
  try { m.loadStateDict(sd); } catch (e) { message = (e as Error).message; }
  for (const expected of [
    'missing keys: blocks.1.mlp.fc2.bias, norm.weight', 'unexpected keys: blocks.7.attn.qkv.weight',
    "'head.weight': shape [4, 16] in the state dict, [3, 16] in the module", "'pos_embed': shape [1, 4, 16] in the state dict, [1, 5, 16] in the module",
  ]) assert.ok(message.includes(expected), `error should mention ${expected}; got:\n${message}`);
  // non-strict: missing/unexpected are returned, wrong shapes still throw
  assert.throws(() => m.loadStateDict(sd, { strict: false }), /'head.weight': shape \[4, 16\]/);
  sd.delete('head.weight');
  sd.delete('pos_embed');
  const before = Array.from(m.norm.weight.toTypedArray());
  sd.set('norm.bias', ones([16]));
  const result = m.loadStateDict(sd, { strict: false });
  assert.deepEqual(result.unexpectedKeys, ['blocks.7.attn.qkv.weight']);
  assert.deepEqual(result.missingKeys.sort(), ['blocks.1.mlp.fc2.bias', 'head.weight', 'norm.weight', 'pos_embed']);
  assert.deepEqual(Array.from(m.norm.weight.toTypedArray()), before, 'missing keys keep their values');
  assert.deepEqual(Array.from(m.norm.bias.toTypedArray()), new Array(16).fill(1), 'present keys are loaded');
});

test('train()/eval() reach every submodule; dropout is active in train and the identity in eval', () => {
  const m = new VisionTransformer({ ...tiny, dropRate: 0.5, dropPathRate: 0.5 }, { generator: new Generator(1) });
  const x = images(5);
  m.eval();
  assert.ok(m.modules().every((mod) => !mod.training));
  const e1 = noGrad(() => m.forward(x));
  same(noGrad(() => m.forward(x)), e1);
  m.train();
  assert.ok(m.modules().every((mod) => mod.training));
  assert.notDeepEqual(Array.from(noGrad(() => m.forward(x)).toTypedArray()), Array.from(e1.toTypedArray()));
  const drop = new Dropout(0.5, new Generator(7));
  const ones64 = ones([1000]);
  const y = drop.forward(ones64).toTypedArray();
  assert.ok(y.every((v) => v === 0 || v === 2) && y.some((v) => v === 0) && y.some((v) => v === 2));
  same(drop.eval().forward(ones64), ones64);
});

test('DropPath drops whole samples and scales the kept ones by 1/(1−p); identity in eval', () => {
  const dp = new DropPath(0.25, new Generator(3));
  const x = ones([64, 3, 2]);
  const y = dp.forward(x).reshape(64, 6).toArray() as number[][];
  for (const row of y) assert.ok(row.every((v) => v === 0) || row.every((v) => v === Math.fround(1 / 0.75)), `a sample is dropped whole: ${row}`);
  const dropped = y.filter((r) => r[0] === 0).length;
  assert.ok(dropped > 0 && dropped < 64);
  same(dp.eval().forward(x), x);
});

test('apply visits every descendant before the module itself, e.g. for custom init', () => {
  const m = new VisionTransformer(tiny, { generator: new Generator(1) });
  const seen: string[] = [];
  m.apply((mod) => { seen.push(mod.constructor.name); });
  assert.equal(seen.at(-1), 'VisionTransformer');
  assert.equal(seen.filter((n) => n === 'Linear').length, tiny.depth * 4 + 1);
  m.apply((mod) => { if (mod instanceof Linear && mod.bias) noGrad(() => mod.bias!.fill_(0.5)); });
  assert.ok(m.blocks.at(1).namedParameters().filter(([n]) => n.endsWith('fc1.bias')).every(([, p]) => p.toTypedArray().every((v) => v === 0.5)));
});

test('zeroGrad sets every grad to null and disposes the old gradients', () => {
  const m = new VisionTransformer(tiny, { generator: new Generator(1) });
  m.forward(images(2)).sum().backward();
  const grads = m.parameters().map((p) => p.grad);
  assert.ok(grads.every((g) => g !== null));
  m.zeroGrad();
  assert.ok(m.parameters().every((p) => p.grad === null));
  assert.ok(grads.every((g) => g!.isDisposed));
});

test('numParameters counts every element, or only those still requiring grad', () => {
  const m = new Linear(5, 3);
  assert.equal(m.numParameters(), 18);
  m.bias!.requiresGrad_(false);
  assert.equal(m.numParameters({ trainableOnly: true }), 15);
  assert.equal(m.numParameters(), 18);
});

test("to('float64') replaces every parameter with a float64 leaf and updates the module's fields", () => {
  const m = new VisionTransformer(tiny, { generator: new Generator(1) });
  const x = images(1);
  const y32 = noGrad(() => m.forward(x));
  m.to('float64');
  for (const p of m.parameters()) assert.ok(p.dtype === 'float64' && p.isLeaf && p.requiresGrad);
  assert.equal(m.head!.weight.dtype, 'float64');
  assert.equal(m.posEmbed.dtype, 'float64');
  const y64 = noGrad(() => m.forward(x.double()));
  assert.ok(y64.sub(y32.double()).abs().max().item() < 1e-5);
  m.forward(x.double()).sum().backward();
  assert.equal(m.blocks.at(0).namedParameters()[0][1].grad!.dtype, 'float64');
});

test('call() invokes forward', () => {
  const m = new Linear(2, 1, { generator: new Generator(0) });
  const x = tensor([[1, 2]]);
  same(m.call(x), m.forward(x));
});

// The auxiliary net against PyTorch (fixture), against finite differences, and against its descendants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, gradcheck, noGrad, randn, randint, type Tensor } from '../../engine/index.js';
import { DistillationLoss, crossEntropyLoss } from '../../model/losses.js';
import { AuxNet, initDescendant } from '../../tleg/index.js';
import { assertAllClose } from '../helpers/allclose.js';
import { fixtureTensor, loadFixture } from '../helpers/fixtures.js';
import { tinyConfig } from './helpers.js';

for (const [suffix, rtol] of [['f64', 1e-9], ['f32', 1e-4]] as const) {
  test(`Aux-Net logits, distillation loss and gradients w.r.t. θ_A, θ_B and shared tensors match PyTorch (${suffix})`, () => {
    const fx = loadFixture('model', `tleg_auxnet_${suffix}`);
    const a = fx.attrs as Record<string, number | string>;
    const config = tinyConfig({
      imgSize: a.img_size as number, inChans: a.in_chans as number, patchSize: a.patch_size as number, embedDim: a.embed_dim as number,
      depth: a.depth as number, numHeads: a.num_heads as number, mlpRatio: a.mlp_ratio as number, numClasses: a.num_classes as number,
      pool: a.pool as 'avg', lnEps: a.ln_eps as number,
    });
    const net = new AuxNet(config, { dtype: fx.dtype });
    const paramName = (key: string): string => (/\.(base|slope)$/.test(key) ? `learngene.${key}` : key);
    const state: Record<string, Tensor> = {};
    for (const [key, t] of Object.entries(fx.inputs)) {
      if (key === 'images' || key === 'labels' || key === 'teacher_logits') continue;
      state[paramName(key)] = fixtureTensor(t, fx.dtype);
    }
    net.loadStateDict(state);
    net.eval();
    const images = fixtureTensor(fx.inputs.images, fx.dtype);
    const labels = fixtureTensor(fx.inputs.labels, fx.dtype);
    const teacher = fixtureTensor(fx.inputs.teacher_logits, fx.dtype);
    const logits = net.forward(images);
    const criterion = new DistillationLoss({ type: 'soft', alpha: a.alpha as number, tau: a.tau as number, baseCriterion: crossEntropyLoss({ labelSmoothing: a.label_smoothing as number }) });
    const { loss } = criterion.forward(logits, teacher, labels);
    const floor = fx.dtype === 'float64' ? 1e-12 : 1e-6;
    assertAllClose(logits.toTypedArray(), fx.outputs.logits.data, { rtol, floor, what: 'logits' });
    assertAllClose(loss.toTypedArray(), fx.outputs.loss.data, { rtol, floor, what: 'loss' });
    loss.backward();
    const params = new Map(net.namedParameters());
    assert.equal(params.size, Object.keys(fx.grads).length, 'one fixture gradient per parameter');
    for (const [key, g] of Object.entries(fx.grads)) {
      const p = params.get(paramName(key));
      assert.ok(p, `no parameter for fixture gradient ${key}`);
      assert.ok(p.grad, `${key}: no gradient`);
      assert.deepEqual(p.grad.shape, g.shape, `${key}: gradient shape`);
      assertAllClose(p.grad.toTypedArray(), g.data, { rtol, floor, floorRel: fx.dtype === 'float64' ? 1e-6 : 1e-3, what: `d loss / d ${key}` });
    }
  });
}

test('gradients w.r.t. θ_A and θ_B equal float64 central differences (tiny Aux-Net)', () => {
  const config = tinyConfig({ embedDim: 8, numHeads: 2, mlpRatio: 2, depth: 3, numClasses: 3 });
  const net = new AuxNet(config, { dtype: 'float64', generator: new Generator(11) }).eval();
  const g = new Generator(12);
  const images = randn([2, 1, 8, 8], { dtype: 'float64', generator: g });
  const labels = randint(0, 3, [2], { generator: g });
  const names = Object.keys(net.base);
  // Random pairs (not TLEG's init, whose zero slopes and biases would hide mistakes).
  const inputs = [...names.map((n) => randn(net.base[n].shape, { std: 0.3, mean: n.startsWith('norm') && n.endsWith('weight') ? 1 : 0, dtype: 'float64', generator: g })),
    ...names.map((n) => randn(net.slope[n].shape, { std: 0.3, dtype: 'float64', generator: g }))];
  inputs.forEach((t) => t.requiresGrad_(true));
  const criterion = crossEntropyLoss();
  const loss = (...ts: Tensor[]): Tensor => {
    const base = Object.fromEntries(names.map((n, i) => [n, ts[i]]));
    const slope = Object.fromEntries(names.map((n, i) => [n, ts[names.length + i]]));
    return criterion(net.forwardWithPairs(images, base, slope), labels);
  };
  assert.equal(gradcheck(loss, inputs, { eps: 1e-6, atol: 1e-7, rtol: 1e-5 }), true);
});

for (const [pool, segments] of [['avg', 1], ['cls', 1], ['avg', 2]] as const) {
  test(`a descendant at the Aux-Net's depth gives the Aux-Net's logits exactly (${pool} pooling, ${segments} segment(s))`, () => {
    const net = new AuxNet(tinyConfig({ pool, depth: 4 }), { generator: new Generator(5), segments }).eval();
    // Move the slopes off TLEG's zero init so every block differs.
    const g = new Generator(6);
    noGrad(() => { for (const t of Object.values(net.slope)) t.copy_(randn(t.shape, { std: 0.1, generator: g })); });
    const images = randn([3, 1, 8, 8], { generator: g });
    const descendant = initDescendant(net.toLearngene(), 4).eval();
    assert.deepEqual(descendant.forward(images).toTypedArray(), net.forward(images).toTypedArray());
    for (let i = 0; i < 4; i++) {
      const block = descendant.blockParams(i) as unknown as Record<string, Tensor>;
      for (const [name, t] of Object.entries(net.effectiveBlock(i))) {
        assert.deepEqual(block[name].toTypedArray(), t.toTypedArray(), `block ${i} ${name}`);
      }
    }
  });
}

test('Aux-Net parameters: learngene.<name>.base/.slope plus the shared timm names, and nothing else', () => {
  const names = new AuxNet(tinyConfig({ pool: 'cls' })).namedParameters().map(([n]) => n);
  assert.ok(names.includes('learngene.attn.qkv.weight.base') && names.includes('learngene.norm2.bias.slope'));
  assert.deepEqual(names.filter((n) => !n.startsWith('learngene.')).sort(),
    ['cls_token', 'head.bias', 'head.weight', 'norm.bias', 'norm.weight', 'patch_embed.proj.bias', 'patch_embed.proj.weight', 'pos_embed']);
  assert.equal(names.filter((n) => n.startsWith('learngene.')).length, 24);
});

test('the Aux-Net runs its hidden ViT in its own mode: eval forwards repeat exactly, train forwards draw dropout masks', () => {
  const net = new AuxNet(tinyConfig({ dropRate: 0.3, dropPathRate: 0.2, depth: 3 }), { generator: new Generator(21) });
  const images = randn([2, 1, 8, 8], { generator: new Generator(22) });
  net.eval();
  assert.deepEqual(net.forward(images).toTypedArray(), net.forward(images).toTypedArray());
  net.train();
  assert.notDeepEqual(net.forward(images).toTypedArray(), net.forward(images).toTypedArray());
});

test("Aux-Net.to('float64') gives float64 logits equal to the float32 ones within float32 rounding", () => {
  const net = new AuxNet(tinyConfig({ depth: 2 }), { generator: new Generator(23) }).eval();
  const images = randn([2, 1, 8, 8], { generator: new Generator(24) });
  const y32 = net.forward(images);
  net.to('float64');
  const y64 = net.forward(images.double());
  assert.equal(y64.dtype, 'float64');
  assertAllClose(y64.toTypedArray(), y32.toTypedArray(), { rtol: 1e-5, floor: 1e-6, what: 'float64 logits' });
});

// One check for a ViT against a PyTorch model fixture: load its tensors by name (strict), then logits,
// cross-entropy loss and every parameter gradient within `rtol` of PyTorch's.
import assert from 'node:assert/strict';
import { F } from '../../engine/index.js';
import { VisionTransformer, type ViTConfig } from '../../model/index.js';
import { assertMaxRelClose } from './allclose.js';
import { fixtureTensor, type Fixture } from './fixtures.js';

export function assertVitMatchesFixture(f: Fixture, config: Partial<ViTConfig>, rtol: number): void {
  const model = new VisionTransformer(config, { dtype: f.dtype });
  const sd = Object.fromEntries(Object.entries(f.inputs).filter(([k]) => k !== 'images' && k !== 'labels').map(([k, v]) => [k, fixtureTensor(v, f.dtype)]));
  model.loadStateDict(sd); // strict: the fixture's names are exactly the model's
  const logits = model.call(fixtureTensor(f.inputs.images, f.dtype));
  const loss = F.crossEntropy(logits, fixtureTensor(f.inputs.labels, f.dtype));
  loss.backward();
  assertMaxRelClose(logits, f.outputs.logits, rtol, 'logits');
  assertMaxRelClose(loss, f.outputs.loss, rtol, 'loss');
  const params = new Map(model.namedParameters());
  assert.deepEqual([...params.keys()].sort(), Object.keys(f.grads).sort(), 'parameter names');
  for (const [k, g] of Object.entries(f.grads)) assertMaxRelClose(params.get(k)!.grad, g, rtol, `grad of ${k}`);
}

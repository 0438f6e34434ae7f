// A page that imports the three public entries bundles for the browser with plain esbuild (no plugins, no stubs),
// and nothing in the bundle comes from a Node built-in or a Node-only package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('tleg-ts/engine, tleg-ts/model and tleg-ts/tleg bundle for the browser with no node: module', async () => {
  const result = await build({
    stdin: {
      contents: `import * as E from 'tleg-ts/engine'; import * as M from 'tleg-ts/model'; import * as T from 'tleg-ts/tleg';
        export const faces = [E.Tensor, M.VisionTransformer, M.parseSafetensors, T.parseLearngene, T.expandLearngene];`,
      resolveDir: root, loader: 'js',
    },
    bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
  });
  assert.deepEqual(result.errors, []);
  // package.json's "browser" map turns the webgpu package (Dawn for Node) into an empty module: "(disabled):..."
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith('(disabled):'));
  const nodeOnly = inputs.filter((p) => /^node:|node_modules\/(webgpu|cli-progress)\/|\/(idx|mnist|fashion-mnist|trainer|safetensors-file|learngene-file|pipeline)\.js$/.test(p));
  assert.deepEqual(nodeOnly, [], 'Node-only modules in the browser bundle');
  assert.ok(inputs.some((p) => p.endsWith('dist/engine/backend/cpu/wasm/pool.js')), `the wasm pool is bundled (inputs: ${inputs.length})`);
  assert.ok(inputs.some((p) => p.endsWith('dist/model/browser.js')) && inputs.some((p) => p.endsWith('dist/tleg/browser.js')), 'the "browser" faces were chosen');
});

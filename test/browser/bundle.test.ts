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

/** Export names of modules, relative to dist/. */
async function exportsOf(...paths: string[]): Promise<Set<string>> {
  const names = new Set<string>();
  for (const p of paths) for (const k of Object.keys(await import(new URL(p, new URL('dist/', `file://${root}`)).href))) names.add(k);
  return names;
}

test('the browser faces export everything the Node faces do, but the file-system parts', async () => {
  const faces: [string, string, string[]][] = [
    ['model/index.js', 'model/browser.js', ['model/data/idx.js', 'model/data/mnist.js', 'model/data/fashion-mnist.js', 'model/train/index.js', 'model/io/safetensors-file.js', 'model/io/atomic-write.js', 'model/io/state-dict.js']],
    ['tleg/index.js', 'tleg/browser.js', ['tleg/learngene-file.js', 'tleg/analysis.js', 'tleg/pipeline.js']],
  ];
  for (const [nodeFace, browserFace, nodeOnly] of faces) {
    const fsParts = await exportsOf(...nodeOnly);
    const expected = [...(await exportsOf(nodeFace))].filter((k) => !fsParts.has(k)).sort();
    assert.deepEqual([...(await exportsOf(browserFace))].sort(), expected, `${browserFace} against ${nodeFace}`);
  }
});

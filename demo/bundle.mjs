// Bundles page scripts for the browser with esbuild, no plugins: each entry becomes <outdir>/<name>.js, and the
// wasm worker pool's own script goes beside them as worker.js, where the engine looks for it
// (new URL('./worker.js', import.meta.url) in engine/backend/cpu/wasm/pool.ts).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const WASM_WORKER = fileURLToPath(new URL('../dist/engine/backend/cpu/wasm/worker.js', import.meta.url));

/** entries: { name: path of a compiled .js or a .ts file }. Resolves to esbuild's metafile (the inputs bundled). */
export async function bundle(entries, outdir) {
  const result = await build({
    entryPoints: { ...entries, worker: WASM_WORKER },
    outdir, bundle: true, platform: 'browser', format: 'esm', target: 'chrome120',
    sourcemap: true, metafile: true, logLevel: 'warning',
  });
  return result.metafile;
}

// TensorFlow.js peers for the kernel family: the `cpu` backend (plain JavaScript) and the `wasm` backend
// (XNNPACK, SIMD; single-threaded in Node, which lacks the cross-origin isolation its threads need).
//
// Both run eagerly and synchronously, so a call is timed as it returns. Matmul backward is the pair of
// products tfjs's own MatMul gradient computes (matMul with transposeA / transposeB). tfjs-core has no
// layernorm op: its forward is moments + elementwise, and its backward the closed form a user would write
// (the same formula as the engine's kernel); softmax backward is tfjs's Softmax gradient, y·g − y·Σ(y·g).
import { createRequire, register } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { matmulOperands, type KernelBackend, type KernelCase, type Prepared } from '../cases.js';
import { seconds } from '../measure.js';

export { tf };

export type TfjsBackendName = 'cpu' | 'wasm';

let wasmPathsSet = false;

/** Makes `name` tfjs's current backend; the wasm binaries are loaded from the installed package. */
export async function useTfjsBackend(name: TfjsBackendName): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    const require = createRequire(import.meta.url);
    const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    setWasmPaths(dir + path.sep);
    wasmPathsSet = true;
  }
  // Production mode: no debug checks, and no "install tfjs-node" advice in the middle of the report.
  tf.enableProdMode();
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}

/**
 * The npm package's Node bundle of tfjs-core (dist/tf-core.node.js) registers no gradients: the union
 * package @tensorflow/tfjs does, by importing dist/register_all_gradients.js, which is ES-module source
 * with extensionless imports in a package Node treats as CommonJS. A module hook loads that file (and
 * what it imports) as ES modules; they register into tfjs's global registry, which both copies share.
 */
let gradients: Promise<unknown> | null = null;
const GRADIENT_HOOK = `
const TFJS = '/@tensorflow/tfjs-core/dist/';
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); } catch (err) {
    if (!context.parentURL?.includes(TFJS) || !specifier.startsWith('.')) throw err;
    for (const suffix of ['.js', '/index.js']) { try { return await next(specifier + suffix, context); } catch {} }
    throw err;
  }
}
export async function load(url, context, next) {
  if (url.includes(TFJS) && url.endsWith('.js')) return { ...(await next(url, { ...context, format: 'module' })), format: 'module' };
  return next(url, context);
}`;

export function ensureTfjsGradients(): Promise<unknown> {
  gradients ??= (async () => {
    register('data:text/javascript,' + encodeURIComponent(GRADIENT_HOOK));
    const specifier = '@tensorflow/tfjs-core/dist/register_all_gradients.js';
    return import(specifier);
  })();
  return gradients;
}

export function describeTfjsBackend(name: TfjsBackendName): string {
  const version = tf.version_core;
  if (name === 'cpu') return `tfjs-core ${version}, plain JavaScript kernels`;
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  return `tfjs-backend-wasm ${version} (XNNPACK${simd ? ', SIMD' : ', no SIMD'}${threads ? ', threads' : ', single thread'})`;
}

export function tfjsKernelBackend(name: TfjsBackendName): KernelBackend {
  return {
    backend: `tfjs ${name}`,
    mode: null,
    activate: () => useTfjsBackend(name),
    describe: () => describeTfjsBackend(name),
    prepare: (c) => prepareTfjs(c, name === 'wasm'),
  };
}

/** A synchronous tfjs call; readback (wasm heap → JS array) is timed apart where asked. */
function tfjsCall(op: () => tf.Tensor | tf.Tensor[], held: tf.Tensor[], readback: boolean): Prepared {
  const release = (out: tf.Tensor | tf.Tensor[]) => (Array.isArray(out) ? out.forEach((t) => t.dispose()) : out.dispose());
  return {
    run: () => release(tf.tidy(op)),
    async: false,
    readbackOnce: readback
      ? async () => {
        const out = tf.tidy(op);
        const first = Array.isArray(out) ? out[0] : out;
        const s = await seconds(() => first.data());
        release(out);
        return s;
      }
      : undefined,
    dispose: () => held.forEach((t) => t.dispose()),
  };
}

function prepareTfjs(c: KernelCase, readback: boolean): Prepared {
  if (c.family === 'matmul') {
    const { left, right, transLeft, transRight } = matmulOperands(c);
    const l = tf.randomNormal(left), r = tf.randomNormal(right);
    return tfjsCall(() => tf.matMul(l, r, transLeft, transRight), [l, r], readback);
  }
  const { rows, cols } = c;
  const x = tf.randomNormal([rows, cols]);
  const g = tf.randomNormal([rows, cols]);
  if (c.family === 'softmax') {
    if (c.direction === 'fwd') return tfjsCall(() => tf.softmax(x), [x, g], readback);
    const y = tf.softmax(x);
    // d softmax: y·g − y·Σ(y·g), as tfjs's Softmax gradient
    return tfjsCall(() => {
      const gy = tf.mul(g, y);
      return tf.sub(gy, tf.mul(tf.sum(gy, -1, true), y));
    }, [x, g, y], readback);
  }
  const w = tf.randomNormal([cols]), b = tf.randomNormal([cols]);
  const eps = 1e-5;
  if (c.direction === 'fwd') {
    return tfjsCall(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w), b);
    }, [x, g, w, b], readback);
  }
  const saved = tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return [mean, tf.rsqrt(tf.add(variance, eps))];
  });
  const [mean, rstd] = saved;
  // x̂ = (x−μ)σ⁻¹, ĝ = g·w: dx = σ⁻¹(ĝ − mean ĝ − x̂ mean(ĝx̂)); dw = Σ g x̂; db = Σ g
  return tfjsCall(() => {
    const xhat = tf.mul(tf.sub(x, mean), rstd);
    const gw = tf.mul(g, w);
    const dx = tf.mul(rstd, tf.sub(tf.sub(gw, tf.mean(gw, -1, true)), tf.mul(xhat, tf.mean(tf.mul(gw, xhat), -1, true))));
    return [dx, tf.sum(tf.mul(g, xhat), 0), tf.sum(g, 0)];
  }, [x, g, w, b, mean, rstd], readback);
}

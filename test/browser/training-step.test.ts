// In real headless Chromium: the page's loss after one training step equals Node's (same seed, same data) within
// float32 tolerance, on wasm with 1 thread, with 2 threads (isolated page, engine in a Web Worker), and on
// gpu.js's webgpu mode (SwiftShader). Skipped, with the reason, where there is no Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, whyNoBrowser } from './chromium.js';
import { trainingStep, type StepResult } from './training-step.js';
import type { StepOutcome } from './step-page.js';

interface DemoTools {
  serve(root: string): Promise<{ url: string; close(): Promise<void> }>;
  bundle(entries: Record<string, string>, outdir: string): Promise<{ inputs: Record<string, unknown> }>;
}
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const skip = whyNoBrowser();
// float32 tolerance for a loss summed over a whole step (tens of thousands of rounded products)
const RTOL = 1e-4;

let browser: Browser | undefined;
let site: { url: string; close(): Promise<void> } | undefined;
let dir = '';
let node: StepResult;

before(async (t) => {
  if (skip) return;
  node = await trainingStep({ device: 'cpu', threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'tleg-browser-'));
  const { bundle } = (await import(here('../../../demo/bundle.mjs'))) as DemoTools;
  const { serve } = (await import(here('../../../demo/serve.mjs'))) as DemoTools;
  await bundle({ 'step-page': here('./step-page.js'), 'step-worker': here('./step-worker.js') }, dir);
  copyFileSync(here('../../../test/browser/step.html'), join(dir, 'step.html'));
  site = await serve(dir);
  browser = await launchChromium();
});

after(async (t) => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens the step page and waits for its outcome; console lines are collected. */
async function runPage(path: string): Promise<{ outcome: StepOutcome; console: string[] }> {
  const page: Page = await browser!.newPage();
  const lines: string[] = [];
  page.on('console', (m) => lines.push(m.text()));
  page.on('pageerror', (e) => lines.push(`pageerror: ${String(e)}`));
  try {
    await page.goto(`${site!.url}${path}`);
    await page.waitForFunction('globalThis.stepOutcome !== undefined', { timeout: 45_000 });
    const outcome = (await page.evaluate('globalThis.stepOutcome')) as StepOutcome;
    return { outcome, console: lines };
  } finally {
    await page.close();
  }
}

function assertSameLoss(got: StepResult, what: string, t: { diagnostic(m: string): void }): void {
  t.diagnostic(`${what} [${got.backend}]: ${got.before} -> ${got.after}; Node: ${node.before} -> ${node.after}`);
  for (const k of ['before', 'after'] as const) {
    const rel = Math.abs(got[k] - node[k]) / Math.abs(node[k]);
    assert.ok(rel <= RTOL, `${what}: loss ${k} the step is ${got[k]} in the page, ${node[k]} under Node (relative difference ${rel.toExponential(2)} > ${RTOL})`);
  }
  assert.ok(node.after < node.before, `one AdamW step lowers the loss on its own batch (${node.before} -> ${node.after})`);
}

test('page, not isolated: wasm on 1 thread gives Node\'s losses, and one console line says why 1 thread', { skip: skip ?? false }, async (t) => {
  const { outcome, console } = await runPage('/plain/step.html?device=cpu&threads=2');
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error);
  assert.equal(outcome.result.threads, 1);
  assert.match(outcome.result.backend, /WebAssembly/);
  const why = console.filter((l) => l.startsWith('tleg-ts: wasm kernels run on 1 thread'));
  assert.equal(why.length, 1, `console: ${JSON.stringify(console)}`);
  assert.match(why[0], /not cross-origin isolated/);
  assertSameLoss(outcome.result, 'wasm, 1 thread', t);
});

test('isolated page\'s main thread stays on 1 thread (no Atomics.wait there) and says so', { skip: skip ?? false }, async (t) => {
  const { outcome, console } = await runPage('/step.html?device=cpu&threads=2');
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error);
  assert.equal(outcome.result.threads, 1);
  assert.ok(console.some((l) => /1 thread: this is a page's main thread/.test(l)), `console: ${JSON.stringify(console)}`);
  assertSameLoss(outcome.result, 'wasm, main thread of an isolated page', t);
});

test('isolated page, engine in a Web Worker: wasm on 2 threads gives Node\'s losses and the pool\'s worker ran chunks', { skip: skip ?? false }, async (t) => {
  const { outcome } = await runPage('/step.html?device=cpu&threads=2&in=worker');
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error);
  assert.equal(outcome.result.threads, 2);
  assert.ok((outcome.result.workerChunks ?? 0) > 0, `the second thread ran ${outcome.result.workerChunks} chunks`);
  assertSameLoss(outcome.result, 'wasm, 2 threads', t);
});

test('page with navigator.gpu: gpu.js webgpu mode (SwiftShader) gives Node\'s losses', { skip: skip ?? false }, async (t) => {
  const { outcome } = await runPage('/step.html?device=gpujs&threads=1');
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error);
  assert.match(outcome.result.backend, /webgpu/);
  assertSameLoss(outcome.result, 'gpu.js webgpu', t);
});

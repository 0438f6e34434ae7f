// The demo page in headless Chromium: it loads the learngene and the images, expands a depth-3 ViT, shows its step-0
// accuracy, fine-tunes a few steps with the chart drawn, and a screenshot of it is not blank.
// TLEG_DEMO_SCREENSHOT=path keeps the screenshot.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { launchChromium, whyNoBrowser } from './chromium.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const skip = whyNoBrowser();
let browser: Browser | undefined;
let site: { url: string; close(): Promise<void> } | undefined;
let dir = '';

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'tleg-demo-'));
  const { buildDemo } = (await import(here('../../../demo/build.mjs'))) as { buildDemo(out: string): Promise<string> };
  const { serve } = (await import(here('../../../demo/serve.mjs'))) as { serve(root: string): Promise<{ url: string; close(): Promise<void> }> };
  await buildDemo(dir);
  site = await serve(dir);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('demo: expand a learngene to depth 3, step-0 accuracy, 5 fine-tuning steps, a screenshot that is not blank', { skip: skip ?? false }, async () => {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setViewport({ width: 900, height: 800 });
  await page.goto(`${site!.url}/index.html`);
  await page.waitForSelector('#expand:not([disabled])', { timeout: 30_000 });
  await page.select('#depth', '3');
  await page.select('#threads', '2');
  await page.click('#expand');
  await page.waitForFunction('document.querySelector("#acc0").textContent.includes("%")', { timeout: 30_000 });
  const acc0 = await page.$eval('#acc0', (e) => e.textContent ?? '');
  const accuracy0 = parseFloat(acc0);
  // 10 classes: chance is 10 %; a learngene that carries knowledge starts well above it
  assert.ok(accuracy0 > 30, `step-0 test accuracy of the expanded depth-3 ViT: ${acc0}`);
  await page.$eval('#steps', (e) => { (e as unknown as { value: string }).value = '5'; });
  await page.click('#train');
  await page.waitForFunction('document.body.dataset.trained === "5"', { timeout: 40_000 });
  const fields = await page.evaluate(`['model', 'backend-used', 'ms', 'acc', 'status'].map((id) => document.getElementById(id).textContent)`) as string[];
  assert.match(fields[0], /depth 3, [\d,]+ parameters/);
  assert.match(fields[1], /WebAssembly SIMD.*2 threads/);
  assert.match(fields[2], /\d+ ms/);
  assert.deepEqual(errors, []);
  const png = Buffer.from(await page.screenshot({ fullPage: true }));
  if (process.env.TLEG_DEMO_SCREENSHOT) writeFileSync(process.env.TLEG_DEMO_SCREENSHOT, png);
  // decode the screenshot in the page and count the pixels that are not the white background
  const inked = await page.evaluate(`(async () => {
    const img = await createImageBitmap(await (await fetch('data:image/png;base64,${png.toString('base64')}')).blob());
    const c = new OffscreenCanvas(img.width, img.height), g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, img.width, img.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) n++;
    return n / (img.width * img.height);
  })()`) as number;
  assert.ok(inked > 0.01, `screenshot: ${(100 * inked).toFixed(2)} % of its pixels are not background`);
  await page.close();
});

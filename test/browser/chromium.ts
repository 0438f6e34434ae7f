// Headless Chromium for the browser tests: finds the system binary (CHROMIUM_PATH, or Debian's chromium) and
// puppeteer-core; says why when either is missing, so the tests skip with that reason instead of failing.
import { existsSync } from 'node:fs';
import type { Browser } from 'puppeteer-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary, or null. */
export function chromiumPath(): string | null {
  return CANDIDATES.find((p): p is string => !!p && existsSync(p)) ?? null;
}

/** Why the browser tests cannot run here, or null when they can. */
export function whyNoBrowser(): string | null {
  if (!chromiumPath()) return 'no Chromium (install Debian\'s chromium, see .ci/setup-chromium.sh, or set CHROMIUM_PATH)';
  try {
    import.meta.resolve('puppeteer-core');
  } catch {
    return 'puppeteer-core is not installed (npm ci installs the devDependencies)';
  }
  return null;
}

/** Headless Chromium with WebGPU on SwiftShader (Vulkan on the CPU), so gpu.js's webgpu mode runs without a GPU. */
export async function launchChromium(): Promise<Browser> {
  const puppeteer = await import('puppeteer-core');
  return puppeteer.default.launch({
    executablePath: chromiumPath()!,
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'],
  });
}

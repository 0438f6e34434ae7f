// Which gpu.js modes run here, and the navigator.gpu that gpu.js's webgpu mode needs under Node.
//
// Node has no WebGPU; the `webgpu` npm package (Dawn) provides one. We try Dawn's default
// adapter first (a real GPU through Vulkan/Metal/D3D). Where none answers, we fall back to
// Dawn's OpenGL ES backend over EGL, which on a machine without a GPU is Mesa's llvmpipe:
// it needs EGL_PLATFORM=surfaceless (no display) and an adapter asked for at
// featureLevel 'compatibility' (GLES cannot offer core WebGPU). Debian 12's Vulkan
// lavapipe is rejected by Dawn, so GLES is the CPU path. See .ci/setup-mesa.sh.
import { coreCount, isNode } from '../../host.js';
import gpujs from 'gpu.js';
import { isMissingPackage } from '../../optional-package.js';

export type GpuMode = 'webgpu' | 'webasm' | 'cpu';

/** The slice of the WebGPU API we touch; the full types live in @webgpu/types, which we do not load. */
interface AdapterLike {
  readonly limits: object;
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface NavigatorGpuLike {
  requestAdapter(options?: { featureLevel?: string; powerPreference?: string }): Promise<AdapterLike | null>;
  getPreferredCanvasFormat(): string;
}
interface WebGpuPackage {
  create(options: string[]): NavigatorGpuLike;
  globals: object;
}

let webGpuProbe: Promise<boolean> | null = null;
let adapterName: string | null = null;

/** The webgpu adapter found by the probe, e.g. "nvidia hopper (Vulkan ...)" or "llvmpipe (OpenGL ES ... Mesa)"; null before. */
export function webGpuAdapterName(): string | null {
  return adapterName;
}

function nameAdapter(adapter: AdapterLike): void {
  const i = adapter.info ?? {};
  const name = [i.vendor, i.architecture, i.device].filter(Boolean).join(' ') || 'unnamed adapter';
  adapterName = i.description ? `${name.replace(/-+$/, '')}; ${i.description}` : name;
}

/** Answers whether a webgpu adapter exists, installing navigator.gpu on first call. Never throws. */
export function probeWebGpu(): Promise<boolean> {
  webGpuProbe ??= installNavigatorGpu().catch(() => false);
  return webGpuProbe;
}

export async function availableGpuModes(): Promise<GpuMode[]> {
  const modes: GpuMode[] = [];
  if (await probeWebGpu()) modes.push('webgpu');
  if (gpujs.GPU.isWebAssemblySupported) modes.push('webasm');
  modes.push('cpu');
  return modes;
}

async function installNavigatorGpu(): Promise<boolean> {
  const existing = (globalThis as { navigator?: { gpu?: NavigatorGpuLike } }).navigator?.gpu;
  if (existing) {
    const adapter = await existing.requestAdapter();
    if (adapter) nameAdapter(adapter);
    return adapter !== null;
  }
  if (!isNode) return false; // a browser without navigator.gpu has no WebGPU to install

  const webgpu = await loadWebGpuPackage();
  if (!webgpu) return false;
  for (const [name, value] of Object.entries(webgpu.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  const gpu = (await nativeGpu(webgpu)) ?? (await llvmpipeGpu(webgpu));
  if (!gpu) return false;
  defineNavigatorGpu(gpu);
  return true;
}

/**
 * The `webgpu` package (Dawn for Node), or null with one warning saying why and what to install: it is an
 * optional peer dependency, and the 0.2.9 that gpu.js 2.24.1 depends on needs glibc 2.38 (not on Debian 12).
 */
async function loadWebGpuPackage(): Promise<WebGpuPackage | null> {
  const fix = 'install a version that loads here with: npm install webgpu@^0.6.2 (glibc 2.34 or newer)';
  try {
    return (await import('webgpu')) as unknown as WebGpuPackage;
  } catch (e) {
    const why = isMissingPackage(e, 'webgpu') ? 'the webgpu package is not installed' : `the webgpu package failed to load: ${String((e as Error).message ?? e).split('\n')[0]}`;
    process.emitWarning(`gpu.js webgpu mode is unavailable: ${why}; ${fix}`, { code: 'TLEG_WEBGPU_UNAVAILABLE' });
    return null;
  }
}

/** Dawn's default adapter: a real GPU if the machine has one. */
async function nativeGpu(webgpu: WebGpuPackage): Promise<NavigatorGpuLike | null> {
  const gpu = webgpu.create([]);
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (adapter) nameAdapter(adapter);
  return adapter ? gpu : null;
}

/** Dawn over OpenGL ES over EGL: Mesa's llvmpipe where there is no GPU. */
async function llvmpipeGpu(webgpu: WebGpuPackage): Promise<NavigatorGpuLike | null> {
  // Node's process.env writes through to the C environment, which EGL reads when Dawn loads it.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const gles = webgpu.create(['backend=opengles']);
  const compatibility: NavigatorGpuLike = {
    // gpu.js asks for an adapter without options; GLES only answers a compatibility request.
    requestAdapter: (options) => gles.requestAdapter({ ...options, featureLevel: 'compatibility' }),
    getPreferredCanvasFormat: () => gles.getPreferredCanvasFormat(),
  };
  const adapter = await compatibility.requestAdapter().catch(() => null);
  if (adapter) nameAdapter(adapter);
  return adapter ? compatibility : null;
}

function defineNavigatorGpu(gpu: NavigatorGpuLike): void {
  const holder = globalThis as { navigator?: object };
  if (holder.navigator) {
    Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true });
    return;
  }
  // Node 20 has no navigator; gpu.js's webasm worker pool also reads hardwareConcurrency from it.
  const hardwareConcurrency = coreCount();
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, hardwareConcurrency }, configurable: true, writable: true });
}

// What the engine needs from where it runs, Node or a browser, looked up at run time: Node's built-in modules come
// from process.getBuiltinModule (Node ≥ 20.16), so no file of the engine imports a `node:` module and a bundler
// needs neither stubs nor plugins to put the engine in a page.

interface NodeProcess {
  versions: { node?: string };
  env: Record<string, string | undefined>;
  getBuiltinModule?(id: string): unknown;
}
const nodeProcess = (globalThis as { process?: NodeProcess }).process;

/** True under Node (and Node's worker threads); false in a page or a Web Worker. */
export const isNode = typeof nodeProcess?.versions?.node === 'string';

/** A Node built-in module, e.g. nodeBuiltin<typeof import('node:os')>('node:os'); throws outside Node. */
export function nodeBuiltin<T>(id: string): T {
  const get = nodeProcess?.getBuiltinModule;
  if (!isNode || !get) {
    throw new Error(`${id}: expected Node >= 20.16 (process.getBuiltinModule), got ${isNode ? `Node ${nodeProcess!.versions.node}` : 'a browser'}; this part of tleg-ts runs only under Node`);
  }
  return get.call(nodeProcess, id) as T;
}

/** An environment variable under Node; undefined in a browser. */
export function envVar(name: string): string | undefined {
  return nodeProcess?.env?.[name];
}

/** Logical cores: os.availableParallelism() under Node, navigator.hardwareConcurrency in a browser. */
export function coreCount(): number {
  if (isNode) return nodeBuiltin<typeof import('node:os')>('node:os').availableParallelism();
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

/**
 * Why the wasm kernels must stay on the calling thread here, or null where a worker pool can run: threads share
 * one SharedArrayBuffer (a page has it only when cross-origin isolated, i.e. served with COOP/COEP headers), and
 * the calling thread waits for them with Atomics.wait, which a browser forbids on a page's main thread.
 */
export function singleThreadReason(): string | null {
  if (isNode) return null;
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean; WorkerGlobalScope?: unknown };
  if (typeof g.SharedArrayBuffer === 'undefined' || g.crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), so there is no SharedArrayBuffer';
  }
  if (typeof g.WorkerGlobalScope === 'undefined') {
    return "this is a page's main thread, where browsers forbid Atomics.wait; run the engine in a Web Worker to use threads";
  }
  return null;
}

/** Whether WebAssembly memory can be shared between threads here. */
export function sharedMemoryAvailable(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  return typeof g.SharedArrayBuffer !== 'undefined' && g.crossOriginIsolated !== false;
}

/** A started worker: a Node worker thread or a module Web Worker. */
export interface HostWorker {
  /** settles once the worker has called workerStarted() (or failed to start) */
  readonly started: Promise<void>;
}
type Listener = (e: unknown) => void;
interface EventTargetLike { addEventListener(type: string, f: Listener, o: { once: true }): void }

/**
 * Starts the module `url` as a worker and hands it `data` (Node: as workerData; browser: as its first message,
 * which workerData() below awaits). A Node worker does not keep the process alive.
 */
export function startWorker(url: URL, data: unknown): HostWorker {
  if (isNode) {
    const { Worker } = nodeBuiltin<typeof import('node:worker_threads')>('node:worker_threads');
    const w = new Worker(url, { workerData: data });
    w.unref();
    return { started: new Promise((done) => { w.once('message', () => done()); w.once('error', () => done()); }) };
  }
  const WebWorker = (globalThis as unknown as { Worker?: new (url: URL, o: { type: 'module' }) => EventTargetLike & { postMessage(d: unknown): void } }).Worker;
  if (!WebWorker) throw new Error('startWorker: expected a global Worker (a page or a dedicated worker), got none');
  const w = new WebWorker(url, { type: 'module' });
  const started = new Promise<void>((done) => { w.addEventListener('message', () => done(), { once: true }); w.addEventListener('error', () => done(), { once: true }); });
  w.postMessage(data);
  return { started };
}

/** Inside a worker started by startWorker: tells the starter it is running (one message, then silence). */
export function workerStarted(): void {
  if (isNode) nodeBuiltin<typeof import('node:worker_threads')>('node:worker_threads').parentPort?.postMessage('started');
  else (globalThis as unknown as { postMessage(m: string): void }).postMessage('started');
}

/** Inside a worker started by startWorker: the data it was given. */
export function workerData<T>(): Promise<T> {
  if (isNode) return Promise.resolve(nodeBuiltin<typeof import('node:worker_threads')>('node:worker_threads').workerData as T);
  const scope = globalThis as unknown as { addEventListener(t: 'message', f: (e: { data: T }) => void, o: { once: true }): void };
  return new Promise((resolve) => scope.addEventListener('message', (e) => resolve(e.data), { once: true }));
}

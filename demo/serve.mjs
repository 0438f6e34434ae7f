// A small static file server for the demo and the browser tests. Every response carries COOP/COEP, so pages
// are cross-origin isolated (SharedArrayBuffer, wasm threads), except under /plain/, which serves the same
// files without them (a page that is not isolated). Usage: node demo/serve.mjs [dir] [port].
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.bin': 'application/octet-stream', '.safetensors': 'application/octet-stream',
  '.png': 'image/png', '.map': 'application/json',
};

/** Serves `root` on `port` (0: any free port); resolves to { url, close }. */
export function serve(root, port = 0) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const isolated = !path.startsWith('/plain/');
    if (!isolated) path = path.slice('/plain'.length);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(base, path));
    if (!file.startsWith(base)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      const headers = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' };
      if (isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
    }
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address();
      done({ url: `http://127.0.0.1:${p}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2] ?? 'dist/demo-site';
  const { url } = await serve(root, Number(process.argv[3] ?? 8080));
  console.log(`serving ${root} at ${url}/ (cross-origin isolated; ${url}/plain/ is not)`);
}

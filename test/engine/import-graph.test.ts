// The engine's import graph as it runs: the one import circle allowed is Tensor ↔ ops (tensor.ts calls the ops,
// the ops build Tensors). Read from the TypeScript sources (not dist/, where files of an older layout may linger);
// type-only imports are left out, since they are gone from the compiled JavaScript.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const engineDir = fileURLToPath(new URL('../../../engine/', import.meta.url));

/** The relative modules a TypeScript source imports or re-exports at run time (static and dynamic). */
function runtimeImports(src: string): string[] {
  const specs: string[] = [];
  for (const m of src.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*'(\.[^']+)'/g)) {
    if (m[2]) continue; // import type / export type
    const names = m[3].trim();
    const braces = /^\{([^}]*)\}$/.exec(names);
    // import { type A, type B } from ...: nothing left at run time
    if (braces && braces[1].split(',').map((n) => n.trim()).filter(Boolean).every((n) => n.startsWith('type '))) continue;
    specs.push(m[4]);
  }
  for (const m of src.matchAll(/import\('(\.[^']+)'\)/g)) specs.push(m[1]);
  return specs;
}

/** file → the engine files it imports at run time, as paths relative to engine/ (foo.ts). */
function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const deps = runtimeImports(readFileSync(path, 'utf8')).map((s) => relative(root, normalize(join(dirname(path), s.replace(/\.js$/, '.ts')))));
        graph.set(relative(root, path), deps);
      }
    }
  };
  walk(root);
  return graph;
}

/** Strongly connected components of more than one module (Tarjan): each is an import circle. */
function importCircles(graph: Map<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) circles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}

const allowed = (file: string): boolean => file === 'tensor.ts' || file.startsWith('ops/');

test('the circle finder finds a circle of three and ignores a chain', () => {
  const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []], ['e', ['d']]]);
  assert.deepEqual(importCircles(graph), [['a', 'b', 'c']]);
});

test('type-only imports are not run-time imports', () => {
  const src = "import type { A } from './a.js';\nimport { type B, type C } from './b.js';\nimport { d, type E } from './d.js';\nexport type { F } from './f.js';\nexport { g } from './g.js';\nconst h = await import('./h.js');";
  assert.deepEqual(runtimeImports(src), ['./d.js', './g.js', './h.js']);
});

test('the engine has no import circle other than Tensor ↔ ops', () => {
  assert.ok(existsSync(join(engineDir, 'tensor.ts')), `expected the engine sources in ${engineDir}`);
  const graph = importGraph(engineDir);
  assert.ok((graph.get('tensor.ts') ?? []).includes('autograd.ts'), 'the graph should hold tensor.ts → autograd.ts');
  const bad = importCircles(graph).filter((c) => !c.every(allowed));
  assert.deepEqual(bad, [], `import circles outside Tensor ↔ ops:\n${bad.map((c) => c.join(' → ')).join('\n')}`);
});

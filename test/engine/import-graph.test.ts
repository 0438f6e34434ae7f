// The engine's import graph, as it runs (the compiled JavaScript, where type-only imports are gone): the one
// import circle allowed is Tensor ↔ ops (tensor.ts calls the ops, the ops build Tensors).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const engineDir = fileURLToPath(new URL('../../engine/', import.meta.url));

/** file → the relative modules it imports or re-exports at run time (static and dynamic). */
function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.js')) {
        const src = readFileSync(path, 'utf8');
        const specs = [...src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*'(\.[^']+)'|import\('(\.[^']+)'\)/g)].map((m) => m[1] ?? m[2]);
        graph.set(relative(root, path), specs.map((s) => relative(root, normalize(join(dirname(path), s)))));
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

const allowed = (file: string): boolean => file === 'tensor.js' || file.startsWith('ops/');

test('the circle finder finds a circle of three and ignores a chain', () => {
  const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []], ['e', ['d']]]);
  assert.deepEqual(importCircles(graph), [['a', 'b', 'c']]);
});

test('the engine has no import circle other than Tensor ↔ ops', () => {
  const graph = importGraph(engineDir);
  assert.ok(graph.has('tensor.js') && graph.has('autograd.js'), `expected the compiled engine in ${engineDir}`);
  const bad = importCircles(graph).filter((c) => !c.every(allowed));
  assert.deepEqual(bad, [], `import circles outside Tensor ↔ ops:\n${bad.map((c) => c.join(' → ')).join('\n')}`);
});

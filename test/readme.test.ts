// The README's examples run as written: every ```ts block after a `<!-- runnable -->` marker is
// transpiled and executed as a module inside the package, so `tleg-ts/...` imports resolve to dist/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/<!-- runnable -->\s*```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

test('README has runnable examples', () => {
  assert.ok(blocks.length >= 3, `expected at least 3 runnable blocks, found ${blocks.length}`);
});

blocks.forEach((code, i) => {
  const firstLine = code.split('\n').find((l) => l.trim() && !l.startsWith('import')) ?? '';
  test(`README example ${i + 1} runs: ${firstLine.trim().slice(0, 60)}`, () => {
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const dir = join(root, 'dist', 'readme-examples');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `example-${i + 1}.mjs`);
    writeFileSync(file, js);
    execFileSync(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  });
});

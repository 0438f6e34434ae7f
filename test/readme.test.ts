// The README's examples run as written and print what the README says they print: every ```ts block
// after a `<!-- runnable -->` marker is transpiled and executed as a module inside the package (so
// `tleg-ts/...` imports resolve to dist/), and its standard output must equal the ```text block after the
// `<!-- output -->` marker that follows it. A runnable block that prints must have that output block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Example { code: string; output: string | undefined }

/** A runnable block, then (optionally, right after it) its expected output. */
export function extractExamples(markdown: string): Example[] {
  const pattern = /<!-- runnable -->\s*```ts\n([\s\S]*?)```\n(?:\s*<!-- output -->\s*```text\n([\s\S]*?)```)?/g;
  return [...markdown.matchAll(pattern)].map((m) => ({ code: m[1], output: m[2] }));
}

/** Lines without trailing spaces, without trailing empty lines. */
const normalise = (text: string): string => text.split('\n').map((l) => l.trimEnd()).join('\n').replace(/\n+$/, '');

const examples = extractExamples(readme);

test('README has runnable examples, and each one that prints shows its output', () => {
  assert.ok(examples.length >= 3, `expected at least 3 runnable blocks, found ${examples.length}`);
  examples.forEach(({ code, output }, i) => {
    if (/console\.log/.test(code)) assert.ok(output !== undefined, `README example ${i + 1} prints but has no <!-- output --> block after it`);
  });
});

test('the README example extractor pairs each block with the output block right after it, and only that one', () => {
  const md = '<!-- runnable -->\n```ts\na()\n```\n<!-- output -->\n```text\n1\n```\ntext\n<!-- runnable -->\n```ts\nb()\n```\nprose\n<!-- output -->\n```text\n2\n```\n';
  assert.deepEqual(extractExamples(md), [{ code: 'a()\n', output: '1\n' }, { code: 'b()\n', output: undefined }]);
});

examples.forEach(({ code, output }, i) => {
  const firstLine = code.split('\n').find((l) => l.trim() && !l.startsWith('import')) ?? '';
  test(`README example ${i + 1} runs${output !== undefined ? ' and prints its documented output' : ''}: ${firstLine.trim().slice(0, 60)}`, () => {
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const dir = join(root, 'dist', 'readme-examples');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `example-${i + 1}.mjs`);
    writeFileSync(file, js);
    const stdout = execFileSync(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, encoding: 'utf8' });
    if (output !== undefined) assert.equal(normalise(stdout), normalise(output), `README example ${i + 1}: printed output differs from the README's <!-- output --> block`);
  });
});

// The README's TypeScript snippets compile under strict tsc as a user's project would (moduleResolution NodeNext,
// `tleg-ts/...` resolved through the package's exports to the built .d.ts files): every ```ts block, each as its
// own module. (test/readme.test.ts runs the runnable ones.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => ({
  code: m[1], line: readme.slice(0, m.index).split('\n').length + 1,
}));

test('the README has TypeScript snippets to check', () => {
  assert.ok(blocks.length >= 5, `expected at least 5 \`\`\`ts blocks, found ${blocks.length}`);
});

test('every ```ts snippet of the README compiles under strict tsc (NodeNext, noImplicitAny, strictNullChecks)', () => {
  const dir = join(root, 'dist', `readme-typecheck-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files = blocks.map(({ code }, i) => {
      const file = join(dir, `snippet-${i + 1}.ts`);
      writeFileSync(file, `${code}\nexport {};\n`); // each snippet is its own module
      return file;
    });
    const program = ts.createProgram(files, {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts'],
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: ['node'], skipLibCheck: true,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file) return `TS${d.code}: ${text}`;
      const index = files.indexOf(resolve(d.file.fileName));
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      return `README.md:${index >= 0 ? blocks[index].line + line : '?'} (snippet ${index + 1}) TS${d.code}: ${text}`;
    });
    assert.deepEqual(problems, [], `strict tsc errors in README snippets:\n${problems.join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

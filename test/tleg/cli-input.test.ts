// The experiment's CLI (`tleg [flags]`) refuses bad input before anything is written, as a new user meets it:
// child processes in a temporary directory; each refusal exits 2 with one prefixed message, no stack trace,
// and leaves the directory as it was (no run directory, no manifest.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { serializeIdx } from '../../model/data/idx.js';
import { writeSafetensors } from '../../model/io/index.js';
import { Generator } from '../../engine/index.js';
import { VisionTransformer } from '../../model/vit.js';
import { modelConfig } from '../../tleg/presets.js';
import { saveModel } from '../../tleg/stage.js';
import { parseCli } from '../../tleg/cli.js';
import { listing, runCli, tempDir } from './cli-run.js';

function withDir(body: (dir: string) => void): void {
  const dir = tempDir('tleg-input-');
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An IDX image/label pair of 28×28 grey images; `labels` gives each example's label. */
function writeIdxSet(dir: string, name: string, labels: number[], dims = [labels.length, 28, 28]): void {
  const size = dims.reduce((a, b) => a * b, 1);
  writeFileSync(join(dir, `${name}-images.idx`), serializeIdx(new Uint8Array(size).map((_, i) => i % 251), dims));
  writeFileSync(join(dir, `${name}-labels.idx`), serializeIdx(Uint8Array.from(labels), [labels.length]));
}

const balanced = (n: number, classes: number): number[] => Array.from({ length: n }, (_, i) => i % classes);

/** Input files the refusals read, made in `dir`. */
function makeInputs(dir: string): void {
  writeFileSync(join(dir, 'notes.txt'), 'not a run directory\n');
  writeFileSync(join(dir, 'garbage.safetensors'), 'these are notes, not tensors\n');
  // a few hundred bytes whose metadata describes a 100-block, 2048-wide ViT: refused before any model is built
  const big = { ...modelConfig('tleg-small', 100, 10), embedDim: 2048, numHeads: 16 };
  writeSafetensors(join(dir, 'big-config.safetensors'), { 'norm.weight': { dtype: 'float32', shape: [2], data: new Float32Array(2) } }, { config: JSON.stringify(big) });
  writeIdxSet(dir, 'small', balanced(20, 2));
  writeIdxSet(dir, 'empty', [], [0, 28, 28]);
  writeIdxSet(dir, 'flat', balanced(40, 2), [40, 0, 28]);
  writeIdxSet(dir, 'gap', [...balanced(99, 10), 200]);
  // a header of 100 images, then 64 MB more: the gzip file is ~64 kB
  const header = serializeIdx(new Uint8Array(100 * 28 * 28), [100, 28, 28]);
  const bomb = new Uint8Array(header.length + 64 * 2 ** 20);
  bomb.set(header);
  writeFileSync(join(dir, 'bomb-images.idx.gz'), gzipSync(bomb));
  writeFileSync(join(dir, 'huge-images.idx.gz'), gzipSync(serializeIdx(new Uint8Array(0), [60000, 28000, 0]).map((b, i) => (i === 15 ? 28 : b))));
}

const TINY = ['--preset', 'tiny', '--quiet'];
const REFUSALS: Array<[string, string[], RegExp]> = [
  ['--depths -2', ['--depths', '-2'], /--depths: expected an integer from 1 to 100, got "-2"/],
  ['--depths=-2', ['--depths=-2'], /--depths: expected an integer from 1 to 100, got "-2"/],
  ['--budget -5', ['--budget', '-5'], /--budget: expected an integer from 1 to 1000000, got "-5"/],
  ['--seed -1', ['--seed', '-1'], /--seed: expected an integer from 0 to 2147483647, got "-1"/],
  ['--threads 0', ['--threads', '0'], /--threads: expected an integer from 1 to 256, got "0"/],
  ['--threads with gpujs', ['--threads', '2', '--backend', 'gpujs'], /--threads sets the cpu backend's threads; --backend gpujs does not use them/],
  ['--depths 1000000 (capped)', ['--depths', '1000000'], /--depths: expected an integer from 1 to 100, got "1000000"/],
  ['--budget too large', ['--budget', '99999999999999999999'], /--budget: expected an integer from 1 to 1000000/],
  ['--preset toString', ['--preset', 'toString'], /--preset: expected one of tiny, quick, full, got "toString"/],
  ['--preset __proto__', ['--preset', '__proto__'], /--preset: expected one of tiny, quick, full, got "__proto__"/],
  ['--model constructor', ['--model', 'constructor'], /--model: expected one of tleg-tiny, tleg-small, tleg-base, got "constructor"/],
  ['--out naming a file', ['--out', 'notes.txt'], /--out "notes.txt": is a file, not a directory/],
  ['--out under a file', ['--out', 'notes.txt/run'], /--out "notes.txt\/run": .*notes.txt is a file, not a directory/],
  ["--out ''", ['--out', ''], /--out: expected a directory for the run, got ""/],
  ['--teacher garbage', ['--teacher', 'garbage.safetensors'], /--teacher garbage.safetensors: not a readable safetensors file: .*header length/],
  ['--teacher a directory', ['--teacher', '.'], /--teacher: expected a timm-named ViT safetensors file, "." is a directory/],
  ['--teacher whose metadata describes a big config', ['--teacher', 'big-config.safetensors'],
    /--teacher big-config.safetensors: not a timm-named ViT for its config \(depth 100, embed_dim 2048[^]*missing "pos_embed"/],
  ['an IDX set smaller than one batch', ['--dataset', 'small-images.idx', '--labels', 'small-labels.idx'],
    /--dataset small-images.idx: 16 training examples, fewer than one batch of 32 \(preset tiny\)/],
  ['an IDX set of zero images', ['--dataset', 'empty-images.idx', '--labels', 'empty-labels.idx'], /IDX empty-images.idx: holds no images \(shape \[0, 28, 28\]\)/],
  ['IDX images of zero height', ['--dataset', 'flat-images.idx', '--labels', 'flat-labels.idx'], /IDX flat-images.idx: images of height 0, width 28/],
  ['IDX labels outside the class range', ['--dataset', 'gap-images.idx', '--labels', 'gap-labels.idx'],
    /--labels gap-labels.idx: labels run up to 200, but 190 of the classes 0..200 never occur \(10, 11, /],
  ['a gzip IDX file that inflates past its header', ['--dataset', 'bomb-images.idx.gz', '--labels', 'gap-labels.idx'],
    /IDX bomb-images.idx.gz: has trailing bytes: dimensions \[100, 28, 28\] of uint8 need 78416 bytes, the gzip data inflates to more/],
  ['a gzip IDX header describing more than the limit', ['--dataset', 'huge-images.idx.gz', '--labels', 'gap-labels.idx'],
    /IDX huge-images.idx.gz: dimensions \[60000, 28000, 28\] of uint8 need 47040000016 bytes, more than the limit/],
  ['--labels a directory', ['--dataset', 'gap-images.idx', '--labels', '.'], /--labels: expected an IDX label file, "." is a directory/],
];

test('tleg [flags]: every bad flag and input file is refused with exit code 2 and one message, nothing written', () => {
  withDir((dir) => {
    makeInputs(dir);
    const before = listing(dir);
    for (const [what, args, message] of REFUSALS) {
      const r = runCli([...TINY, ...args], dir);
      assert.equal(r.code, 2, `${what}: exit code ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, /^tleg: /, `${what}: one prefixed message`);
      assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|argument is ambiguous/, `${what}: no stack trace`);
      assert.deepEqual(listing(dir), before, `${what}: files written`);
    }
  });
});

test('tleg --out under /proc or /sys: refused at once with exit code 2 (no loop, no raw errno)', (t) => {
  if (!existsSync('/proc/self') || !existsSync('/sys/kernel')) {
    t.skip('no /proc or /sys on this system');
    return;
  }
  withDir((dir) => {
    for (const out of ['/proc/tleg-run', '/sys/tleg-run']) {
      const r = runCli([...TINY, '--out', out], dir);
      assert.equal(r.code, 2, `${out}: exit code ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^tleg: --out "${out}": cannot create the directory ${out} \\(E[A-Z]+\\); choose a writable place`));
      assert.deepEqual(listing(dir), []);
    }
  });
});

test('a refused --teacher leaves no manifest behind: the run directory stays free for the corrected command', () => {
  withDir((dir) => {
    makeInputs(dir);
    const refused = runCli([...TINY, '--depths', '1', '--teacher', 'garbage.safetensors', '--out', 'run'], dir);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(existsSync(join(dir, 'run')), false, 'nothing created before the teacher was checked');
    const ok = runCli([...TINY, '--depths', '1', '--out', 'run'], dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir, 'run', 'manifest.json'), 'utf8')).settings.teacherFile, null);
    assert.ok(statSync(join(dir, 'run', 'results.json')).isFile());
    assert.ok(!listing(join(dir, 'run')).some((f) => f.includes('.write-probe') || f.includes('.tmp-')), listing(join(dir, 'run')).join('\n'));
  });
});

test('the default run directory of an IDX data set names the file and a hash of both paths, so two sets never share one', () => {
  withDir((dir) => {
    writeIdxSet(dir, 'a', balanced(100, 10));
    writeIdxSet(dir, 'b', balanced(100, 10));
    const out = (name: string, labels = name): string =>
      parseCli(['--preset', 'tiny', '--dataset', join(dir, `${name}-images.idx`), '--labels', join(dir, `${labels}-labels.idx`)])!.out;
    assert.match(out('a'), /^runs\/tiny-idx-a-images\.idx-[0-9a-f]{8}-seed0$/);
    assert.match(out('b'), /^runs\/tiny-idx-b-images\.idx-[0-9a-f]{8}-seed0$/);
    assert.notEqual(out('a', 'b'), out('a'), 'other labels, other directory');
    assert.equal(out('a'), out('a'), 'the same set, the same directory (a rerun resumes)');
    assert.equal(parseCli(['--preset', 'tiny'])!.out, 'runs/tiny-synthetic-seed0');
    assert.equal(parseCli(['--preset', 'tiny', '--threads', '1'])!.threads, 1);
    assert.equal(parseCli(['--preset', 'tiny'])!.threads, undefined);
  });
});

test('a valid --teacher file (config stored, or read from the shapes) is used; one for other data is refused before anything is written', () => {
  withDir((dir) => {
    const config = modelConfig('tleg-tiny', 2, 10);
    const teacher = new VisionTransformer(config, { generator: new Generator(3) });
    saveModel(teacher, join(dir, 'teacher.safetensors'), { config: JSON.stringify(config) });
    saveModel(teacher, join(dir, 'bare.safetensors'));
    const five = new VisionTransformer({ ...config, numClasses: 5 }, { generator: new Generator(3) });
    saveModel(five, join(dir, 'five.safetensors'), { config: JSON.stringify({ ...config, numClasses: 5 }) });
    const wrong = runCli([...TINY, '--depths', '1', '--teacher', 'five.safetensors'], dir);
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /^tleg: --teacher five.safetensors: the teacher has 5 classes, the data set 10\n$/);
    assert.deepEqual(listing(dir), ['bare.safetensors', 'five.safetensors', 'teacher.safetensors']);
    for (const file of ['teacher.safetensors', 'bare.safetensors']) {
      const r = runCli([...TINY, '--depths', '1', '--teacher', file, '--out', `run-${file}`], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`\\[teacher\\] from ${file}: accuracy \\d+\\.\\d\\d%`));
      const result = JSON.parse(readFileSync(join(dir, `run-${file}`, 'stages', 'teacher', 'result.json'), 'utf8'));
      assert.deepEqual([result.depth, result.steps], [2, 0]);
    }
  });
});

// An IDX file is untrusted: a gzip file's header is read before its data is inflated, and the sizes the
// header states bound the inflation (a small file cannot make us inflate gigabytes); empty sets are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IDX_MAX_BYTES, parseIdx, serializeIdx } from '../../model/data/idx.js';
import { loadIdxDataset } from '../../model/data/mnist.js';

const images = (n: number): Uint8Array => serializeIdx(new Uint8Array(n * 28 * 28).map((_, i) => i % 256), [n, 28, 28]);

test('IDX gzip: the header is checked before the data is inflated (a corrupt stream after a too-large header says "limit", not "corrupt")', () => {
  const whole = gzipSync(images(1000));
  // the first kilobyte inflates to the header; the rest of the stream is garbage
  const damaged = Uint8Array.from([...whole.subarray(0, 1024), ...new Uint8Array(4096).fill(0xff)]);
  assert.throws(() => parseIdx(damaged, 'big.idx.gz', { maxBytes: 10_000 }),
    /IDX big.idx.gz: dimensions \[1000, 28, 28\] of uint8 need 784016 bytes, more than the limit of 10000/);
  assert.throws(() => parseIdx(damaged, 'big.idx.gz'), /IDX big.idx.gz: gzip data is corrupt/);
  assert.equal(IDX_MAX_BYTES, 2 ** 31 - 1);
});

test('IDX gzip: inflation stops at the size the header states (trailing data is refused without inflating it all)', () => {
  const header = images(2);
  const padded = new Uint8Array(header.length + 32 * 2 ** 20);
  padded.set(header);
  const file = gzipSync(padded);
  assert.ok(file.length < 64 * 1024, `${file.length} bytes of gzip`);
  assert.throws(() => parseIdx(file, 'pad.idx.gz'), /IDX pad.idx.gz: has trailing bytes: dimensions \[2, 28, 28\] of uint8 need 1584 bytes, the gzip data inflates to more/);
});

test('IDX gzip: a header claiming more than deflate can hold in the file is truncated, said before inflating', () => {
  const claim = serializeIdx(new Uint8Array(0), [0, 28, 28]);
  claim[7] = 100; // 100 images, no data
  const file = gzipSync(claim);
  assert.throws(() => parseIdx(file, 'short.idx.gz'), new RegExp(`IDX short.idx.gz: truncated: dimensions \\[100, 28, 28\\] of uint8 need 78416 bytes, a gzip file of ${file.length} bytes holds at most ${file.length * 1032}`));
});

test('IDX gzip: a long gzip header (a 3000-byte file name) still finds the IDX header; the values round-trip', () => {
  const plain = images(3);
  const gz = gzipSync(plain);
  const name = new TextEncoder().encode('n'.repeat(3000));
  const withName = Uint8Array.from([...gz.subarray(0, 3), gz[3]! | 0x08, ...gz.subarray(4, 10), ...name, 0, ...gz.subarray(10)]);
  const parsed = parseIdx(withName, 'named.idx.gz');
  assert.deepEqual(parsed.dims, [3, 28, 28]);
  assert.deepEqual([...parsed.data], [...plain.subarray(16)]);
});

test('loadIdxDataset: zero images and zero height or width are refused, naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tleg-idx-limits-'));
  try {
    const write = (name: string, dims: number[], labels: number) => {
      writeFileSync(join(dir, `${name}-i`), serializeIdx(new Uint8Array(dims.reduce((a, b) => a * b, 1)), dims));
      writeFileSync(join(dir, `${name}-l`), serializeIdx(new Uint8Array(labels), [labels]));
      return [join(dir, `${name}-i`), join(dir, `${name}-l`)] as const;
    };
    assert.throws(() => loadIdxDataset(...write('none', [0, 28, 28], 0)), /none-i: holds no images \(shape \[0, 28, 28\]\); expected at least one/);
    assert.throws(() => loadIdxDataset(...write('flat', [4, 0, 28], 4)), /flat-i: images of height 0, width 28, 1 channel\(s\); each must be at least 1/);
    assert.throws(() => loadIdxDataset(...write('thin', [4, 28, 0], 4)), /thin-i: images of height 28, width 0/);
    assert.throws(() => loadIdxDataset(...write('dark', [4, 28, 28, 0], 4)), /dark-i: images of height 28, width 28, 0 channel/);
    assert.equal(loadIdxDataset(...write('ok', [4, 28, 28], 4)).n, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

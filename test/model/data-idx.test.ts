import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { parseIdx, readIdx, serializeIdx, writeIdx, type IdxArray, type IdxType } from '../../model/data/idx.js';
import { loadIdxDataset } from '../../model/data/mnist.js';

const bytesOf = (a: IdxArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const idxArb = fc
  .tuple(
    fc.constantFrom<IdxType>('uint8', 'int8', 'int16', 'int32', 'float32', 'float64'),
    fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 4 }),
  )
  .chain(([type, dims]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const len = { minLength: n, maxLength: n };
    const data: fc.Arbitrary<IdxArray> =
      type === 'uint8' ? fc.uint8Array(len) : type === 'int8' ? fc.int8Array(len) : type === 'int16' ? fc.int16Array(len)
      : type === 'int32' ? fc.int32Array(len) : type === 'float32' ? fc.float32Array(len) : fc.float64Array(len);
    return data.map((d) => ({ type, dims, data: d }));
  });

test('IDX: serialize then parse returns the type, dims and every element bit-for-bit, gzipped or not', () => {
  fc.assert(fc.property(idxArb, ({ type, dims, data }) => {
    const bytes = serializeIdx(data, dims);
    for (const encoded of [bytes, gzipSync(bytes)]) {
      const parsed = parseIdx(encoded);
      assert.equal(parsed.type, type);
      assert.deepEqual(parsed.dims, dims);
      assert.equal(parsed.data.constructor, data.constructor);
      assert.deepEqual(bytesOf(parsed.data), bytesOf(data));
    }
  }), { numRuns: 300 });
});

test('IDX: the layout is big-endian: 00 00 type ndims, u32 dims, then data', () => {
  const bytes = serializeIdx(new Int16Array([0x0102, -2]), [2]);
  assert.deepEqual([...bytes], [0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
});

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'idx-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

test('IDX: readIdx reads plain and .gz files written to disk', () => {
  withDir((dir) => {
    const data = new Float32Array([1.5, -2, 3]);
    writeIdx(join(dir, 'a.idx'), data, [3]);
    writeFileSync(join(dir, 'a.idx.gz'), gzipSync(serializeIdx(data, [3, 1])));
    assert.deepEqual(readIdx(join(dir, 'a.idx')), { type: 'float32', dims: [3], data });
    assert.deepEqual(readIdx(join(dir, 'a.idx.gz')), { type: 'float32', dims: [3, 1], data });
  });
});

const good = serializeIdx(new Uint8Array([1, 2, 3, 4, 5, 6]), [2, 3]);
const CORRUPT: [string, Uint8Array, RegExp][] = [
  ['too short', new Uint8Array([0, 0]), /2 bytes, too short for the 4-byte magic/],
  ['wrong magic', Uint8Array.from([0x50, 0x4b, 3, 4, ...good.subarray(4)]), /bad magic number 50 4b 03 04/],
  ['unknown type code', Uint8Array.from([0, 0, 0x0a, ...good.subarray(3)]), /unknown type code 0x0a/],
  ['truncated header', good.subarray(0, 9), /truncated header: 2 dimensions need 12 bytes, file has 9/],
  ['truncated data', good.subarray(0, good.length - 1), /truncated: dimensions \[2, 3\] of uint8 need 18 bytes, file has 17/],
  ['trailing bytes', Uint8Array.from([...good, 0]), /has trailing bytes: dimensions \[2, 3\] of uint8 need 18 bytes, file has 19/],
  ['corrupt gzip', gzipSync(good).subarray(0, 12), /gzip data is corrupt/],
];
for (const [what, bytes, message] of CORRUPT) {
  test(`IDX: corrupt input (${what}) is an error naming the file and the problem`, () => {
    assert.throws(() => parseIdx(bytes, 'bad.idx'), (err: Error) => {
      assert.match(err.message, message);
      assert.ok(err.message.includes('bad.idx'), err.message);
      return true;
    });
  });
}

test('IDX: serializeIdx rejects dims that do not match the data', () => {
  assert.throws(() => serializeIdx(new Uint8Array(5), [2, 3]), /dimensions \[2, 3\] need 6 elements, data has 5/);
  assert.throws(() => serializeIdx(new Uint8Array(0), [-1]), /u32 integers/);
});

test('loadIdxDataset: reads an image/label pair, and limit keeps the first examples', () => {
  withDir((dir) => {
    const images = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i);
    writeIdx(join(dir, 'img'), images, [3, 2, 2]);
    writeIdx(join(dir, 'lab'), new Uint8Array([2, 0, 1]), [3]);
    const ds = loadIdxDataset(join(dir, 'img'), join(dir, 'lab'), { name: 'tiny' });
    assert.deepEqual({ ...ds, images: [...ds.images], labels: [...ds.labels] },
      { name: 'tiny', images: [...images], labels: [2, 0, 1], n: 3, height: 2, width: 2, channels: 1, classes: 3 });
    const two = loadIdxDataset(join(dir, 'img'), join(dir, 'lab'), { limit: 2 });
    assert.equal(two.n, 2);
    assert.deepEqual([...two.images], [...images.subarray(0, 8)]);
    assert.deepEqual([...two.labels], [2, 0]);
  });
});

test('loadIdxDataset: image/label count mismatch, bad shapes and out-of-range labels are errors naming the files', () => {
  withDir((dir) => {
    const img = join(dir, 'img'), lab = join(dir, 'lab'), flat = join(dir, 'flat'), wide = join(dir, 'wide');
    writeIdx(img, new Uint8Array(3 * 4), [3, 2, 2]);
    writeIdx(lab, new Uint8Array([0, 1]), [2]);
    writeIdx(flat, new Uint8Array(4), [4]);
    writeIdx(wide, new Int32Array(3), [3]);
    assert.throws(() => loadIdxDataset(img, lab), (err: Error) =>
      err.message.includes(img) && err.message.includes(lab) && /3 images but .* 2 labels/.test(err.message));
    assert.throws(() => loadIdxDataset(flat, lab), /expected uint8 images of shape \[n, height, width\].*got uint8 \[4\]/);
    assert.throws(() => loadIdxDataset(img, wide), /expected uint8 labels of shape \[n\], got int32 \[3\]/);
    writeIdx(lab, new Uint8Array([0, 1, 7]), [3]);
    assert.throws(() => loadIdxDataset(img, lab, { classes: 5 }), new RegExp(`${lab}: label 7 at index 2 is not below the 5 classes`));
    assert.throws(() => loadIdxDataset(img, lab, { limit: -1 }), /limit must be a non-negative integer/);
  });
});

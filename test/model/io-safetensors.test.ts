import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseSafetensors, serializeSafetensors } from '../../model/io/safetensors.js';
import { readSafetensors, writeSafetensors } from '../../model/io/safetensors-file.js';
import { halfBitsToFloatBits, halfToFloat } from '../../model/io/half.js';
import type { DType, RawTensor } from '../../model/io/raw-tensor.js';

/** test/reference/fixtures/safetensors in the source tree (tests run from dist/, which has no fixtures). */
function fixturesDir(): string {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
      const candidate = join(dir, 'test', 'reference', 'fixtures', 'safetensors');
      if (existsSync(join(candidate, 'torch.safetensors'))) return candidate;
    }
  }
  throw new Error('test/reference/fixtures/safetensors not found above this test file or the working directory');
}

const bytesOf = (a: RawTensor['data']) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function assertSameTensor(actual: RawTensor | undefined, expected: RawTensor, name: string): void {
  assert.ok(actual, `missing tensor ${name}`);
  assert.equal(actual.dtype, expected.dtype, name);
  assert.deepEqual(actual.shape, expected.shape, name);
  assert.deepEqual(bytesOf(actual.data), bytesOf(expected.data), name); // bitwise: NaN payloads, -0
}

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 });
const rawTensorArb: fc.Arbitrary<RawTensor> = fc
  .tuple(fc.constantFrom<DType>('float32', 'float64', 'int32'), shapeArb)
  .chain(([dtype, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = dtype === 'float32' ? fc.float32Array({ minLength: size, maxLength: size })
      : dtype === 'float64' ? fc.float64Array({ minLength: size, maxLength: size })
      : fc.int32Array({ minLength: size, maxLength: size });
    return values.map((data): RawTensor => ({ dtype, shape, data }));
  });
const nameArb = fc.string({ maxLength: 12 }).filter((s) => s !== '__metadata__');

test('safetensors: serialize then parse returns every tensor bit-for-bit, and the metadata', () => {
  fc.assert(fc.property(
    fc.uniqueArray(fc.tuple(nameArb, rawTensorArb), { maxLength: 6, selector: ([name]) => name }),
    fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { nil: undefined }),
    (entries, metadata) => {
      const tensors = new Map(entries);
      const bytes = serializeSafetensors(tensors, metadata);
      const parsed = parseSafetensors(bytes);
      assert.equal(parsed.tensors.size, tensors.size);
      for (const [name, t] of tensors) assertSameTensor(parsed.tensors.get(name), t, name);
      assert.deepEqual({ ...parsed.metadata }, { ...(metadata ?? {}) });
    },
  ), { numRuns: 300 });
});

test('safetensors: header is padded to a multiple of 8 and every tensor starts at a multiple of its element size', () => {
  fc.assert(fc.property(fc.array(rawTensorArb, { maxLength: 6 }), (list) => {
    const bytes = serializeSafetensors(Object.fromEntries(list.map((t, i) => [`t${i}`, t])));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    for (const { dtype, data_offsets: [begin] } of Object.values(header)) {
      assert.equal(begin % (dtype === 'F64' ? 8 : 4), 0);
    }
  }));
});

test('safetensors: a buffer at an odd byte offset parses the same', () => {
  const t: RawTensor = { dtype: 'float64', shape: [2], data: new Float64Array([1.5, -2]) };
  const bytes = serializeSafetensors({ t });
  const shifted = new Uint8Array(bytes.length + 1).subarray(1);
  shifted.set(bytes);
  assertSameTensor(parseSafetensors(shifted).tensors.get('t'), t, 't');
});

/** A file with a hand-written header: bytes are `header` JSON (unpadded) then `data`. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('safetensors: tensors at unaligned offsets are read correctly (copied into aligned memory)', () => {
  const data = new Uint8Array(3 + 8);
  data.set([1, 2, 3]);
  new DataView(data.buffer).setFloat32(3, 1.25, true);
  new DataView(data.buffer).setFloat32(7, -7, true);
  const { tensors } = parseSafetensors(craft({
    bytes: { dtype: 'U8', shape: [3], data_offsets: [0, 3] },
    x: { dtype: 'F32', shape: [2], data_offsets: [3, 11] },
  }, data));
  assert.deepEqual([...tensors.get('x')!.data], [1.25, -7]);
  assert.deepEqual([...tensors.get('bytes')!.data], [1, 2, 3]);
  assert.equal(tensors.get('bytes')!.dtype, 'int32');
});

function decodeExpected(v: number | string): number {
  return v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === '-0.0' ? -0 : (v as number);
}

test('safetensors: a file written by safetensors.torch.save_file reads as gen_safetensors.py expects', () => {
  const dir = fixturesDir();
  const expected = JSON.parse(readFileSync(join(dir, 'torch.expected.json'), 'utf8')) as {
    metadata: Record<string, string>;
    tensors: Record<string, { dtype: DType; shape: number[]; values: (number | string)[] }>;
  };
  const { tensors, metadata } = readSafetensors(join(dir, 'torch.safetensors'));
  assert.deepEqual({ ...metadata }, expected.metadata);
  assert.deepEqual([...tensors.keys()].sort(), Object.keys(expected.tensors).sort());
  for (const [name, want] of Object.entries(expected.tensors)) {
    const got = tensors.get(name)!;
    assert.equal(got.dtype, want.dtype, name);
    assert.deepEqual(got.shape, want.shape, name);
    assert.equal(got.data.length, want.values.length, name);
    want.values.forEach((v, i) => {
      assert.ok(Object.is(got.data[i], decodeExpected(v)), `${name}[${i}]: got ${got.data[i]}, expected ${v}`);
    });
  }
});

test('safetensors: an I64 value outside int32 is an error naming the file, tensor and value', () => {
  const path = join(fixturesDir(), 'i64_out_of_range.safetensors');
  assert.throws(() => readSafetensors(path), (err: Error) =>
    err.message.includes(path) && err.message.includes('"big"') && err.message.includes('2147483648') && /int32 range/.test(err.message));
});

/** Mirrors EXPECTED in test/reference/verify_safetensors.py, which checks this file loads in PyTorch. */
const TS_WRITTEN: Record<string, RawTensor> = {
  'f64': { dtype: 'float64', shape: [3], data: new Float64Array([Math.PI, -0, 1e300]) },
  'f32': { dtype: 'float32', shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, i) => i * 0.5 - 1) },
  'i32': { dtype: 'int32', shape: [2, 2], data: new Int32Array([-2147483648, 2147483647, 0, -1]) },
  'scalar': { dtype: 'float32', shape: [], data: new Float32Array([3.25]) },
  'empty': { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
  'blocks.0.mlp.fc1.bias': { dtype: 'float32', shape: [3], data: new Float32Array([0.1, -0.2, 1e-30]) },
};

test('safetensors: our writer gives, byte for byte, fixtures/safetensors/written_by_ts.safetensors (the file verify_safetensors.py loaded in Python), and reads it back', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'tleg-st-')), 'written_by_ts.safetensors');
  writeSafetensors(path, TS_WRITTEN, { format: 'pt', writer: 'tleg-ts' });
  assert.deepEqual(readFileSync(path), readFileSync(join(fixturesDir(), 'written_by_ts.safetensors')));
  const { tensors, metadata } = readSafetensors(path);
  assert.deepEqual({ ...metadata }, { format: 'pt', writer: 'tleg-ts' });
  for (const [name, t] of Object.entries(TS_WRITTEN)) assertSameTensor(tensors.get(name), t, name);
});

test('safetensors: F16 conversion matches (-1)^s 2^(e-15) (1 + f/1024), subnormals 2^-14 (f/1024), for all 65536 patterns', () => {
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
    const want = e === 31 ? (f ? NaN : s * Infinity) : e === 0 ? s * 2 ** -14 * (f / 1024) : s * 2 ** (e - 15) * (1 + f / 1024);
    assert.ok(Object.is(halfToFloat(h), want), `0x${h.toString(16)}: got ${halfToFloat(h)}, expected ${want}`);
  }
  assert.equal(halfBitsToFloatBits(0x7e01), 0x7fc02000); // NaN payload kept
});

const where = 'bad.safetensors';
const f32 = (n: number) => new Uint8Array(4 * n);
const CORRUPT: [string, Uint8Array, RegExp][] = [
  ['too short', new Uint8Array(5), /5 bytes, too short/],
  ['header length past the end', (() => { const b = craft({}); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /header length 1000 is larger than the 2 bytes/],
  ['header length beyond 2^53', (() => { const b = craft({}); new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true); return b; })(), /header length 9223372036854775808 is larger/],
  ['invalid UTF-8', craft('{"a\xff":1}').map((b, i, a) => (i === 11 ? 0xff : b)), /not valid UTF-8/],
  ['invalid JSON', craft('{"a": '), /not valid JSON/],
  ['header is an array', craft([]), /must be a JSON object, got an array/],
  ['header is null', craft('null'), /must be a JSON object, got null/],
  ['header is a number', craft('5'), /must be a JSON object, got number 5/],
  ['entry not an object', craft({ x: 3 }), /tensor "x": expected an object/],
  ['unknown dtype', craft({ x: { dtype: 'Q7', shape: [], data_offsets: [0, 4] } }, f32(1)), /tensor "x": unknown dtype "Q7"/],
  ['unsupported dtype', craft({ x: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /dtype F8_E4M3 is not supported/],
  ['dtype not a string', craft({ x: { dtype: 4, shape: [], data_offsets: [0, 4] } }, f32(1)), /dtype must be a string/],
  ['negative dim', craft({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), /shape must be non-negative integers, got \[-1\]/],
  ['fractional dim', craft({ x: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, f32(1)), /shape must be non-negative integers/],
  ['shape not an array', craft({ x: { dtype: 'F32', shape: '2', data_offsets: [0, 8] } }, f32(2)), /shape must be an array/],
  ['huge shape', craft({ x: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 4] } }, f32(1)), /more than 2\^53 elements/],
  ['offsets not a pair', craft({ x: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32(1)), /data_offsets must be \[begin, end\]/],
  ['negative offset', craft({ x: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, f32(1)), /data_offsets must be \[begin, end\]/],
  ['begin after end', craft({ x: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32(1)), /begin > end/],
  ['offsets past the buffer', craft({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)), /run past the 4-byte data buffer/],
  ['byte count mismatch', craft({ x: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 8] } }, f32(2)), /shape \[2,2\] of F32 needs 16 bytes, data_offsets \[0, 8\] hold 8/],
  ['overlapping tensors', craft({
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
  }, f32(3)), /tensor "b" bytes \[4, 12\) overlap tensor "a" bytes \[0, 8\)/],
  ['hole between tensors', craft({
    a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
  }, f32(3)), /bytes \[4, 8\) belong to no tensor \(hole before tensor "b"\)/],
  ['trailing data', craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /data buffer is 8 bytes but the tensors cover only \[0, 4\)/],
  ['metadata not an object', craft({ __metadata__: ['x'] }), /"__metadata__" must be an object of strings/],
  ['metadata value not a string', craft({ __metadata__: { epoch: 3 } }), /"__metadata__" values must be strings, but "epoch" is number 3/],
];

for (const [what, bytes, message] of CORRUPT) {
  test(`safetensors: corrupt input (${what}) is an error naming the file and the problem`, () => {
    assert.throws(() => parseSafetensors(bytes, where), (err: Error) => {
      assert.match(err.message, message);
      assert.ok(err.message.includes(where), err.message);
      return true;
    });
  });
}

test('safetensors: readSafetensors names the path in its errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  try {
    const path = join(dir, 'broken.safetensors');
    writeFileSync(path, craft('[1]'));
    assert.throws(() => readSafetensors(path), new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: header must be a JSON object`));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('safetensors: serialize rejects tensors whose dtype, data or shape disagree, and reserved names', () => {
  const ok = (): RawTensor => ({ dtype: 'float32', shape: [2], data: new Float32Array(2) });
  assert.throws(() => serializeSafetensors({ x: { ...ok(), dtype: 'float64' } }), /tensor "x": dtype is "float64" but data is a float32 array/);
  assert.throws(() => serializeSafetensors({ x: { ...ok(), shape: [3] } }), /tensor "x": shape \[3\] needs 3 elements, data has 2/);
  assert.throws(() => serializeSafetensors({ x: { ...ok(), shape: [-2] } }), /shape must be non-negative integers/);
  assert.throws(() => serializeSafetensors({ x: { ...ok(), data: [0, 0] as unknown as Float32Array } }), /data must be a Float32Array/);
  assert.throws(() => serializeSafetensors(new Map([['__metadata__', ok()]])), /"__metadata__" is reserved/);
  assert.throws(() => serializeSafetensors({ x: ok() }, { n: 1 as unknown as string }), /values must be strings, but "n" is number 1/);
});

test('safetensors: writes replace the file atomically and leave no temporary files, also when they fail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  try {
    const path = join(dir, 'model.safetensors');
    const a: RawTensor = { dtype: 'int32', shape: [1], data: new Int32Array([1]) };
    const b: RawTensor = { dtype: 'int32', shape: [2], data: new Int32Array([2, 3]) };
    writeSafetensors(path, { a });
    writeSafetensors(path, { b });
    assert.deepEqual([...readSafetensors(path).tensors.keys()], ['b']);
    const before = readFileSync(path);
    assert.throws(() => writeSafetensors(path, { bad: { ...b, shape: [5] } }), /needs 5 elements/);
    assert.throws(() => writeSafetensors(join(dir, 'missing', 'x.safetensors'), { a }), /ENOENT/);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

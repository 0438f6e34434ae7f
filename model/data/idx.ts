// The IDX format of MNIST (http://yann.lecun.com/exdb/mnist/), big-endian throughout:
//   0x00 0x00 | type code | ndims | ndims x u32 dimension sizes | data, row-major
// Files may be gzip-compressed (the distributed *.gz); we detect gzip by its magic, not by the file name.
import { readFileSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { writeFileAtomic } from '../io/atomic-write.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxTensor {
  type: IdxType;
  dims: number[];
  /** Row-major, host-endian, length = product of dims. */
  data: IdxArray;
}

interface IdxTypeInfo {
  type: IdxType;
  code: number;
  itemsize: number;
  make(n: number): IdxArray;
  get(view: DataView, at: number): number; // big-endian read
  set(view: DataView, at: number, v: number): void; // big-endian write
}

const IDX_TYPES: IdxTypeInfo[] = [
  { type: 'uint8', code: 0x08, itemsize: 1, make: (n) => new Uint8Array(n), get: (v, a) => v.getUint8(a), set: (v, a, x) => v.setUint8(a, x) },
  { type: 'int8', code: 0x09, itemsize: 1, make: (n) => new Int8Array(n), get: (v, a) => v.getInt8(a), set: (v, a, x) => v.setInt8(a, x) },
  { type: 'int16', code: 0x0b, itemsize: 2, make: (n) => new Int16Array(n), get: (v, a) => v.getInt16(a), set: (v, a, x) => v.setInt16(a, x) },
  { type: 'int32', code: 0x0c, itemsize: 4, make: (n) => new Int32Array(n), get: (v, a) => v.getInt32(a), set: (v, a, x) => v.setInt32(a, x) },
  { type: 'float32', code: 0x0d, itemsize: 4, make: (n) => new Float32Array(n), get: (v, a) => v.getFloat32(a), set: (v, a, x) => v.setFloat32(a, x) },
  { type: 'float64', code: 0x0e, itemsize: 8, make: (n) => new Float64Array(n), get: (v, a) => v.getFloat64(a), set: (v, a, x) => v.setFloat64(a, x) },
];

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The largest IDX payload read by default (2 GiB); MNIST's training images are 47 MB. */
export const IDX_MAX_BYTES = 2 ** 31 - 1;
/** Deflate expands at most 1032:1, so a gzip file of n bytes holds at most about 1032·n. */
const DEFLATE_MAX_RATIO = 1032;
const MAX_HEADER = 4 + 4 * 255;

export interface ParseIdxOptions {
  /** Refuse files whose header describes more than this many bytes (default IDX_MAX_BYTES). */
  maxBytes?: number;
}

/**
 * The first bytes of a gzip stream, enough for the IDX header: growing prefixes of the compressed data are
 * inflated without finishing the stream, so a file that inflates to gigabytes is not inflated to read its header.
 */
function gunzipHead(bytes: Uint8Array, where: string): Uint8Array {
  for (let prefix = 1024; ; prefix *= 4) {
    const part = bytes.subarray(0, Math.min(prefix, bytes.length));
    let out: Uint8Array;
    try {
      // the whole file is inflated to its end, so that a truncated stream is reported as such
      const whole = part.length === bytes.length;
      out = gunzipSync(part, { finishFlush: whole ? zlibConstants.Z_FINISH : zlibConstants.Z_SYNC_FLUSH, maxOutputLength: part.length * DEFLATE_MAX_RATIO + MAX_HEADER });
    } catch (err) {
      throw new Error(`${where}: gzip data is corrupt (${(err as Error).message})`);
    }
    const need = out.length >= 4 ? 4 + 4 * out[3]! : 4;
    if (out.length >= need || part.length === bytes.length) return out;
    if (prefix >= 1 << 16) throw new Error(`${where}: no IDX header in the first ${prefix} bytes of gzip data (a gzip header this long is not an IDX file)`);
  }
}

interface IdxHeader {
  info: IdxTypeInfo;
  dims: number[];
  headerLength: number;
  /** Header plus data, in bytes. */
  expected: number;
}

function parseHeader(bytes: Uint8Array, where: string, available: string): IdxHeader {
  if (bytes.length < 4) throw new Error(`${where}: ${available} ${bytes.length} bytes, too short for the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${where}: bad magic number ${magic}; an IDX file starts with 00 00 <type> <ndims>`);
  }
  const info = IDX_TYPES.find((t) => t.code === bytes[2]);
  if (info === undefined) {
    throw new Error(`${where}: unknown type code 0x${bytes[2]!.toString(16).padStart(2, '0')}; expected one of ${IDX_TYPES.map((t) => `0x${t.code.toString(16).padStart(2, '0')} (${t.type})`).join(', ')}`);
  }
  const ndims = bytes[3]!;
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    throw new Error(`${where}: truncated header: ${ndims} dimensions need ${headerLength} bytes, ${available} ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let d = 0; d < ndims; d++) {
    const dim = view.getUint32(4 + 4 * d, false);
    dims.push(dim);
    size *= dim;
  }
  const expected = headerLength + size * info.itemsize;
  if (!Number.isSafeInteger(expected)) throw new Error(`${where}: dimensions [${dims.join(', ')}] are too large`);
  return { info, dims, headerLength, expected };
}

export function parseIdx(bytes: Uint8Array, source = '<buffer>', options: ParseIdxOptions = {}): IdxTensor {
  const where = `IDX ${source}`;
  const maxBytes = options.maxBytes ?? IDX_MAX_BYTES;
  if (isGzip(bytes)) {
    // header first: the sizes it states bound the inflation, before any data is inflated
    const { dims, info, expected } = parseHeader(gunzipHead(bytes, where), where, 'gzip data inflates to');
    const shape = `dimensions [${dims.join(', ')}] of ${info.type} need ${expected} bytes`;
    if (expected > maxBytes) throw new Error(`${where}: ${shape}, more than the limit of ${maxBytes}`);
    if (expected > bytes.length * DEFLATE_MAX_RATIO + MAX_HEADER) {
      throw new Error(`${where}: truncated: ${shape}, a gzip file of ${bytes.length} bytes holds at most ${bytes.length * DEFLATE_MAX_RATIO}`);
    }
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: Math.max(1, expected) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`${where}: has trailing bytes: ${shape}, the gzip data inflates to more`);
      throw new Error(`${where}: gzip data is corrupt (${(err as Error).message})`);
    }
  }
  const { info, dims, headerLength, expected } = parseHeader(bytes, where, 'file has');
  const size = (expected - headerLength) / info.itemsize;
  if (expected > maxBytes) throw new Error(`${where}: dimensions [${dims.join(', ')}] of ${info.type} need ${expected} bytes, more than the limit of ${maxBytes}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new Error(`${where}: ${what}: dimensions [${dims.join(', ')}] of ${info.type} need ${expected} bytes, file has ${bytes.length}`);
  }
  let data: IdxArray;
  if (info.itemsize === 1) {
    // One-byte types have no byte order: one bulk copy, so the result owns its memory rather than the file's.
    const copy = new Uint8Array(size);
    copy.set(bytes.subarray(headerLength, expected));
    data = info.type === 'uint8' ? copy : new Int8Array(copy.buffer);
  } else {
    data = info.make(size);
    for (let i = 0, at = headerLength; i < size; i++, at += info.itemsize) data[i] = info.get(view, at);
  }
  return { type: info.type, dims, data };
}

export function readIdx(path: string, options: ParseIdxOptions = {}): IdxTensor {
  return parseIdx(readFileSync(path), path, options);
}

function idxTypeOf(data: IdxArray): IdxTypeInfo {
  const type: IdxType | undefined =
    data instanceof Uint8Array ? 'uint8' : data instanceof Int8Array ? 'int8' : data instanceof Int16Array ? 'int16'
    : data instanceof Int32Array ? 'int32' : data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64'
    : undefined;
  const info = IDX_TYPES.find((t) => t.type === type);
  if (info === undefined) throw new Error(`serializeIdx: unsupported array type ${Object.prototype.toString.call(data)}`);
  return info;
}

/** Encodes an array as IDX; the element type follows the array type (Uint8Array -> 0x08, ...). */
export function serializeIdx(data: IdxArray, dims: readonly number[]): Uint8Array {
  const info = idxTypeOf(data);
  if (dims.length > 255) throw new Error(`serializeIdx: IDX allows at most 255 dimensions, got ${dims.length}`);
  let size = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new Error(`serializeIdx: dimensions must be u32 integers, got [${dims.join(', ')}]`);
    size *= d;
  }
  if (size !== data.length) throw new Error(`serializeIdx: dimensions [${dims.join(', ')}] need ${size} elements, data has ${data.length}`);
  const headerLength = 4 + 4 * dims.length;
  const out = new Uint8Array(headerLength + size * info.itemsize);
  const view = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0, at = headerLength; i < size; i++, at += info.itemsize) info.set(view, at, data[i]!);
  return out;
}

export function writeIdx(path: string, data: IdxArray, dims: readonly number[]): void {
  writeFileAtomic(path, serializeIdx(data, dims));
}

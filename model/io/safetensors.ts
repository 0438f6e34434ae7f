// The safetensors format (https://github.com/huggingface/safetensors):
//   u64 little-endian N | N bytes of JSON header | data buffer
// header: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } },
// offsets relative to the data buffer, tensors tiling it exactly (no gaps, no overlaps), data little-endian.
import { bfloat16ArrayToFloat32, halfArrayToFloat32 } from './half.js';
import { assertRawTensor, shapeSize, type DType, type RawTensor } from './raw-tensor.js';

export interface Safetensors {
  /** In file (data offset) order. */
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

type TypedOut = RawTensor['data'];

/** How each file dtype we read becomes a RawTensor. `bytes` is a fresh, aligned, host-endian copy of the tensor's data. */
interface FileDType {
  itemsize: number;
  dtype: DType;
  decode(bytes: Uint8Array, size: number, where: string): TypedOut;
}

const int32Widened = (itemsize: number, view: (buf: ArrayBuffer, n: number) => ArrayLike<number | bigint>): FileDType => ({
  itemsize,
  dtype: 'int32',
  decode(bytes, size, where) {
    const src = view(bytes.buffer as ArrayBuffer, size);
    const out = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const v = src[i]!;
      if (v < -2147483648 || v > 2147483647) {
        throw new Error(`${where}: element ${i} is ${v}, outside the int32 range this library stores integers in`);
      }
      out[i] = Number(v);
    }
    return out;
  },
});

const FILE_DTYPES: Record<string, FileDType> = {
  F64: { itemsize: 8, dtype: 'float64', decode: (b, n) => new Float64Array(b.buffer, 0, n) },
  F32: { itemsize: 4, dtype: 'float32', decode: (b, n) => new Float32Array(b.buffer, 0, n) },
  I32: { itemsize: 4, dtype: 'int32', decode: (b, n) => new Int32Array(b.buffer, 0, n) },
  F16: { itemsize: 2, dtype: 'float32', decode: (b, n) => halfArrayToFloat32(new Uint16Array(b.buffer, 0, n), new Float32Array(n)) },
  BF16: { itemsize: 2, dtype: 'float32', decode: (b, n) => bfloat16ArrayToFloat32(new Uint16Array(b.buffer, 0, n), new Float32Array(n)) },
  I64: int32Widened(8, (buf, n) => new BigInt64Array(buf, 0, n)),
  U64: int32Widened(8, (buf, n) => new BigUint64Array(buf, 0, n)),
  U32: int32Widened(4, (buf, n) => new Uint32Array(buf, 0, n)),
  I16: int32Widened(2, (buf, n) => new Int16Array(buf, 0, n)),
  U16: int32Widened(2, (buf, n) => new Uint16Array(buf, 0, n)),
  I8: int32Widened(1, (buf, n) => new Int8Array(buf, 0, n)),
  U8: int32Widened(1, (buf, n) => new Uint8Array(buf, 0, n)),
  BOOL: int32Widened(1, (buf, n) => new Uint8Array(buf, 0, n)),
};

/** dtypes the format defines that we cannot represent. */
const UNSUPPORTED_DTYPES = new Set(['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);

const WRITE_DTYPE: Record<DType, { name: string; itemsize: number }> = {
  float64: { name: 'F64', itemsize: 8 },
  float32: { name: 'F32', itemsize: 4 },
  int32: { name: 'I32', itemsize: 4 },
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each `itemsize`-byte group in place: little-endian file bytes <-> big-endian host. */
function swapBytes(bytes: Uint8Array, itemsize: number): void {
  for (let i = 0; i < bytes.length; i += itemsize) bytes.subarray(i, i + itemsize).reverse();
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

interface Entry { name: string; fileDType: FileDType; shape: number[]; size: number; begin: number; end: number }

/** Reads safetensors bytes: a file's contents, or an ArrayBuffer from fetch(). */
export function parseSafetensors(input: Uint8Array | ArrayBuffer, source = '<buffer>'): Safetensors {
  const where = `safetensors ${source}`;
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 8) throw new Error(`${where}: file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new Error(`${where}: header length ${headerLength} is larger than the ${bytes.length - 8} bytes after the length field`);
  }
  const dataStart = 8 + Number(headerLength);
  const dataLength = bytes.length - dataStart;

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    throw new Error(`${where}: header is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new Error(`${where}: header must be a JSON object, got ${describe(header)}`);
  }

  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(info, where);
      continue;
    }
    entries.push(checkEntry(name, info, dataLength, `${where}: tensor ${JSON.stringify(name)}`));
  }

  // The tensors must tile [0, dataLength) exactly, as the reference implementation requires.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const e of entries) {
    if (e.begin < cursor) {
      throw new Error(`${where}: tensor ${JSON.stringify(e.name)} bytes [${e.begin}, ${e.end}) overlap tensor ${JSON.stringify(previous!.name)} bytes [${previous!.begin}, ${previous!.end})`);
    }
    if (e.begin > cursor) {
      throw new Error(`${where}: data buffer bytes [${cursor}, ${e.begin}) belong to no tensor (hole before tensor ${JSON.stringify(e.name)})`);
    }
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLength) {
    throw new Error(`${where}: data buffer is ${dataLength} bytes but the tensors cover only [0, ${cursor}); bytes [${cursor}, ${dataLength}) belong to no tensor`);
  }

  const tensors = new Map<string, RawTensor>();
  for (const e of entries) {
    // A fresh buffer, so typed views are aligned whatever the file offset was. (Not bytes.slice(): on a
    // Node Buffer that is a view into the file.)
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    if (!HOST_LITTLE_ENDIAN) swapBytes(copy, e.fileDType.itemsize);
    const data = e.fileDType.decode(copy, e.size, `${where}: tensor ${JSON.stringify(e.name)}`);
    tensors.set(e.name, { dtype: e.fileDType.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function checkMetadata(info: unknown, where: string): Record<string, string> {
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    throw new Error(`${where}: "__metadata__" must be an object of strings, got ${describe(info)}`);
  }
  for (const [key, value] of Object.entries(info)) {
    if (typeof value !== 'string') {
      throw new Error(`${where}: "__metadata__" values must be strings, but ${JSON.stringify(key)} is ${describe(value)}`);
    }
  }
  return info as Record<string, string>;
}

function checkEntry(name: string, info: unknown, dataLength: number, where: string): Entry {
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    throw new Error(`${where}: expected an object {dtype, shape, data_offsets}, got ${describe(info)}`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string') throw new Error(`${where}: dtype must be a string, got ${describe(dtype)}`);
  const fileDType = Object.hasOwn(FILE_DTYPES, dtype) ? FILE_DTYPES[dtype] : undefined;
  if (fileDType === undefined) {
    const known = Object.keys(FILE_DTYPES).join(', ');
    throw new Error(UNSUPPORTED_DTYPES.has(dtype)
      ? `${where}: dtype ${dtype} is not supported; supported: ${known}`
      : `${where}: unknown dtype ${JSON.stringify(dtype)}; supported: ${known}`);
  }
  if (!Array.isArray(shape)) throw new Error(`${where}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  const size = shapeSize(shape, where);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new Error(`${where}: data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw new Error(`${where}: data_offsets [${begin}, ${end}] has begin > end`);
  if (end > dataLength) throw new Error(`${where}: data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data buffer`);
  const expected = size * fileDType.itemsize;
  if (end - begin !== expected) {
    throw new Error(`${where}: shape ${JSON.stringify(shape)} of ${dtype} needs ${expected} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, fileDType, shape: shape as number[], size, begin, end };
}

/**
 * Encodes tensors as safetensors. float64 tensors are laid out first, so with the header padded to a multiple
 * of 8 every tensor starts at a multiple of its element size (zero-copy readers can map it directly).
 */
export function serializeSafetensors(
  tensors: Map<string, RawTensor> | Record<string, RawTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const where = 'serializeSafetensors';
  const named = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  for (const [name, t] of named) {
    if (typeof name !== 'string') throw new Error(`${where}: tensor names must be strings, got ${describe(name)}`);
    if (name === '__metadata__') throw new Error(`${where}: "__metadata__" is reserved and cannot name a tensor`);
    assertRawTensor(t, `${where}: tensor ${JSON.stringify(name)}`);
  }
  const header: Record<string, unknown> = Object.create(null);
  if (metadata !== undefined) {
    header['__metadata__'] = checkMetadata(metadata, where);
  }
  const ordered = named.map(([name, t], i) => ({ name, t, i }))
    .sort((a, b) => WRITE_DTYPE[b.t.dtype].itemsize - WRITE_DTYPE[a.t.dtype].itemsize || a.i - b.i);
  let offset = 0;
  for (const { name, t } of ordered) {
    const end = offset + t.data.byteLength;
    header[name] = { dtype: WRITE_DTYPE[t.dtype].name, shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // pad with spaces, which JSON ignores
  let at = 8 + headerLength;
  for (const { t } of ordered) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(bytes, at);
    if (!HOST_LITTLE_ENDIAN) swapBytes(out.subarray(at, at + bytes.length), WRITE_DTYPE[t.dtype].itemsize);
    at += bytes.length;
  }
  return out;
}

// What a page does with a fetched file: safetensors and learngenes read from an ArrayBuffer and write to bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../engine/index.js';
import { parseSafetensors, serializeSafetensors } from '../../model/browser.js';
import { AuxNet, parseLearngene, serializeLearngene, expandLearngene } from '../../tleg/browser.js';
import { MODELS } from '../../tleg/presets.js';

/** The bytes as fetch() hands them over: a fresh ArrayBuffer holding exactly the file. */
const asFetched = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;

test('safetensors: serialize, then parse from an ArrayBuffer, gives back the same tensors and metadata', () => {
  const w = new Float32Array([1.5, -2, 3.25, 0]);
  const ids = new Int32Array([7, -1]);
  const file = parseSafetensors(asFetched(serializeSafetensors({ w: { dtype: 'float32', shape: [2, 2], data: w }, ids: { dtype: 'int32', shape: [2], data: ids } }, { note: 'x' })));
  assert.deepEqual(file.metadata, { note: 'x' });
  assert.deepEqual(Array.from(file.tensors.get('w')!.data), Array.from(w));
  assert.deepEqual(file.tensors.get('w')!.shape, [2, 2]);
  assert.deepEqual(Array.from(file.tensors.get('ids')!.data), Array.from(ids));
});

test('a learngene round-trips through an ArrayBuffer and expands to the same depth-5 weights', () => {
  const gene = new AuxNet({ ...MODELS['tleg-tiny'], depth: 3 }, { generator: new Generator(5) }).toLearngene();
  const back = parseLearngene(asFetched(serializeLearngene(gene)));
  const a = expandLearngene(gene, 5), b = expandLearngene(back, 5);
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  for (const k of Object.keys(a)) assert.deepEqual(Array.from(b[k].toTypedArray()), Array.from(a[k].toTypedArray()), k);
});

// DataLoader: seeded order, per-epoch reshuffle, dropLast, normalisation values, crop shape, resumable
// batches; ArrayImageDataset layouts; the synthetic dataset.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ArrayImageDataset, SubsetDataset } from '../../model/data/dataset.js';
import { DataLoader } from '../../model/data/loader.js';
import { syntheticDataset } from '../../model/data/synthetic.js';

/** n one-channel images whose every pixel equals the example's index (so batches reveal the order). */
function indexed(n: number, size = 3): ArrayImageDataset {
  const images = new Uint8Array(n * size * size);
  for (let i = 0; i < n; i++) images.fill(i, i * size * size, (i + 1) * size * size);
  return new ArrayImageDataset({ images, labels: Uint8Array.from({ length: n }, (_, i) => i % 4), n, channels: 1, height: size, width: size, classes: 4 });
}

/** Example indices of each batch of an epoch (pixel 0 of every image, as bytes). */
function orderOf(loader: DataLoader, epoch: number): number[][] {
  return [...loader.batches(epoch)].map((b) => {
    const px = b.images.toTypedArray(), per = b.images.size / b.images.shape[0];
    return Array.from({ length: b.images.shape[0] }, (_, k) => Math.round(px[k * per] * 255));
  });
}

test('loader: the same seed gives the same order; epochs reshuffle; another seed differs; all examples once', () => {
  const ds = indexed(10);
  const a = new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 7 });
  const b = new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 7 });
  assert.deepEqual(orderOf(a, 0), orderOf(b, 0));
  assert.notDeepEqual(orderOf(a, 0).flat(), orderOf(a, 1).flat());
  assert.notDeepEqual(orderOf(a, 0).flat(), orderOf(new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 8 }), 0).flat());
  assert.deepEqual(orderOf(a, 3).flat().sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(orderOf(new DataLoader(ds, { batchSize: 4 }), 5).flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('loader: plain iteration walks epochs 0, 1, ...; batches(e, k) resumes mid-epoch exactly', () => {
  const ds = indexed(9);
  const loader = new DataLoader(ds, { batchSize: 2, shuffle: true, seed: 3, augment: { randomCropPadding: 1 } });
  const e0 = [...loader].map((b) => [...b.images.toTypedArray()]);
  const e1 = [...loader].map((b) => [...b.images.toTypedArray()]);
  assert.equal(loader.epoch, 2);
  assert.deepEqual(e0, [...loader.batches(0)].map((b) => [...b.images.toTypedArray()]));
  assert.deepEqual(e1.slice(3), [...loader.batches(1, 3)].map((b) => [...b.images.toTypedArray()]));
  assert.deepEqual([...loader.batches(1, 3)].map((b) => b.index), [3, 4]);
});

test('loader: dropLast drops the short batch; otherwise it is kept; labels are int32 [B]', () => {
  const ds = indexed(10);
  const keep = new DataLoader(ds, { batchSize: 4 });
  const drop = new DataLoader(ds, { batchSize: 4, dropLast: true });
  assert.equal(keep.length, 3);
  assert.equal(drop.length, 2);
  assert.deepEqual([...keep.batches(0)].map((b) => b.images.shape), [[4, 1, 3, 3], [4, 1, 3, 3], [2, 1, 3, 3]]);
  assert.deepEqual([...drop.batches(0)].map((b) => b.labels.shape), [[4], [4]]);
  const labels = [...keep.batches(0)][2].labels;
  assert.equal(labels.dtype, 'int32');
  assert.deepEqual([...labels.toTypedArray()], [0, 1]);
});

test('loader: normalisation is (byte/255 − mean_c) / std_c per channel (nhwc source)', () => {
  // One 2×1 image with 2 channels in nhwc: pixel 0 = (0, 255), pixel 1 = (51, 102).
  const ds = new ArrayImageDataset({ images: Uint8Array.from([0, 255, 51, 102]), labels: [1], n: 1, channels: 2, height: 2, width: 1, classes: 2 });
  const loader = new DataLoader(ds, { batchSize: 1, normalize: { mean: [0.5, 0.25], std: [0.5, 0.25] } });
  const [batch] = [...loader.batches(0)];
  assert.deepEqual(batch.images.shape, [1, 2, 2, 1]);
  const expect = [(0 - 0.5) / 0.5, (0.2 - 0.5) / 0.5, (1 - 0.25) / 0.25, (0.4 - 0.25) / 0.25].map(Math.fround);
  assert.deepEqual([...batch.images.toTypedArray()], expect);
  assert.deepEqual([...ds.get(0).image], [0, 51, 255, 102], 'get() returns channel-first');
  assert.throws(() => new DataLoader(ds, { batchSize: 1, normalize: { mean: [0, 0, 0], std: 1 } }), /3 values for 2 channels/);
});

test('loader: random crop keeps the shape, pads with normalised zeros, and is a shifted copy', () => {
  const size = 5;
  const images = new Uint8Array(size * size).fill(255);
  const ds = new ArrayImageDataset({ images, labels: [0], n: 1, channels: 1, height: size, width: size, classes: 1 });
  const loader = new DataLoader(ds, { batchSize: 1, seed: 1, augment: { randomCropPadding: 2 }, normalize: { mean: 0.5, std: 0.5 } });
  let shifted = 0;
  for (let e = 0; e < 12; e++) {
    const [b] = [...loader.batches(e)];
    assert.deepEqual(b.images.shape, [1, 1, size, size]);
    const v = [...b.images.toTypedArray()];
    assert.ok(v.every((x) => x === 1 || x === -1), 'only image (1) or padding (−1) values');
    const rows = Array.from({ length: size }, (_, y) => v.slice(y * size, y * size + size));
    const ones = v.filter((x) => x === 1).length;
    const h = rows.filter((r) => r.includes(1)).length, w = Math.max(...rows.map((r) => r.filter((x) => x === 1).length));
    assert.equal(ones, h * w, 'the visible part is a rectangle');
    if (ones < size * size) shifted++;
  }
  assert.ok(shifted > 0, 'some crops moved the image');
});

test('dataset: ArrayImageDataset validates sizes and labels; SubsetDataset ranges', () => {
  assert.throws(() => new ArrayImageDataset({ images: new Uint8Array(5), labels: [0], n: 1, channels: 1, height: 2, width: 2, classes: 2 }), /n·C·H·W = 1·1·2·2 = 4 bytes, got 5/);
  assert.throws(() => new ArrayImageDataset({ images: new Uint8Array(4), labels: [2], n: 1, channels: 1, height: 2, width: 2, classes: 2 }), /label 2 at index 0 is not in \[0, 2\)/);
  const ds = indexed(6);
  const sub = SubsetDataset.range(ds, 4);
  assert.equal(sub.length, 2);
  assert.equal(sub.get(1).image[0], 5);
  assert.throws(() => ds.get(6), /index 6 is out of range \[0, 6\)/);
});

test('synthetic: deterministic per seed, balanced classes, bytes in nhwc', () => {
  const a = syntheticDataset({ n: 20, classes: 4, size: 8, channels: 3, seed: 5 });
  const b = syntheticDataset({ n: 20, classes: 4, size: 8, channels: 3, seed: 5 });
  assert.deepEqual(a.images, b.images);
  assert.notDeepEqual(a.images, syntheticDataset({ n: 20, classes: 4, size: 8, channels: 3, seed: 6 }).images);
  assert.equal(a.images.length, 20 * 8 * 8 * 3);
  assert.deepEqual(Array.from(a.labels).filter((l) => l === 2).length, 5);
  // The blob of class 0 sits right of centre: its right half is brighter than its left.
  const img = syntheticDataset({ n: 1, classes: 4, size: 8, seed: 1 }).get(0).image;
  let left = 0, right = 0;
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) (x < 4 ? (left += img[y * 8 + x]) : (right += img[y * 8 + x]));
  assert.ok(right > left * 1.5, `right ${right} vs left ${left}`);
});

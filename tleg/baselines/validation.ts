// The validation split of the converged-scratch baseline: carved from the training set (never the test
// set), drawn by a seeded permutation so every class keeps its share, and the learning-rate sweep's choice,
// made on that split alone.
import { Generator } from '../../engine/index.js';
import { ArrayImageDataset } from '../../model/data/dataset.js';

export interface ValidationSplit {
  train: ArrayImageDataset;
  validation: ArrayImageDataset;
  /** Indices into the original training set. */
  trainIndices: number[];
  validationIndices: number[];
}

function gather(ds: ArrayImageDataset, indices: number[], name: string): ArrayImageDataset {
  const size = ds.channels * ds.height * ds.width;
  const images = new Uint8Array(indices.length * size), labels = new Uint8Array(indices.length);
  indices.forEach((src, i) => {
    images.set(ds.images.subarray(src * size, (src + 1) * size), i * size);
    labels[i] = ds.labels[src]!;
  });
  return new ArrayImageDataset({ name, n: indices.length, images, labels, channels: ds.channels, height: ds.height, width: ds.width, classes: ds.classes }, { layout: ds.layout });
}

/** `fraction` of the training set (at least one example, and at least one left) becomes the validation split. */
export function splitValidation(train: ArrayImageDataset, fraction: number, seed: number): ValidationSplit {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`splitValidation: fraction must lie in (0, 1), got ${fraction}`);
  if (train.length < 2) throw new Error(`splitValidation: needs at least 2 training examples to carve a validation split, got ${train.length}`);
  const count = Math.min(train.length - 1, Math.max(1, Math.round(train.length * fraction)));
  const order = Array.from({ length: train.length }, (_, i) => i);
  const g = new Generator(seed * 1000 + 17);
  for (let i = order.length - 1; i > 0; i--) { // Fisher–Yates
    const j = g.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const validationIndices = order.slice(0, count).sort((a, b) => a - b);
  const trainIndices = order.slice(count).sort((a, b) => a - b);
  return {
    train: gather(train, trainIndices, `${train.name}-train`), validation: gather(train, validationIndices, `${train.name}-validation`),
    trainIndices, validationIndices,
  };
}

/** The sweep's run with the best validation accuracy (the first of equals); test accuracy plays no part. */
export function pickByValidation<T extends { valAccuracy?: number }>(runs: readonly T[]): T {
  if (runs.length === 0) throw new Error('pickByValidation: no runs to choose from');
  let best = runs[0]!;
  for (const r of runs) {
    if (r.valAccuracy === undefined) throw new Error('pickByValidation: a run has no validation accuracy; sweep runs must train with a validation split');
    if (r.valAccuracy > best.valAccuracy!) best = r;
  }
  return best;
}

// A small, learnable synthetic image set for tests and CI's tiny pipeline: class k is a bright Gaussian blob
// centred on a ring at angle 2πk/K (jittered by up to a pixel), over noise. A tiny MLP or ViT separates the
// classes in a few hundred steps; nothing is downloaded.
import { checkOptions } from '../../engine/index.js';
import { Generator } from '../../engine/index.js';
import { ArrayImageDataset } from './dataset.js';

export interface SyntheticOptions {
  n: number;
  classes: number;
  /** Height and width. */
  size: number;
  channels?: number;
  seed?: number;
  /** Standard deviation of the additive pixel noise, in bytes (default 24). */
  noise?: number;
}

/** n images (bytes, [n, size, size, channels] as loadMnist), labels cycling 0..K−1 so every class is balanced. */
export function syntheticDataset(options: SyntheticOptions): ArrayImageDataset {
  checkOptions('syntheticDataset', options, ['n', 'classes', 'size', 'channels', 'seed', 'noise']);
  const { n, classes, size, channels = 1, seed = 0, noise = 24 } = options;
  for (const [k, v] of Object.entries({ n, classes, size, channels })) {
    if (!Number.isSafeInteger(v) || v < (k === 'n' ? 0 : 1)) throw new Error(`syntheticDataset: ${k} must be a positive integer, got ${v}`);
  }
  if (size < 4) throw new Error(`syntheticDataset: size must be at least 4 to place the blobs, got ${size}`);
  const g = new Generator(seed);
  const images = new Uint8Array(n * size * size * channels);
  const labels = new Uint8Array(n);
  if (classes > 255) throw new Error(`syntheticDataset: at most 255 classes fit the byte labels, got ${classes}`);
  const radius = size * 0.3, sigma = Math.max(1, size / 6), centre = (size - 1) / 2;
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    labels[i] = k;
    const angle = (2 * Math.PI * k) / classes;
    const cy = centre + radius * Math.sin(angle) + (g.uniform() * 2 - 1);
    const cx = centre + radius * Math.cos(angle) + (g.uniform() * 2 - 1);
    const base = i * size * size * channels;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const blob = 220 * Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * sigma * sigma));
        for (let c = 0; c < channels; c++) {
          // Channels differ by class parity, so colour carries signal too when channels > 1.
          const gain = channels === 1 || (k + c) % 2 === 0 ? 1 : 0.5;
          const v = 16 + gain * blob + noise * g.normal();
          images[base + (y * size + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return new ArrayImageDataset({ name: `synthetic-${classes}x${size}`, images, labels, n, channels, height: size, width: size, classes });
}

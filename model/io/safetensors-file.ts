// Safetensors files on disk (Node only); the format itself, on bytes, is in safetensors.ts and runs anywhere.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.js';
import { parseSafetensors, serializeSafetensors, type Safetensors } from './safetensors.js';
import type { RawTensor } from './raw-tensor.js';

export function readSafetensors(path: string): Safetensors {
  return parseSafetensors(readFileSync(path), path);
}

/** Writes a safetensors file atomically (see writeFileAtomic): a crash leaves the old file or the new one. */
export function writeSafetensors(
  path: string,
  tensors: Map<string, RawTensor> | Record<string, RawTensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

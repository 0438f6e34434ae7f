// What a safetensors file holds: a learngene, a timm-named ViT checkpoint, a training checkpoint, or none
// of these. Decided from __metadata__.format and the tensor names, before any tensor is interpreted.
import { readSafetensors, type Safetensors } from '../../model/io/index.js';
import { CHECKPOINT_FORMAT } from '../../model/train/checkpoint.js';
import { fail } from './cli-error.js';

export const LEARNGENE_FORMAT = 'tleg-learngene';

export type FileKind = 'learngene' | 'vit' | 'training-checkpoint' | 'unknown';

export const KIND_NAMES: Record<FileKind, string> = {
  learngene: 'a learngene',
  vit: 'a ViT checkpoint',
  'training-checkpoint': 'a training checkpoint',
  unknown: 'an unknown safetensors file',
};

export function fileKind(file: Safetensors): FileKind {
  const format = file.metadata['format'];
  if (format === LEARNGENE_FORMAT) return 'learngene';
  if (format === CHECKPOINT_FORMAT) return 'training-checkpoint';
  const names = file.tensors;
  if (names.has('patch_embed.proj.weight') && names.has('pos_embed') && [...names.keys()].some((k) => k.startsWith('blocks.0.'))) return 'vit';
  return 'unknown';
}

/** The file parsed as safetensors; anything else is a usage error naming the file and the reason. */
export function readInput(command: string, path: string): Safetensors {
  try {
    return readSafetensors(path);
  } catch (e) {
    return fail(`${command}: ${JSON.stringify(path)} is not a readable safetensors file: ${(e as Error).message}`);
  }
}

/** A few tensor names, to show what an unrecognised file holds. */
export function sampleNames(file: Safetensors, n = 5): string {
  const keys = [...file.tensors.keys()];
  if (keys.length === 0) return 'no tensors';
  return `tensors ${keys.slice(0, n).map((k) => JSON.stringify(k)).join(', ')}${keys.length > n ? `, … (${keys.length} in all)` : ''}`;
}

/** What to do with each kind instead, for the refusal message. */
export const KIND_HINTS: Record<FileKind, string> = {
  learngene: 'grow a ViT from it with tleg expand',
  vit: 'fit a learngene to it with tleg fit',
  'training-checkpoint': "it holds the model under model.* with optimiser state; use the stage's model.safetensors",
  unknown: 'run tleg inspect on it',
};

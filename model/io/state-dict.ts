// State dicts as tensors in safetensors files (what torch's `safetensors.torch.load_file` / `save_file` do):
// readSafetensors gives raw records; these give engine Tensors by name.
import { tensor, type Tensor } from '../../engine/index.js';
import { readSafetensors, writeSafetensors } from './safetensors-file.js';
import type { RawTensor } from './raw-tensor.js';

/** Every tensor of a safetensors file (e.g. a PyTorch/timm checkpoint), by name, in the file's dtype (f16/bf16 read as float32). */
export function readStateDict(path: string): Map<string, Tensor> {
  const file = readSafetensors(path);
  return new Map([...file.tensors].map(([k, raw]) => [k, tensor(raw.data, { shape: raw.shape, dtype: raw.dtype })]));
}

/** Writes tensors by name (e.g. `model.stateDict()`) as a safetensors file, atomically; `metadata` goes in the header. */
export function writeStateDict(path: string, stateDict: Iterable<[string, Tensor]> | Record<string, Tensor>, metadata?: Record<string, string>): void {
  const entries = Symbol.iterator in stateDict ? [...(stateDict as Iterable<[string, Tensor]>)] : Object.entries(stateDict);
  const raw: Record<string, RawTensor> = {};
  for (const [name, t] of entries) {
    raw[name] = { dtype: t.dtype, shape: [...t.shape], data: t.contiguous().toTypedArray().slice() as RawTensor['data'] };
  }
  writeSafetensors(path, raw, metadata);
}

// The model package in a browser (package.json's "browser" condition), and the part of index.ts that needs no
// file system (index.ts adds the file loaders of datasets, safetensors and state dicts, and the trainer).
// Safetensors parse and serialize bytes, so a file fetched over HTTP loads here.
export { Module, ModuleList, Identity, type StateDict, type StateDictLike, type LoadStateDictResult } from './module.js';
export * from './layers/index.js';
export { functionalCall } from './functional-call.js';
export { VisionTransformer, dropPathRates, type BlockContext, type ViTOptions } from './vit.js';
export {
  VIT_CONFIGS, TIMM_VIT_DEFAULTS, vitConfig, validateViTConfig, withTimmDefaults, countViTParameters, numTokens,
  type ViTConfig, type ViTConfigName, type Pool,
} from './configs.js';
export {
  crossEntropyLoss, DistillationLoss,
  type CrossEntropyLossOptions, type DistillationType, type DistillationLossOptions, type DistillationLossParts,
} from './losses.js';
export type { DType, RawTensor } from './io/raw-tensor.js';
export { parseSafetensors, serializeSafetensors, type Safetensors } from './io/safetensors.js';
export { halfToFloat, halfBitsToFloatBits } from './io/half.js';
export * from './data/dataset.js';
export * from './data/synthetic.js';
export * from './data/loader.js';
export * from './optim/index.js';

// The public face of the model package: modules and layers, the ViT and its configs, losses,
// file I/O and datasets.
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
export * from './io/index.js';
export * from './data/idx.js';
export * from './data/mnist.js';
export * from './data/fashion-mnist.js';
export * from './data/dataset.js';
export * from './data/synthetic.js';
export * from './data/loader.js';
export * from './optim/index.js';
export * from './train/index.js';

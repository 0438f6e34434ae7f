// The layers of a ViT, each a Module plus the function of plain tensors its forward runs.
export { Linear, linear, type LinearOptions } from './linear.js';
export { LayerNorm, type LayerNormOptions } from './layernorm.js';
export { Dropout, DropPath, dropPath } from './dropout.js';
export { GELU, SiLU } from './activation.js';
export { Mlp, mlpForward, type MlpOptions, type DropoutConfig } from './mlp.js';
export { Attention, attentionForward, type AttentionOptions, type AttentionWeights, type AttentionConfig } from './attention.js';
export {
  Block, blockForward, blockForwardWith, BLOCK_PARAM_NAMES,
  type BlockParams, type BlockCoreParams, type BlockConfig, type BlockOptions, type MlpModule,
} from './block.js';
export { PatchEmbed, PatchProjection, patchEmbedForward, type PatchEmbedOptions } from './patch-embed.js';
export { truncNormalInit, constantInit, type InitOptions } from './init.js';

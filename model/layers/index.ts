// The layers of a ViT, each a Module whose forward runs through its children (functionalCall runs one
// with other weights).
export { Linear, linear, type LinearOptions } from './linear.js';
export { LayerNorm, type LayerNormOptions } from './layernorm.js';
export { Dropout, DropPath, dropPath } from './dropout.js';
export { GELU, SiLU, type ActivationModule } from './activation.js';
export { Mlp, type MlpOptions } from './mlp.js';
export { Attention, type AttentionOptions } from './attention.js';
export { Block, type BlockOptions, type MlpModule } from './block.js';
export { PatchEmbed, PatchProjection, type PatchEmbedOptions } from './patch-embed.js';
export { truncNormalInit, constantInit, type InitOptions } from './init.js';

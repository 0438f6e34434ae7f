export type { DType, RawTensor } from './raw-tensor.js';
export { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors, type Safetensors } from './safetensors.js';
export { readStateDict, writeStateDict } from './state-dict.js';
export { writeFileAtomic } from './atomic-write.js';
export { halfToFloat, halfBitsToFloatBits } from './half.js';

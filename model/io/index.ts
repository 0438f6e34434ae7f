export type { DType, RawTensor } from './raw-tensor.js';
export { parseSafetensors, serializeSafetensors, type Safetensors } from './safetensors.js';
export { readSafetensors, writeSafetensors } from './safetensors-file.js';
export { readStateDict, writeStateDict } from './state-dict.js';
export { writeFileAtomic } from './atomic-write.js';
export { halfToFloat, halfBitsToFloatBits } from './half.js';

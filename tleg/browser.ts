// TLEG in a browser (package.json's "browser" condition): everything in index.ts but what needs Node's file
// system (learngene files on disk, reading state dicts, the pipeline). A learngene fetched over HTTP loads with
// parseLearngene(new Uint8Array(await response.arrayBuffer())).
export {
  BLOCK_TENSORS, blockTensorNames, blockShapes, sharedShapes, initGenePairs, parseLearngene, serializeLearngene, checkLearngene,
  learngeneSize, type Learngene, type BlockTensorName,
} from './learngene.js';
export { expandLearngene, defaultCoefficients, segmentOf, blockAt, descendantConfig, initDescendant, type ExpandOptions, type DescendantOptions } from './expand.js';
export { AuxNet, type AuxNetOptions } from './aux-net.js';
export { PRESETS, MODELS, type Preset, type PresetName, type ModelName } from './presets.js';
export { reportMarkdown, reportSvg, resultsTable, type ReportInput, type StageResult } from './report.js';

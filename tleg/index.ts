// TLEG: Transformer as Linear Expansion of learnGene (Xia et al., AAAI 2024) on the engine's ViT.
export {
  BLOCK_TENSORS, blockTensorNames, blockShapes, sharedShapes, initGenePairs, parseLearngene, serializeLearngene, checkLearngene,
  learngeneSize, type Learngene, type BlockTensorName,
} from './learngene.js';
export { saveLearngene, loadLearngene } from './learngene-file.js';
export { expandLearngene, defaultCoefficients, segmentOf, blockAt, descendantConfig, initDescendant, type ExpandOptions, type DescendantOptions } from './expand.js';
export { AuxNet, type AuxNetOptions } from './aux-net.js';
export { fitLearngene, inferConfig, countBlocks, readStateDict, type LearngeneFit, type LineFit } from './analysis.js';
export { runPipeline, type PipelineOptions } from './pipeline.js';
export { PRESETS, MODELS, type Preset, type PresetName, type ModelName } from './presets.js';
export { reportMarkdown, reportSvg, resultsTable, type ReportInput, type StageResult } from './report.js';

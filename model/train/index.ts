// Training: fit / evaluate, checkpoints, metrics and progress output.
export { fit, evaluate, type FitOptions, type FitSummary, type EvalResult, type LossFn, type StepInfo } from './trainer.js';
export { saveCheckpoint, loadCheckpoint, CHECKPOINT_FORMAT, type CheckpointParts, type TrainingPosition } from './checkpoint.js';
export { countCorrect, RunningMean, Throughput, MetricsLog } from './metrics.js';
export {
  createReporter, formatEpochLine, formatBar, TerminalWriter, terminal, logLine,
  type ProgressReporter, type WriterStreams, type ProgressValues, type EpochSummary } from './progress.js';

// Optimisers, gradient clipping, parameter groups and learning-rate schedules.
export { Optimizer, hostView, type BaseHyper, type ParamGroup, type ParamGroupInput, type ParamState, type OptimizerStateDict, type HostView } from './optimizer.js';
export { Adam, AdamW, type AdamHyper, type AdamOptions } from './adam.js';
export { SGD, type SgdHyper, type SgdOptions } from './sgd.js';
export { clipGradNorm } from './clip.js';
export { paramGroupsForWeightDecay, skipsWeightDecay, VIT_NO_WEIGHT_DECAY } from './param-groups.js';
export { LrSchedule, WarmupCosineSchedule, StepDecaySchedule, type ScheduleState, type WarmupCosineOptions, type StepDecayOptions } from './schedules.js';

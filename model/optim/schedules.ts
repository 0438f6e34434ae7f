// Learning-rate schedules, stepped once per optimiser step. Each group's lr is a function of the step t and
// of the group's base lr η₀ (its lr when the schedule was created, kept as `initialLr`):
//   warmup-cosine: t < W: η_w + (η₀ − η_w)·t/W;  else η_min + ½(η₀ − η_min)(1 + cos(π·min(1, (t − W)/(T − W))))
//   step decay:    η₀ · γ^⌊t / S⌋
import { checkOptions } from '../../engine/index.js';
import type { BaseHyper, Optimizer } from './optimizer.js';

export interface ScheduleState {
  step: number;
  baseLrs: number[];
}

export abstract class LrSchedule {
  /** Steps taken so far (t). */
  protected t = 0;
  protected baseLrs: number[];

  constructor(readonly optimizer: Optimizer<BaseHyper>) {
    this.baseLrs = optimizer.paramGroups.map((g) => {
      if (g.initialLr === undefined) g.initialLr = g.lr;
      return g.initialLr;
    });
  }

  /** The lr of a group with base lr `base` at step t. */
  abstract lrAt(t: number, base: number): number;

  /** Sets every group's lr for the current step (call after the subclass has its fields). */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => { g.lr = this.lrAt(this.t, this.baseLrs[i]); });
  }

  /** Advances one optimiser step and sets the new lrs. */
  step(): void {
    this.t++;
    this.apply();
  }

  get lastStep(): number {
    return this.t;
  }

  /** The lr of each group now. */
  getLr(): number[] {
    return this.baseLrs.map((b) => this.lrAt(this.t, b));
  }

  stateDict(): ScheduleState {
    return { step: this.t, baseLrs: [...this.baseLrs] };
  }

  loadStateDict(state: ScheduleState): void {
    if (!state || !Number.isSafeInteger(state.step) || state.step < 0 || !Array.isArray(state.baseLrs)) {
      throw new Error(`LrSchedule.loadStateDict: expected { step: integer >= 0, baseLrs: number[] }, got ${JSON.stringify(state)}`);
    }
    if (state.baseLrs.length !== this.baseLrs.length) {
      throw new Error(`LrSchedule.loadStateDict: the state has ${state.baseLrs.length} base lrs, the optimiser ${this.baseLrs.length} groups`);
    }
    this.t = state.step;
    this.baseLrs = [...state.baseLrs];
    this.apply();
  }
}

export interface WarmupCosineOptions {
  /** Steps of linear warmup (W); 0 for none. */
  warmupSteps: number;
  /** Total steps (T), warmup included; the lr stays at the floor after it. */
  totalSteps: number;
  /** The floor the cosine decays to (absolute, as timm's lr_min). Default 0. */
  minLr?: number;
  /** Where warmup starts (absolute, as timm's warmup_lr_init). Default 0. */
  warmupStartLr?: number;
}

/** Linear warmup, then a half cosine down to a floor (timm's CosineLRScheduler without restarts, per step). */
export class WarmupCosineSchedule extends LrSchedule {
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLr: number;
  readonly warmupStartLr: number;

  constructor(optimizer: Optimizer<BaseHyper>, options: WarmupCosineOptions) {
    super(optimizer);
    checkOptions('WarmupCosineSchedule', options, ['warmupSteps', 'totalSteps', 'minLr', 'warmupStartLr']);
    const { warmupSteps, totalSteps, minLr = 0, warmupStartLr = 0 } = options;
    if (!Number.isSafeInteger(warmupSteps) || warmupSteps < 0) throw new Error(`WarmupCosineSchedule: warmupSteps must be an integer >= 0, got ${warmupSteps}`);
    if (!Number.isSafeInteger(totalSteps) || totalSteps < warmupSteps) {
      throw new Error(`WarmupCosineSchedule: totalSteps must be an integer >= warmupSteps (${warmupSteps}), got ${totalSteps}`);
    }
    if (!(minLr >= 0) || !(warmupStartLr >= 0)) throw new Error(`WarmupCosineSchedule: minLr and warmupStartLr must be >= 0, got ${minLr}, ${warmupStartLr}`);
    this.warmupSteps = warmupSteps;
    this.totalSteps = totalSteps;
    this.minLr = minLr;
    this.warmupStartLr = warmupStartLr;
    this.apply();
  }

  lrAt(t: number, base: number): number {
    const w = this.warmupSteps;
    if (t < w) return this.warmupStartLr + (base - this.warmupStartLr) * (t / w);
    const span = this.totalSteps - w;
    const progress = span === 0 ? 1 : Math.min(1, (t - w) / span);
    return this.minLr + 0.5 * (base - this.minLr) * (1 + Math.cos(Math.PI * progress));
  }
}

export interface StepDecayOptions {
  /** Steps between decays (S). */
  stepSize: number;
  /** Factor per decay (γ). Default 0.1. */
  gamma?: number;
}

/** Multiplies the lr by γ every S steps (torch's StepLR, counted in optimiser steps). */
export class StepDecaySchedule extends LrSchedule {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseHyper>, options: StepDecayOptions) {
    super(optimizer);
    checkOptions('StepDecaySchedule', options, ['stepSize', 'gamma']);
    const { stepSize, gamma = 0.1 } = options;
    if (!Number.isSafeInteger(stepSize) || stepSize <= 0) throw new Error(`StepDecaySchedule: stepSize must be an integer > 0, got ${stepSize}`);
    if (!(gamma > 0)) throw new Error(`StepDecaySchedule: gamma must be > 0, got ${gamma}`);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.apply();
  }

  lrAt(t: number, base: number): number {
    return base * this.gamma ** Math.floor(t / this.stepSize);
  }
}

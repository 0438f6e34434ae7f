// Training checkpoints: one safetensors file holding the model's state dict ("model.<name>"), the
// optimiser's buffers ("optim.<param index>.<buffer>"), and, as JSON strings in __metadata__, everything
// else a resumed run needs to continue bit for bit: optimiser groups and step counters, schedule state,
// generator states, and the position (epoch, next batch, global step). Written atomically.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Tensor, type Generator, type GeneratorState } from '../../engine/index.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors-file.js';
import type { RawTensor } from '../io/raw-tensor.js';
import type { Module } from '../module.js';
import type { BaseHyper, Optimizer, OptimizerStateDict, ParamState } from '../optim/optimizer.js';
import type { LrSchedule, ScheduleState } from '../optim/schedules.js';

export const CHECKPOINT_FORMAT = 'tleg-ts-training-checkpoint/1';

/** Where training stands: `batch` is the next batch of `epoch` to run. */
export interface TrainingPosition {
  epoch: number;
  batch: number;
  step: number;
  images: number;
}

export interface CheckpointParts {
  model: Module;
  optimizer: Optimizer<BaseHyper>;
  schedule?: LrSchedule;
  /** Every generator whose stream must continue (dropout, drop-path, ...), in a fixed order. */
  generators: Generator[];
}

function raw(t: Tensor): RawTensor {
  return { dtype: t.dtype, shape: t.shape, data: t.toTypedArray() };
}

export function saveCheckpoint(path: string, parts: CheckpointParts, position: TrainingPosition, extra: Record<string, unknown> = {}): void {
  const tensors = new Map<string, RawTensor>();
  for (const [name, t] of parts.model.stateDict()) tensors.set(`model.${name}`, raw(t));
  const optim = parts.optimizer.stateDict();
  const counters: Record<string, Record<string, number>> = {};
  for (const [index, st] of Object.entries(optim.state)) {
    for (const [k, v] of Object.entries(st)) {
      if (v instanceof Tensor) tensors.set(`optim.${index}.${k}`, raw(v));
      else (counters[index] ??= {})[k] = v;
    }
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    position: JSON.stringify(position),
    optimizer: JSON.stringify({ name: parts.optimizer.name, paramGroups: optim.paramGroups, counters }),
    rng: JSON.stringify(parts.generators.map((g) => g.getState())),
    extra: JSON.stringify(extra),
  };
  if (parts.schedule) metadata.schedule = JSON.stringify(parts.schedule.stateDict());
  mkdirSync(dirname(path), { recursive: true });
  writeSafetensors(path, tensors, metadata);
}

function parseJson<T>(path: string, metadata: Record<string, string>, key: string): T {
  const text = metadata[key];
  if (text === undefined) throw new Error(`loadCheckpoint ${path}: __metadata__ has no "${key}" entry`);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`loadCheckpoint ${path}: __metadata__ "${key}" is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * The optimiser state a checkpoint file claims, checked before it reaches the optimiser: step counters are
 * integers ≥ 0 (Adam divides by 1 − β^step, so step −3 gives NaN weights), hyper-parameters finite, second
 * moments (`*_sq`) not negative (their square root is taken). The file is untrusted, as any file we read.
 */
export function checkOptimizerState(path: string, groups: OptimizerStateDict['paramGroups'], state: Record<number, ParamState>): void {
  const where = `loadCheckpoint ${path}`;
  if (!Array.isArray(groups)) throw new Error(`${where}: optimizer.paramGroups must be an array, got ${JSON.stringify(groups)}`);
  groups.forEach((g, gi) => {
    for (const [k, v] of Object.entries(g ?? {})) {
      if (k === 'params') continue;
      const numbers = Array.isArray(v) ? v : [v];
      if (numbers.some((x) => typeof x === 'number' && !Number.isFinite(x)) || (k === 'lr' && !((v as number) >= 0))) {
        throw new Error(`${where}: parameter group ${gi}: ${k} must be ${k === 'lr' ? 'a number ≥ 0' : 'finite'}, got ${JSON.stringify(v)}`);
      }
    }
  });
  for (const [index, st] of Object.entries(state)) {
    for (const [k, v] of Object.entries(st)) {
      if (typeof v === 'number') {
        if (!Number.isFinite(v) || (k === 'step' && (!Number.isSafeInteger(v) || v < 0))) {
          throw new Error(`${where}: optimiser state of parameter ${index}: ${k} must be ${k === 'step' ? 'an integer ≥ 0' : 'finite'}, got ${v}; the checkpoint is damaged (delete it to restart the stage)`);
        }
      } else if (k.endsWith('_sq')) {
        const values = v.toTypedArray();
        const at = values.findIndex((x) => x < 0);
        if (at >= 0) throw new Error(`${where}: optimiser state of parameter ${index}: ${k} must be ≥ 0 (a second moment), got ${values[at]} at index ${at}; the checkpoint is damaged`);
      }
    }
  }
}

/** Restores model, optimiser, schedule and generators in place; returns the position to continue from. */
export function loadCheckpoint(path: string, parts: CheckpointParts): TrainingPosition & { extra: Record<string, unknown> } {
  if (!existsSync(path)) throw new Error(`loadCheckpoint: no checkpoint at ${path}`);
  const { tensors, metadata } = readSafetensors(path);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(`loadCheckpoint ${path}: expected __metadata__.format "${CHECKPOINT_FORMAT}", got ${JSON.stringify(metadata.format)}`);
  }
  const toTensor = (r: RawTensor) => Tensor.fromArray(r.data, r.shape);
  const modelState = new Map<string, Tensor>();
  const optimBuffers = new Map<string, Tensor>();
  for (const [name, r] of tensors) {
    if (name.startsWith('model.')) modelState.set(name.slice(6), toTensor(r));
    else if (name.startsWith('optim.')) optimBuffers.set(name.slice(6), toTensor(r));
    else throw new Error(`loadCheckpoint ${path}: unexpected tensor "${name}" (expected "model.*" or "optim.*")`);
  }
  const position = parseJson<TrainingPosition>(path, metadata, 'position');
  for (const k of ['epoch', 'batch', 'step', 'images'] as const) {
    if (!Number.isSafeInteger(position?.[k]) || position[k] < 0) throw new Error(`loadCheckpoint ${path}: position.${k} must be an integer >= 0, got ${position?.[k]}`);
  }
  const optim = parseJson<{ name: string; paramGroups: OptimizerStateDict['paramGroups']; counters: Record<string, Record<string, number>> }>(path, metadata, 'optimizer');
  if (optim.name !== parts.optimizer.name) throw new Error(`loadCheckpoint ${path}: the checkpoint holds ${optim.name} state, the optimiser is ${parts.optimizer.name}`);
  const state: Record<number, ParamState> = {};
  for (const [index, counters] of Object.entries(optim.counters ?? {})) state[Number(index)] = { ...counters };
  for (const [key, t] of optimBuffers) {
    const dot = key.indexOf('.');
    const index = Number(key.slice(0, dot));
    if (dot < 0 || !Number.isSafeInteger(index)) throw new Error(`loadCheckpoint ${path}: optimiser tensor "optim.${key}" is not "optim.<index>.<name>"`);
    (state[index] ??= {})[key.slice(dot + 1)] = t;
  }
  checkOptimizerState(path, optim.paramGroups, state);
  parts.model.loadStateDict(modelState, { strict: true });
  parts.optimizer.loadStateDict({ state, paramGroups: optim.paramGroups });

  if (parts.schedule) parts.schedule.loadStateDict(parseJson<ScheduleState>(path, metadata, 'schedule'));
  const rng = parseJson<GeneratorState[]>(path, metadata, 'rng');
  if (!Array.isArray(rng) || rng.length !== parts.generators.length) {
    throw new Error(`loadCheckpoint ${path}: ${Array.isArray(rng) ? rng.length : 'no'} generator states saved, ${parts.generators.length} generators to restore`);
  }
  parts.generators.forEach((g, i) => g.setState(rng[i]));
  for (const t of [...modelState.values(), ...optimBuffers.values()]) t.dispose();
  const extra = metadata.extra === undefined ? {} : parseJson<Record<string, unknown>>(path, metadata, 'extra');
  return { ...position, extra };
}

// The optimiser base: parameter groups, per-parameter state, zeroGrad and state dicts (torch.optim.Optimizer).
// Subclasses implement `updateHost` (fused loops over cpu arrays) and `updateTensor` (tensor ops, any
// device), one parameter at a time; they keep their buffers in `state`. A step allocates nothing that
// outlives it: the tensor path runs inside scope(), and zeroGrad disposes the gradients.
import { Tensor, keep, noGrad, sameShape, scope, type TypedArray } from '../../engine/index.js';

/** What a caller passes for one group: the tensors plus any hyperparameter that overrides the defaults. */
export interface ParamGroupInput {
  params: Tensor[];
  lr?: number;
  weightDecay?: number;
  /** Parameter names, kept for messages and state dicts (optional). */
  names?: string[];
  [hyper: string]: unknown;
}

/** Hyperparameters every optimiser has; subclasses add their own (betas, momentum, ...). */
export interface BaseHyper {
  lr: number;
  weightDecay: number;
  /** The lr a schedule scales from (set by schedules, as torch's 'initial_lr'). */
  initialLr?: number;
}

export type ParamGroup<H extends BaseHyper> = H & { params: Tensor[]; names?: string[] };

/** Buffers (tensors) and counters (numbers) of one parameter, e.g. { step, exp_avg, exp_avg_sq }. */
export type ParamState = Record<string, Tensor | number>;

/** torch's layout: parameters are numbered across groups in order; state is keyed by that number. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: Array<Record<string, number | boolean | number[]> & { params: number[] }>;
}

export abstract class Optimizer<H extends BaseHyper> {
  readonly paramGroups: ParamGroup<H>[];
  readonly state = new Map<Tensor, ParamState>();
  /** Update cpu contiguous parameters with fused typed-array loops (false: always the tensor-op path). */
  fused = true;

  constructor(readonly name: string, params: Tensor[] | ParamGroupInput[], defaults: H) {
    if (!Array.isArray(params) || params.length === 0) throw new Error(`${name}: expected a non-empty list of parameters or parameter groups`);
    const inputs: ParamGroupInput[] = params[0] instanceof Tensor ? [{ params: params as Tensor[] }] : (params as ParamGroupInput[]);
    const seen = new Set<Tensor>();
    this.paramGroups = inputs.map((g, gi) => {
      if (!g || !Array.isArray(g.params)) throw new Error(`${name}: parameter group ${gi} must be { params: Tensor[], ... }`);
      for (const p of g.params) {
        if (!(p instanceof Tensor)) throw new Error(`${name}: parameter group ${gi} holds a ${typeof p}, expected Tensors`);
        if (p.dtype === 'int32') throw new Error(`${name}: parameter group ${gi} holds an int32 tensor; only float tensors can be optimised`);
        if (seen.has(p)) throw new Error(`${name}: a parameter appears in more than one group (group ${gi})`);
        seen.add(p);
      }
      const group = { ...defaults } as ParamGroup<H>;
      for (const [k, v] of Object.entries(g)) if (v !== undefined) (group as unknown as Record<string, unknown>)[k] = v;
      group.params = [...g.params];
      this.checkHyper(group, gi);
      return group;
    });
  }

  /** Validates a group's hyperparameters (subclasses extend). */
  protected checkHyper(group: ParamGroup<H>, index: number): void {
    if (!(group.lr >= 0)) throw new Error(`${this.name}: group ${index}: lr must be >= 0, got ${group.lr}`);
    if (!(group.weightDecay >= 0)) throw new Error(`${this.name}: group ${index}: weightDecay must be >= 0, got ${group.weightDecay}`);
  }

  /** Drops every gradient (torch's zero_grad(set_to_none=True)): backward then allocates fresh ones. */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const grad = p.grad;
          if (grad === null) continue;
          let st = this.state.get(p);
          if (st === undefined) { st = {}; this.state.set(p, st); }
          const host = hostView(p), gHost = hostView(grad);
          if (this.fused && host !== null && gHost !== null && grad.dtype === p.dtype) {
            this.updateHost(p, host, gHost, st, group);
            p.markWritten_(`${this.name}.step`); // a graph still holding p's old value must see the change
          } else {
            scope(() => this.updateTensor(p, grad, st!, group));
          }
        }
      }
    });
  }

  /** The update as a fused loop over the typed arrays of a cpu contiguous parameter. */
  protected abstract updateHost(p: Tensor, param: HostView, grad: HostView, state: ParamState, group: ParamGroup<H>): void;
  /** The same update with tensor ops (any device or layout); runs inside scope and noGrad. */
  protected abstract updateTensor(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<H>): void;

  /** A zero buffer shaped like p, kept out of every enclosing scope (it lives as long as the optimiser). */
  protected buffer(p: Tensor): Tensor {
    return keep(Tensor.empty(p.shape, p.dtype, p.device));
  }

  /** Buffers are returned by reference (as torch does); serialise or clone them before the next step. */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const ids: number[] = [];
      for (const p of group.params) {
        const st = this.state.get(p);
        if (st !== undefined) state[index] = { ...st };
        ids.push(index++);
      }
      const hyper: Record<string, number | boolean | number[]> = {};
      for (const [k, v] of Object.entries(group)) {
        if (k === 'params' || k === 'names') continue;
        if (typeof v === 'number' || typeof v === 'boolean') hyper[k] = v;
        else if (Array.isArray(v)) hyper[k] = [...(v as number[])];
      }
      paramGroups.push({ ...hyper, params: ids });
    }
    return { state, paramGroups };
  }

  /** Restores hyperparameters (lr included) and buffers; buffers are copied into fresh tensors. */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (!sd || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object') throw new Error(`${where}: expected { state, paramGroups }`);
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${where}: the state has ${sd.paramGroups.length} parameter groups, this optimiser has ${this.paramGroups.length}`);
    }
    const params: Tensor[] = [];
    sd.paramGroups.forEach((saved, gi) => {
      const group = this.paramGroups[gi];
      if (!Array.isArray(saved.params) || saved.params.length !== group.params.length) {
        throw new Error(`${where}: group ${gi} has ${saved.params?.length} parameters in the state, ${group.params.length} here`);
      }
      saved.params.forEach((id, j) => { params[id] = group.params[j]; });
    });
    const restored = new Map<Tensor, ParamState>();
    for (const [key, st] of Object.entries(sd.state)) {
      const p = params[Number(key)];
      if (p === undefined) throw new Error(`${where}: state for parameter ${key}, which no group lists`);
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(st)) {
        if (typeof v === 'number') { copy[k] = v; continue; }
        if (!(v instanceof Tensor)) throw new Error(`${where}: parameter ${key}: state "${k}" must be a number or a Tensor`);
        if (!sameShape(v.shape, p.shape)) {
          throw new Error(`${where}: parameter ${key}: state "${k}" has shape [${v.shape}], the parameter [${p.shape}]`);
        }
        const buf = this.buffer(p);
        noGrad(() => scope(() => { buf.copy_(v); }));
        copy[k] = buf;
      }
      restored.set(p, copy);
    }
    for (const st of this.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    for (const [p, st] of restored) this.state.set(p, st);
    sd.paramGroups.forEach((saved, gi) => {
      const group = this.paramGroups[gi] as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(saved)) if (k !== 'params') group[k] = Array.isArray(v) ? [...v] : v;
    });
  }
}

/** A float tensor's storage and where its elements start, when it is on cpu and contiguous. */
export interface HostView { data: Float32Array | Float64Array; offset: number; size: number }

export function hostView(t: Tensor): HostView | null {
  if (t.device !== 'cpu' || t.dtype === 'int32' || !t.isContiguous()) return null;
  const data: TypedArray = t.data_;
  return { data: data as Float32Array | Float64Array, offset: t.offset, size: t.size };
}

/** Host view of a buffer this optimiser created (always cpu contiguous when the parameter is). */
export function bufferView(t: Tensor): Float32Array | Float64Array {
  return t.data_ as Float32Array | Float64Array;
}

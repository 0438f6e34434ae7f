// Module: PyTorch's nn.Module with explicit registration. A module owns named parameters (leaf tensors
// that require grad), named buffers (state that is saved but not trained) and named child modules;
// dotted names (`blocks.0.attn.qkv.weight`) come from walking them in registration order: a module's
// own parameters first, then each child's, as torch's named_parameters().
import { checkOptions, graphScope, keep, noGrad, sameShape, Tensor, type DType, type DeviceName } from '../engine/index.js';

export type StateDict = Map<string, Tensor>;
export type StateDictLike = Map<string, Tensor> | Record<string, Tensor>;

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

function checkName(where: string, name: string, taken: (n: string) => boolean): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new Error(`${where}: a name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
  }
  if (taken(name)) throw new Error(`${where}: the name '${name}' is already registered on this module`);
}

export abstract class Module {
  /** Whether the module is in training mode (dropout and drop-path active); see train()/eval(). */
  training = true;
  private readonly paramsMap = new Map<string, Tensor>();
  private readonly buffersMap = new Map<string, Tensor>();
  private readonly childrenMap = new Map<string, Module>();

  abstract forward(...args: any[]): any;

  /**
   * Invokes forward (torch's `module(x)`) inside a graphScope: the tensors forward makes and does not
   * return are the module's own, freed by the backward() that uses them (or at once when none will);
   * keep() one to hold it past backward().
   */
  call(...args: Parameters<this['forward']>): ReturnType<this['forward']> {
    return graphScope(() => this.forward(...args));
  }

  private isTaken = (n: string): boolean => this.paramsMap.has(n) || this.buffersMap.has(n) || this.childrenMap.has(n);

  /** Registers a leaf tensor as a trainable parameter (sets requiresGrad) and returns it. */
  registerParameter(name: string, t: Tensor): Tensor {
    checkName('registerParameter', name, this.isTaken);
    if (!(t instanceof Tensor)) throw new Error(`registerParameter: '${name}' must be a Tensor, got ${typeof t}`);
    if (!t.isLeaf) throw new Error(`registerParameter: '${name}' must be a leaf tensor (created directly, not computed); use .detach()`);
    if (!t.requiresGrad) t.requiresGrad_(true);
    this.paramsMap.set(name, keep(t));
    return t;
  }

  /** Registers non-trained state that stateDict() saves (e.g. running statistics) and returns it. */
  registerBuffer(name: string, t: Tensor): Tensor {
    checkName('registerBuffer', name, this.isTaken);
    if (!(t instanceof Tensor)) throw new Error(`registerBuffer: '${name}' must be a Tensor, got ${typeof t}`);
    this.buffersMap.set(name, keep(t));
    return t;
  }

  registerModule<M extends Module>(name: string, module: M): M {
    checkName('registerModule', name, this.isTaken);
    if (!(module instanceof Module)) throw new Error(`registerModule: '${name}' must be a Module`);
    this.childrenMap.set(name, module);
    return module;
  }

  /**
   * Puts `module` in place of the registered child `name` (torch's setattr of a submodule, e.g. a new
   * activation) and points the fields of this module that held the old child at it; returns the old child.
   */
  setModule(name: string, module: Module): Module {
    const old = this.childrenMap.get(name);
    if (!old) throw new Error(`setModule: ${this.constructor.name} has no child '${name}' (children: ${[...this.childrenMap.keys()].join(', ') || 'none'}); use registerModule to add one`);
    if (!(module instanceof Module)) throw new Error(`setModule: '${name}' must be a Module, got ${typeof module}`);
    this.childrenMap.set(name, module);
    this.repointFields(old, module);
    return old;
  }

  /**
   * Puts `t` as is in place of the parameter or buffer with the dotted name `name` (no registration checks,
   * requiresGrad untouched) and points the fields of its owning module that held the old tensor at it;
   * returns the old tensor. The low-level step of functionalCall, which validates and restores.
   */
  swapTensor(name: string, t: Tensor): Tensor {
    const parts = name.split('.');
    let owner: Module = this;
    for (const part of parts.slice(0, -1)) {
      const child = owner.childrenMap.get(part);
      if (!child) throw new Error(`swapTensor: ${this.constructor.name} has no module '${part}' on the path of '${name}'`);
      owner = child;
    }
    const own = parts[parts.length - 1];
    const map = owner.paramsMap.has(own) ? owner.paramsMap : owner.buffersMap.has(own) ? owner.buffersMap : null;
    if (!map) throw new Error(`swapTensor: ${this.constructor.name} has no parameter or buffer '${name}'`);
    const old = map.get(own)!;
    map.set(own, t);
    owner.repointFields(old, t);
    return old;
  }

  /** Fields of this module that hold `old` now hold `fresh` (layers read their tensors and children from fields). */
  private repointFields(old: unknown, fresh: unknown): void {
    const fields = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (fields[key] === old) fields[key] = fresh;
  }

  /** The direct children, by name. */
  namedChildren(): [string, Module][] {
    return [...this.childrenMap];
  }

  /** This module ('' ) and every descendant, pre-order, with dotted names. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.childrenMap) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  namedParameters(): [string, Tensor][] {
    return this.collect((m) => m.paramsMap);
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(): [string, Tensor][] {
    return this.collect((m) => m.buffersMap);
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  private collect(own: (m: Module) => Map<string, Tensor>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of own(m)) out.push([prefix ? `${prefix}.${name}` : name, t]);
    }
    return out;
  }

  /** Parameters and buffers by dotted name, detached (they share storage with the module, as in torch). */
  stateDict(): StateDict {
    const sd: StateDict = new Map();
    for (const [prefix, m] of this.namedModules()) {
      const p = prefix ? `${prefix}.` : '';
      for (const [name, t] of m.paramsMap) sd.set(p + name, t.detach());
      for (const [name, t] of m.buffersMap) sd.set(p + name, t.detach());
    }
    return sd;
  }

  /**
   * Copies values into the module's tensors in place (cast to their dtype and moved to their device).
   * A wrongly shaped key always throws; with strict (the default) so do missing and unexpected keys.
   * All problems are listed in one error.
   */
  loadStateDict(sd: StateDictLike, options: { strict?: boolean } = {}): LoadStateDictResult {
    checkOptions('loadStateDict', options, ['strict']);
    const strict = options.strict ?? true;
    const source = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = new Map([...this.namedParameters(), ...this.namedBuffers()]);
    const missingKeys = [...own.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [k, src] of source) {
      const dst = own.get(k);
      if (!dst) continue;
      if (!(src instanceof Tensor)) problems.push(`  '${k}': expected a Tensor, got ${typeof src}`);
      else if (!sameShape(src.shape, dst.shape)) problems.push(`  '${k}': shape [${src.shape.join(', ')}] in the state dict, [${dst.shape.join(', ')}] in the module`);
    }
    if (strict) {
      if (missingKeys.length) problems.push(`  missing keys: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) problems.push(`  unexpected keys: ${unexpectedKeys.join(', ')}`);
    }
    if (problems.length) {
      throw new Error(`loadStateDict: ${problems.length} problem(s) loading into ${this.constructor.name}${strict ? ' (strict)' : ''}:\n${problems.join('\n')}`);
    }
    noGrad(() => {
      for (const [k, src] of source) {
        const dst = own.get(k);
        if (dst) dst.copy_(src.device === dst.device ? src : src.to(dst.device));
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Calls fn on every descendant, then on this module (torch's order), e.g. for custom initialisation. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.childrenMap.values()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Sets every parameter's grad to null, disposing the old gradient tensors. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  numParameters(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  /**
   * Moves or casts every parameter and buffer (torch's module.to). Tensors are immutable in layout, so
   * each is replaced by a new leaf; a field of the owning module that held the old tensor is updated too.
   */
  to(target: DType | DeviceName): this {
    for (const m of this.modules()) {
      for (const map of [m.paramsMap, m.buffersMap]) {
        for (const [name, old] of map) {
          const moved = noGrad(() => old.to(target));
          if (moved === old) continue;
          const fresh = keep(moved.detach());
          if (old.requiresGrad) fresh.requiresGrad_(true);
          map.set(name, fresh);
          m.repointFields(old, fresh);
          old.dispose();
        }
      }
    }
    return this;
  }

  /** A one-line-per-module summary with parameter counts. */
  toString(): string {
    return this.namedModules()
      .map(([name, m]) => `${'  '.repeat(name ? name.split('.').length : 0)}${name || '(root)'}: ${m.constructor.name}${m.paramsMap.size ? ` [${[...m.paramsMap].map(([k, p]) => `${k} ${JSON.stringify(p.shape)}`).join(', ')}]` : ''}`)
      .join('\n');
  }
}

/** An indexed list of modules, registered as '0', '1', ... (torch's nn.ModuleList). */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  push(m: M): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }

  get length(): number { return this.items.length; }

  at(i: number): M {
    const m = this.items.at(i);
    if (!m) throw new Error(`ModuleList.at: index ${i} is out of range for a list of ${this.items.length}`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> { return this.items[Symbol.iterator](); }

  forward(): never {
    throw new Error('ModuleList.forward: a ModuleList is a container; iterate over it and call its modules');
  }
}

/** Returns its input (torch's nn.Identity), for optional pieces of a model. */
export class Identity extends Module {
  forward<T>(x: T): T { return x; }
}

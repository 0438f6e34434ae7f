// functionalCall: run a module's own forward with other tensors in place of some of its parameters or
// buffers (torch.func.functional_call). Code that computes weights itself (TLEG's auxiliary net, a
// hypernetwork, a gradient check) runs the one forward the module has, and gradients flow to the given
// tensors, not to the module's.
import { Tensor } from '../engine/index.js';
import type { Module, StateDictLike } from './module.js';

/**
 * Calls module.forward(...inputs) with `params[name]` in place of the parameter or buffer `name` (state-dict
 * names, e.g. `blocks.0.attn.qkv.weight`); names not given keep the module's tensors. The module's own
 * tensors are back in place when it returns or throws. Every name must exist and every shape must match.
 */
export function functionalCall<M extends Module>(module: M, params: StateDictLike, ...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
  const given = params instanceof Map ? [...params] : Object.entries(params);
  checkSubstitutes(module, given);
  const originals: [string, Tensor][] = [];
  try {
    for (const [name, t] of given) originals.push([name, module.swapTensor(name, t)]);
    return module.forward(...inputs);
  } finally {
    for (let i = originals.length - 1; i >= 0; i--) module.swapTensor(originals[i][0], originals[i][1]);
  }
}

function checkSubstitutes(module: Module, given: [string, unknown][]): void {
  const own = new Map([...module.namedParameters(), ...module.namedBuffers()]);
  const problems: string[] = [];
  for (const [name, t] of given) {
    const current = own.get(name);
    if (!current) problems.push(`  '${name}': no parameter or buffer of that name (see namedParameters() and namedBuffers() for the ${own.size} names)`);
    else if (!(t instanceof Tensor)) problems.push(`  '${name}': expected a Tensor, got ${t === null ? 'null' : typeof t}`);
    else if (t.shape.length !== current.shape.length || t.shape.some((d, i) => d !== current.shape[i])) {
      problems.push(`  '${name}': shape [${t.shape.join(', ')}] given, [${current.shape.join(', ')}] in the module`);
    }
  }
  if (problems.length) {
    throw new Error(`functionalCall: ${problems.length} problem(s) with the tensors given for ${module.constructor.name}; pass tensors of the module's shapes under its state-dict names:\n${problems.join('\n')}`);
  }
}

// Other initialisations of a descendant from the same upstream training (the paper's comparators):
//   heur-lg        Heur-LG style: the teacher's last K blocks on top of random ones
//   even-teacher   teacher blocks evenly spaced: block i of L takes teacher block floor(i·T/L)
//   fit-teacher    fitLearngene on the teacher's blocks (a least-squares line, no Aux-Net training), expanded
// Each keeps the teacher's stem (patch and position embedding), final norm and head, as the learngene does;
// every tensor is copied, and `freshHead` leaves timm's random head (a downstream task).
import type { Tensor } from '../../engine/index.js';
import type { ViTConfig } from '../../model/configs.js';
import { VisionTransformer } from '../../model/vit.js';
import type { Generator } from '../../engine/index.js';
import { fitLearngene } from '../analysis.js';
import { expandLearngene } from '../expand.js';

export type TeacherInit = 'heur-lg' | 'even-teacher' | 'fit-teacher';

const blockOf = (key: string): { index: number; rest: string } | undefined => {
  const m = /^blocks\.(\d+)\.(.*)$/.exec(key);
  return m ? { index: Number(m[1]), rest: m[2]! } : undefined;
};

/** The teacher's non-block tensors and its blocks, by index. */
function splitTeacher(teacher: Map<string, Tensor>): { shared: Map<string, Tensor>; blocks: Map<string, Tensor>[] } {
  const shared = new Map<string, Tensor>(), blocks: Map<string, Tensor>[] = [];
  for (const [key, t] of teacher) {
    const b = blockOf(key);
    if (!b) { shared.set(key, t); continue; }
    (blocks[b.index] ??= new Map()).set(b.rest, t);
  }
  return { shared, blocks };
}

/** Which teacher block (or none: random) each of `depth` blocks takes. */
export function teacherBlockMap(kind: 'heur-lg' | 'even-teacher', teacherDepth: number, depth: number, lastK: number): Array<number | null> {
  if (kind === 'even-teacher') return Array.from({ length: depth }, (_, i) => Math.floor((i * teacherDepth) / depth));
  const k = Math.min(lastK, depth, teacherDepth);
  return Array.from({ length: depth }, (_, i) => (i >= depth - k ? teacherDepth - (depth - i) : null));
}

/** The state dict a descendant of `depth` blocks starts from (teacher tensors detached copies). */
export function teacherInitState(kind: TeacherInit, teacher: Map<string, Tensor>, depth: number, lastK: number): Map<string, Tensor> {
  if (kind === 'fit-teacher') {
    const { gene } = fitLearngene(teacher);
    return new Map(Object.entries(expandLearngene(gene, depth)));
  }
  const { shared, blocks } = splitTeacher(teacher);
  const state = new Map<string, Tensor>();
  for (const [k, t] of shared) state.set(k, t.detach().clone());
  teacherBlockMap(kind, blocks.length, depth, lastK).forEach((src, i) => {
    if (src === null) return;
    for (const [rest, t] of blocks[src]!) state.set(`blocks.${i}.${rest}`, t.detach().clone());
  });
  return state;
}

/** A ViT with timm's initialisation (from `generator`) and `state` loaded over it; head.* left fresh when asked. */
export function vitFromState(config: ViTConfig, state: Map<string, Tensor>, options: { generator: Generator; freshHead: boolean }): VisionTransformer {
  const model = new VisionTransformer(config, { generator: options.generator });
  const kept = new Map([...state].filter(([k]) => !(options.freshHead && k.startsWith('head.'))));
  const { unexpectedKeys } = model.loadStateDict(kept, { strict: false });
  if (unexpectedKeys.length > 0) throw new Error(`vitFromState: tensors ${JSON.stringify(unexpectedKeys)} do not fit a ViT of depth ${config.depth}`);
  return model;
}

// Learngene files on disk (Node only); the format itself, on bytes, is in learngene.ts and runs anywhere.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../model/io/index.js';
import { parseLearngene, serializeLearngene, type Learngene } from './learngene.js';

export function saveLearngene(path: string, gene: Learngene): void {
  writeFileAtomic(path, serializeLearngene(gene, `saveLearngene(${path})`));
}

export function loadLearngene(path: string): Learngene {
  return parseLearngene(readFileSync(path), `loadLearngene(${path})`);
}

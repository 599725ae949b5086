import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointsDir, fixturesDir, tinyModelDir } from './paths.js';

/** The bundled model, or another folder with its own reference file (for development). */
export const testModelDir = process.env['BABELSCOPE_TEST_MODEL'] ?? tinyModelDir;
export const referencePath = process.env['BABELSCOPE_TEST_REFERENCE'] ?? join(fixturesDir, 'tiny-babel-reference.json');

export interface EncodedArray {
  shape: number[];
  dtype: 'float32';
  data: string;
}

export interface ReferenceText {
  lang: string;
  text: string;
  input_ids: number[];
  tokens: string[];
  logits: EncodedArray;
  resid_post: EncodedArray;
  mlp_act: EncodedArray;
  final_norm: EncodedArray;
  lens: { ids: number[]; probs: number[] }[][];
}

export interface Reference {
  config: Record<string, unknown>;
  texts: ReferenceText[];
  greedy: { prompt: string; prompt_ids: number[]; generated_ids: number[]; generated_text: string };
}

export function loadReference(path = referencePath): Reference {
  return JSON.parse(readFileSync(path, 'utf8')) as Reference;
}

export function decode(a: EncodedArray): Float32Array {
  const b = Buffer.from(a.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Training checkpoints in order; the last is the bundled model itself. */
export const testCheckpointDirs: string[] = process.env['BABELSCOPE_TEST_CHECKPOINTS']
  ? process.env['BABELSCOPE_TEST_CHECKPOINTS'].split(':')
  : [join(checkpointsDir, '01-english'), join(checkpointsDir, '02-multilingual-mid'), testModelDir];

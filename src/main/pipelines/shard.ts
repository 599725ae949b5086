/**
 * Sharded captures: `--shard I/N` keeps a deterministic 1/N of the texts, so N machines (a Slurm job
 * array, a Kubernetes indexed Job) each capture one part and `babelscope merge` adds them up.
 * A text's shard follows from its corpus id alone (sha256, not its position), so translations stay
 * together and every machine agrees whatever order it read the corpus in.
 */
import { createHash } from 'node:crypto';
import { UserError } from '../../shared/errors.js';

/** Part `index` of `count` of a corpus (`--shard index/count`). */
export interface Shard {
  /** 0-based, like SLURM_ARRAY_TASK_ID with --array=0-(N-1) and Kubernetes' JOB_COMPLETION_INDEX. */
  index: number;
  count: number;
}

export function parseShard(spec: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  const hint = 'Write --shard I/N with 0 ≤ I < N, e.g. --shard 0/4 … --shard 3/4 (I is 0-based, as $SLURM_ARRAY_TASK_ID with --array=0-3).';
  if (!m) throw new UserError(`--shard must look like I/N, got "${spec}"`, hint);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new UserError(`--shard ${spec} is outside 0..N-1`, hint);
  return { index, count };
}

export function shardOf(textId: string, count: number): number {
  return createHash('sha256').update(textId).digest().readUInt32BE(0) % count;
}

export function inShard(textId: string, shard: Shard): boolean {
  return shard.count === 1 || shardOf(textId, shard.count) === shard.index;
}

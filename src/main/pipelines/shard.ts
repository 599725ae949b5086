/**
 * Sharded captures: `--shard I/N` keeps a deterministic 1/N of the texts, so N machines (a Slurm job
 * array, a Kubernetes indexed Job) each capture one part and `babelscope merge` adds them up.
 * A text's shard follows from its corpus id alone (sha256, not its position), so translations stay
 * together and every machine agrees whatever order it read the corpus in.
 */
import { createHash } from 'node:crypto';

/** Part `index` of `count` of a corpus (`--shard index/count`). */
export interface Shard {
  /** 0-based, like SLURM_ARRAY_TASK_ID with --array=0-(N-1) and Kubernetes' JOB_COMPLETION_INDEX. */
  index: number;
  count: number;
}

export function shardOf(textId: string, count: number): number {
  return createHash('sha256').update(textId).digest().readUInt32BE(0) % count;
}

export function inShard(textId: string, shard: Shard): boolean {
  return shard.count === 1 || shardOf(textId, shard.count) === shard.index;
}

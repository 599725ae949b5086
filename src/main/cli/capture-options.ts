/** The command-line syntax of capture's options: `--pool wmean,last`, `--pool-layers embedding,0,8-11`, `--shard I/N`. */
import { UserError, type PoolingChoice, type Shard } from '../api/index.js';

type PooledKind = PoolingChoice['vectors'][number];
type PooledEnd = NonNullable<PoolingChoice['ends']>[number];
const KINDS: readonly PooledKind[] = ['wmean', 'mean', 'last'];
const ENDS: readonly PooledEnd[] = ['embedding', 'final_norm'];

/** `wmean`, `mean`, `last`, a comma-separated list of them, or `none`. */
export function parsePoolVectors(spec: string): PooledKind[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 1 && parts[0] === 'none') return [];
  const bad = parts.filter((p) => !(KINDS as readonly string[]).includes(p));
  if (parts.length === 0 || bad.length) throw new UserError(`--pool must list wmean, mean and/or last (e.g. wmean,last), or be none, got "${spec}"`);
  return KINDS.filter((k) => parts.includes(k));
}

/** `all`, or blocks and ranges with `embedding` and `final_norm`: `embedding,0,4,8-11,final_norm`. */
export function parseLayerList(spec: string): { layers: number[] | 'all'; ends: PooledEnd[] } {
  if (spec.trim() === 'all') return { layers: 'all', ends: [...ENDS] };
  const layers = new Set<number>();
  const ends = new Set<PooledEnd>();
  for (const part of spec.split(',').map((s) => s.trim())) {
    if ((ENDS as readonly string[]).includes(part)) {
      ends.add(part as PooledEnd);
      continue;
    }
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) {
      throw new UserError(`--pool-layers must list blocks and ranges such as 0,4,8-11, with embedding and final_norm if wanted (or all), got "${spec}"`);
    }
    for (let l = Number(m[1]); l <= Number(m[2] ?? m[1]); l++) layers.add(l);
  }
  return { layers: [...layers].sort((a, b) => a - b), ends: ENDS.filter((e) => ends.has(e)) };
}

/** `--shard I/N`: part I (0-based) of N. */
export function parseShard(spec: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  const hint = 'Write --shard I/N with 0 ≤ I < N, e.g. --shard 0/4 … --shard 3/4 (I is 0-based, as $SLURM_ARRAY_TASK_ID with --array=0-3).';
  if (!m) throw new UserError(`--shard must look like I/N, got "${spec}"`, hint);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new UserError(`--shard ${spec} is outside 0..N-1`, hint);
  return { index, count };
}

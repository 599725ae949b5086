/**
 * `babelscope merge OUT.db A.db B.db …`: adds sharded captures (`capture --shard I/N`) into one store.
 * Capture statistics are sums, so the merged run equals a capture of all texts in one go (LAPE exactly;
 * float sums up to the order of addition). Sources must share the model, the corpus and every setting
 * but the shard; texts counted twice are refused. A source may itself be a merge, whole or partial, so
 * many shards can be merged as a tree (groups in parallel, then the groups).
 */
import { resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { openStore, type CorpusInfo, type RunRecord, type Store } from '../store/index.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import { type CaptureParams } from './capture.js';
import { openExistingStore, requireCaptureRun } from './stored-runs.js';

/** Options of `mergeShards`. */
export interface MergeOptions {
  /** The capture run to read in every source and to write in OUT (default "capture"). */
  run?: string;
}

/** One source store as `mergeShards` handled it. */
export interface MergedSourceSummary {
  path: string;
  run: string;
  shard: { index: number; count: number } | null;
  texts: number;
  /** Merged by an earlier `merge` into this run already (a rerun after a kill): skipped. */
  alreadyMerged: boolean;
}

/** What `mergeShards` did: the run written and each source merged (or skipped as merged before). */
export interface MergeSummary {
  out: string;
  runName: string;
  runId: number;
  createdRun: boolean;
  sources: MergedSourceSummary[];
  /** Texts the merged run has done, of the corpus's `corpusTexts`. */
  doneTexts: number;
  corpusTexts: number;
  complete: boolean;
}

type NllTotals = Record<string, { sum: number; count: number }>;

interface SourceRun {
  path: string;
  run: RunRecord;
  corpus: CorpusInfo;
  nll: NllTotals;
}

/** Adds the capture runs of `sourcePaths` into the run `o.run` of `outPath` (see the API's `mergeShards`). */
export function mergeShards(outPath: string, sourcePaths: readonly string[], o: Required<MergeOptions>): MergeSummary {
  const runName = o.run;
  if (sourcePaths.length === 0) throw new UserError('merge needs at least one source store', 'babelscope merge OUT.db SHARD0.db SHARD1.db …');
  const out = resolve(outPath);
  const paths = sourcePaths.map((p) => resolve(p));
  const twice = paths.find((p, i) => paths.indexOf(p) !== i);
  if (twice) throw new UserError(`${twice} is given twice`, 'Give each shard once.');
  if (paths.includes(out)) throw new UserError(`the output ${outPath} is also a source`, 'Merge into a new file: babelscope merge OUT.db A.db B.db …');

  const sources = paths.map((path) => readSource(path, runName));
  const first = sources[0]!;
  for (const s of sources.slice(1)) assertCompatible(first, s);
  const shardPaths = new Map<string, string>();
  for (const s of sources) {
    const sh = shardOf(s.run);
    if (!sh) continue;
    const key = `${sh.index}/${sh.count}`;
    const other = shardPaths.get(key);
    if (other) throw new UserError(`${other} and ${s.path} are both shard ${key}`, 'Shards must be disjoint: give each --shard I/N once.');
    shardPaths.set(key, s.path);
  }

  const target = openStore(out);
  try {
    const { run, created } = targetRun(target, first, runName, out);
    const merged: MergedSourceSummary[] = [];
    for (const s of sources) {
      if (!created) assertCompatible(s, { path: out, run, corpus: target.corpusInfo(run.corpusId!)!, nll: {} });
      const outcome = target.mergeCaptureRun(
        { runId: run.id, corpusId: run.corpusId! },
        { path: s.path, runId: s.run.id, runName: s.run.name, corpusId: s.run.corpusId!, params: s.run.params },
        () => {
          const totals: NllTotals = { ...(target.latestResult(run.id, 'nll')?.result ?? {}) };
          for (const [lang, v] of Object.entries(s.nll)) totals[lang] = { sum: (totals[lang]?.sum ?? 0) + v.sum, count: (totals[lang]?.count ?? 0) + v.count };
          target.saveResult('nll', { runId: run.id, params: {}, result: totals, inputs: { run: run.id } });
        },
      );
      merged.push({ path: s.path, run: s.run.name, shard: shardOf(s.run), ...outcome });
    }
    const doneTexts = target.doneTextIds(run.id).size;
    const corpusTexts = target.corpusInfo(run.corpusId!)!.nTexts;
    const complete = doneTexts === corpusTexts;
    // The totals are whole once every text is in: saved again with the finished run, so they are not marked partial.
    if (complete)
      target.transaction(() => {
        target.finishRun(run.id, 'done');
        target.saveResult('nll', { runId: run.id, params: {}, result: target.latestResult(run.id, 'nll')?.result ?? {}, inputs: { run: run.id } });
      });
    return { out: outPath, runName: run.name, runId: run.id, createdRun: created, sources: merged, doneTexts, corpusTexts, complete };
  } finally {
    target.close();
  }
}

function readSource(path: string, runName: string): SourceRun {
  const store = openExistingStore(path, true);
  try {
    const run = requireCaptureRun(store, runName);
    // A partial merge (some shards merged, the rest elsewhere) is a source too: merges form a tree.
    const partialMerge = run.status === 'running' && store.mergedShards(run.id).length > 0;
    if (run.status !== 'done' && !partialMerge) {
      throw new UserError(
        `run "${run.name}" in ${path} is not finished (status ${run.status})`,
        'Finish that shard first: rerun its capture command, which resumes where it stopped.',
      );
    }
    const corpus = run.corpusId === null ? undefined : store.corpusInfo(run.corpusId);
    if (!corpus) throw new UserError(`run "${run.name}" in ${path} has no corpus`, 'Only capture runs can be merged.');
    const nll = store.latestResult(run.id, 'nll')?.result ?? {};
    return { path, run, corpus, nll };
  } finally {
    store.close();
  }
}

function shardOf(run: RunRecord): { index: number; count: number } | null {
  return (run.params as Partial<CaptureParams>).shard ?? null;
}

/** The settings that must agree: every capture parameter except the shard. */
function settingsOf(run: RunRecord): string {
  const { shard: _shard, ...rest } = run.params as Partial<CaptureParams>;
  return canonicalJson(rest);
}

function assertCompatible(a: SourceRun, b: SourceRun): void {
  if (a.run.modelHash !== b.run.modelHash) {
    throw new UserError(
      `${b.path} was captured with another model: ${b.run.modelDir} (sha256 ${b.run.modelHash.slice(0, 12)}…), not ${a.run.modelDir} (sha256 ${a.run.modelHash.slice(0, 12)}…) as ${a.path}`,
      'Merge only shards of one capture: same model, corpus and settings.',
    );
  }
  if (a.corpus.contentHash !== b.corpus.contentHash) {
    throw new UserError(
      `${b.path} was captured on another corpus (${b.corpus.spec}, ${b.corpus.nTexts} texts) than ${a.path} (${a.corpus.spec}, ${a.corpus.nTexts} texts)`,
      'Every shard must read the same corpus with the same limits (--max-texts-per-lang …); only --shard differs.',
    );
  }
  if (settingsOf(a.run) !== settingsOf(b.run)) {
    throw new UserError(
      `${b.path} was captured with other settings: ${settingsOf(b.run)}, not ${settingsOf(a.run)} as ${a.path}`,
      'Every shard must use the same options (--pool, --pool-layers, --pooled-dtype, --max-tokens-per-text); only --shard differs.',
    );
  }
}

/** The run to merge into: the existing one of that name (not itself a shard) or a new one like the sources'. */
function targetRun(target: Store, first: SourceRun, runName: string, out: string): { run: RunRecord; created: boolean } {
  const existing = target.findRun(runName);
  if (existing) {
    if (existing.kind !== 'capture') throw new UserError(`run "${runName}" in ${out} is a ${existing.kind} run`, 'Merge into another file or pass --run NAME.');
    if (shardOf(existing)) {
      throw new UserError(`run "${runName}" in ${out} is itself a shard`, 'Merge into a new file: babelscope merge OUT.db A.db B.db …');
    }
    return { run: existing, created: false };
  }
  const source = openExistingStore(first.path, true);
  const texts = source.readCorpus(first.run.corpusId!);
  source.close();
  const corpus = target.saveCorpus(first.corpus.spec, texts);
  const { shard: _shard, ...params } = first.run.params as CaptureParams;
  const run = target.createRun({
    name: runName,
    kind: 'capture',
    model: first.run.model,
    ...(first.run.device ? { device: first.run.device } : {}),
    corpusId: corpus.corpusId,
    params,
  });
  return { run, created: true };
}

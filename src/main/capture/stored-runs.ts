/** Reading what a capture stored, in the shapes the analyses take. */
import { existsSync } from 'node:fs';
import { UserError } from '../../shared/errors.js';
import type { LapeResult, LapeStats } from '../analysis/lape.js';
import type { PooledVectorsByLayer } from '../analysis/alignment.js';
import { openStore, type RunRecord, type Store } from '../store/index.js';

export function openExistingStore(path: string, readonly = false): Store {
  if (!existsSync(path)) throw new UserError(`no such file: ${path}`, 'Create it first with `babelscope capture DIR --corpus SRC --db FILE`.');
  return openStore(path, { readonly });
}

export function requireCaptureRun(store: Store, name: string): RunRecord {
  const run = store.findRun(name);
  if (!run || run.kind !== 'capture') {
    const captures = store.listRuns().filter((r) => r.kind === 'capture').map((r) => r.name);
    throw new UserError(
      `no capture run "${name}" in ${store.path}`,
      captures.length ? `Capture runs here: ${captures.join(', ')} (pass --run NAME).` : 'Run `babelscope capture DIR --corpus SRC --db FILE` first.',
    );
  }
  return run;
}

export function lapeStatsOf(store: Store, run: RunRecord): LapeStats {
  const s = store.readNeuronStats(run.id);
  if (s.numLayers === 0) throw new UserError(`run "${run.name}" has no neuron statistics yet`, 'Let `babelscope capture` finish (or resume it) first.');
  return {
    languages: s.languages,
    layers: s.layers.map((byLang) =>
      s.languages.map((lang) => {
        const c = byLang[lang];
        return { tokenCount: c?.tokens ?? 0, positiveCounts: c?.positiveCounts ?? new Float64Array(s.width) };
      }),
    ),
  };
}

export function pooledByLayer(store: Store, run: RunRecord, numLayers: number, which: 'mean' | 'last'): PooledVectorsByLayer {
  const layers = [];
  for (let l = 0; l < numLayers; l++) {
    const byLang = new Map<string, Map<string, Float32Array>>();
    for (const row of store.readPooled(run.id, l)) {
      let m = byLang.get(row.lang);
      if (!m) byLang.set(row.lang, (m = new Map()));
      m.set(row.key, row[which]);
    }
    layers.push(byLang);
  }
  return layers;
}

export const LAPE_RESULT = 'lape';

export function latestLape(store: Store, run: RunRecord): LapeResult {
  const r = store.latestResult<LapeResult>(run.id, LAPE_RESULT);
  if (!r) throw new UserError(`no LAPE result for run "${run.name}" in ${store.path}`, `Run \`babelscope lape --db ${store.path}\` first.`);
  return r.result;
}

/**
 * Store benchmark at 7B scale: LAPE statistics of 32 layers × 11008 MLP neurons × 10 languages
 * (counts, sums, sums of squares). Targets: write < 10 s into a fresh file; reading all languages of
 * one layer < 50 ms. Run standalone with `node dist/bench/store.js`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openStore, type NeuronStatsDelta } from '../src/main/store/index.js';

const LAYERS = 32;
const WIDTH = 11008;
const LANGS = ['eng', 'deu', 'fra', 'spa', 'rus', 'ell', 'arb', 'hin', 'cmn', 'jpn'];

function fakeStats(seed: number): NeuronStatsDelta[] {
  const deltas: NeuronStatsDelta[] = [];
  for (let layer = 0; layer < LAYERS; layer++) {
    for (const lang of LANGS) {
      const positiveCounts = new Float64Array(WIDTH);
      const sums = new Float64Array(WIDTH);
      const sumSquares = new Float64Array(WIDTH);
      for (let j = 0; j < WIDTH; j++) {
        positiveCounts[j] = (j * 7 + layer + seed) % 1000;
        sums[j] = Math.sin(j + layer + seed);
        sumSquares[j] = 1 + Math.cos(j * layer + seed) ** 2;
      }
      deltas.push({ layer, lang, tokens: 1000, positiveCounts, sums, sumSquares });
    }
  }
  return deltas;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function benchStore(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-store-'));
  try {
    const path = join(dir, 'bench.db');
    const first = fakeStats(1);
    const second = fakeStats(2);

    let start = process.hrtime.bigint();
    const store = openStore(path);
    const run = store.createRun({ kind: 'capture', model: { dir: '/bench/7b', hash: '0'.repeat(64) } });
    store.commitBatch(run.id, { stats: first, done: [] });
    store.close();
    const writeSeconds = seconds(start);

    // The capture loop's case: add a second flush onto existing rows.
    start = process.hrtime.bigint();
    const again = openStore(path);
    again.commitBatch(run.id, { stats: second, done: [] });
    again.close();
    const accumulateSeconds = seconds(start);

    const reader = openStore(path, { readonly: true });
    let layerMs = 0;
    let maxLayerMs = 0;
    for (let layer = 0; layer < LAYERS; layer++) {
      start = process.hrtime.bigint();
      const byLang = reader.readLayerStats(run.id, layer);
      const ms = seconds(start) * 1000;
      if (Object.keys(byLang).length !== LANGS.length) throw new Error(`layer ${layer}: ${Object.keys(byLang).length} languages read`);
      layerMs += ms;
      maxLayerMs = Math.max(maxLayerMs, ms);
    }
    start = process.hrtime.bigint();
    const all = reader.readNeuronStats(run.id);
    const readAllSeconds = seconds(start);
    const check = all.layers[31]!['jpn']!;
    if (check.tokens !== 2000 || check.positiveCounts[5] !== first.at(-1)!.positiveCounts[5]! + second.at(-1)!.positiveCounts[5]!) {
      throw new Error('accumulated statistics do not add up');
    }
    reader.close();

    return {
      shape: `${LAYERS} layers × ${WIDTH} neurons × ${LANGS.length} languages`,
      write_fresh_s: round(writeSeconds, 3),
      accumulate_s: round(accumulateSeconds, 3),
      read_layer_mean_ms: round(layerMs / LAYERS, 2),
      read_layer_max_ms: round(maxLayerMs, 2),
      read_all_layers_s: round(readAllSeconds, 3),
      file_mb: round((statSync(path).size + walSize(path)) / 1e6, 1),
      write_target_met: writeSeconds < 10 ? 'yes' : 'no',
      read_target_met: layerMs / LAYERS < 50 ? 'yes' : 'no',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function walSize(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await benchStore();
  for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(20)} ${value}`);
}

/**
 * Pooled residuals at 8 B scale (32 layers × 4096 dims, mean and last per text): bytes per text and
 * write/read time as float32 and as float16, side by side. Run standalone with `node dist/bench/pooled-store.js`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openStore, type PooledDtype, type PooledVectors } from '../src/main/store/index.js';
import { mulberry32 } from '../src/shared/random.js';

const LAYERS = 32;
const DIM = 4096;
const TEXTS = 60;

export async function benchPooledStore(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-pooled-'));
  const rand = mulberry32(5);
  const vec = () => Float32Array.from({ length: DIM }, () => (rand() - 0.5) * 8);
  const corpus = Array.from({ length: TEXTS }, (_, i) => ({ lang: 'eng', id: `t${i}`, text: `text ${i}` }));
  const rows: PooledVectors[][] = corpus.map(() => Array.from({ length: LAYERS }, (_, layer) => ({ textId: 0, layer, mean: vec(), last: vec() })));
  const out: Record<string, number | string> = { shape: `${TEXTS} texts × ${LAYERS} layers × ${DIM} dims, mean + last` };
  try {
    for (const dtype of ['float32', 'float16'] as PooledDtype[]) {
      const path = join(dir, `${dtype}.db`);
      const store = openStore(path);
      const { corpusId, texts } = store.saveCorpus('bench', corpus);
      const run = store.createRun({ kind: 'capture', model: { dir: '/bench/8b', hash: '0'.repeat(64) }, corpusId });
      let t0 = performance.now();
      texts.forEach((t, i) => store.savePooled(run.id, rows[i]!.map((r) => ({ ...r, textId: t.textId })), dtype));
      const writeMs = performance.now() - t0;
      store.db.pragma('wal_checkpoint(TRUNCATE)');
      t0 = performance.now();
      for (let l = 0; l < LAYERS; l++) store.readPooled(run.id, l, 'mean');
      const readMs = performance.now() - t0;
      store.close();
      out[`${dtype}_bytes_per_text_kb`] = Math.round(statSync(path).size / TEXTS / 1024);
      out[`${dtype}_write_ms_per_text`] = Number((writeMs / TEXTS).toFixed(1));
      out[`${dtype}_read_layer_ms`] = Number((readMs / LAYERS).toFixed(1));
    }
    out['float16_size_ratio'] = Number(((out['float16_bytes_per_text_kb'] as number) / (out['float32_bytes_per_text_kb'] as number)).toFixed(3));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [name, value] of Object.entries(await benchPooledStore())) console.log(`${name.padEnd(32)} ${value}`);
}

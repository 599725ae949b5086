/**
 * Capture throughput against a plain forward over the same tokens and batches (target ≥ 0.9×),
 * alternating the two so machine noise hits both alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { budgetBatches } from '../src/main/capture/batches.js';
import { capture, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BATCH_TOKENS } from '../src/main/capture/capture.js';
import { readCorpus } from '../src/main/corpus/index.js';
import { Model } from '../src/main/model/model.js';
import { openStore } from '../src/main/store/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchCapture(modelDir: string, rounds = 5): Promise<Record<string, number>> {
  const model = await Model.open(modelDir, { device: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-capture-'));
  try {
    const texts = await readCorpus('udhr:eng,deu,rus,cmn,arb', { maxTextsPerLang: 40 });
    const enc = await model.tokenizer.encodeBatch(texts.map((t) => t.text));
    const items = texts.map((item, i) => ({ item, ids: enc[i]!.ids.slice(0, model.info.maxPositions) }));
    const tokens = items.reduce((s, x) => s + x.ids.length, 0);
    const budget = { maxBatchTokens: DEFAULT_MAX_BATCH_TOKENS, maxBatchSize: DEFAULT_MAX_BATCH_SIZE };
    const plain: number[] = [];
    const captured: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let t0 = performance.now();
      for (const batch of budgetBatches(items, budget)) await model.forward({ inputIds: batch.map((b) => b.ids) });
      plain.push(tokens / ((performance.now() - t0) / 1000));
      const store = openStore(join(dir, `run-${r}.db`));
      t0 = performance.now();
      await capture(model, store, texts, { runName: 'bench', corpusSpec: 'bench' });
      captured.push(tokens / ((performance.now() - t0) / 1000));
      store.close();
    }
    const p = median(plain);
    const c = median(captured);
    return { texts: texts.length, tokens, plain_forward_tokens_per_s: Math.round(p), capture_tokens_per_s: Math.round(c), ratio_capture_vs_plain: Number((c / p).toFixed(3)) };
  } finally {
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

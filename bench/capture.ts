/**
 * Capture throughput against a plain forward over the same tokens and batches (target ≥ 0.9×), with
 * and without the next batch queued while results are written (`overlap`; the default turns it on
 * with more than two cores), alternating all three so machine noise hits them alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { budgetBatches } from '../src/main/pipelines/batches.js';
import { capture, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BATCH_TOKENS } from '../src/main/pipelines/capture.js';
import { readCorpus } from '../src/main/corpus/index.js';
import { Model } from '../src/main/model/model.js';
import { openStore } from '../src/main/store/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchCapture(modelDir: string, rounds = 5, textsPerLang = 40): Promise<Record<string, number>> {
  const model = await Model.open(modelDir, { device: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-capture-'));
  try {
    const texts = await readCorpus('udhr:eng,deu,rus,cmn,arb', { maxTextsPerLang: textsPerLang });
    const enc = await model.tokenizer.encodeBatch(texts.map((t) => t.text));
    const items = texts.map((item, i) => ({ item, ids: enc[i]!.ids.slice(0, model.info.maxPositions) }));
    const tokens = items.reduce((s, x) => s + x.ids.length, 0);
    const budget = { maxBatchTokens: DEFAULT_MAX_BATCH_TOKENS, maxBatchSize: DEFAULT_MAX_BATCH_SIZE };
    const plain: number[] = [];
    const sequential: number[] = [];
    const overlapped: number[] = [];
    const captureOnce = async (name: string, overlap: boolean) => {
      const store = openStore(join(dir, `${name}.db`));
      const t0 = performance.now();
      await capture(model, store, texts, { runName: 'bench', corpusSpec: 'bench', overlap });
      store.close();
      return tokens / ((performance.now() - t0) / 1000);
    };
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (const batch of budgetBatches(items, budget)) await model.forward({ inputIds: batch.map((b) => b.ids) });
      plain.push(tokens / ((performance.now() - t0) / 1000));
      sequential.push(await captureOnce(`sequential-${r}`, false));
      overlapped.push(await captureOnce(`overlapped-${r}`, true));
    }
    const p = median(plain);
    const c = median(sequential);
    const o = median(overlapped);
    return {
      texts: texts.length,
      tokens,
      cpu_cores: availableParallelism(),
      plain_forward_tokens_per_s: Math.round(p),
      capture_sequential_tokens_per_s: Math.round(c),
      capture_overlapped_tokens_per_s: Math.round(o),
      ratio_sequential_vs_plain: Number((c / p).toFixed(3)),
      ratio_overlapped_vs_sequential: Number((o / c).toFixed(3)),
    };
  } finally {
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

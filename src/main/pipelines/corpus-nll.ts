/** Mean next-token NLL per language over a corpus, optionally with neurons scaled (ablation). */
import type { CorpusText } from '../../shared/corpus-text.js';
import type { Model } from '../model/model.js';
import type { NeuronIntervention } from '../model/types.js';
import { lengthSortedBatches } from './batches.js';

export interface TokenizedCorpus {
  texts: { item: CorpusText; ids: number[] }[];
}

export async function tokenizeCorpus(model: Model, texts: CorpusText[]): Promise<TokenizedCorpus> {
  const enc = await model.tokenizer.encodeBatchIds(texts.map((t) => t.text));
  return { texts: texts.map((item, i) => ({ item, ids: enc[i]!.slice(0, model.info.maxPositions) })) };
}

/** Per-text NLL sums and counts, in corpus order; `onBatch(texts)` after each forward pass with the texts done so far; it may throw to stop (a CancellationError). */
export async function nllByText(
  model: Model,
  corpus: TokenizedCorpus,
  batchSize: number,
  interventions: NeuronIntervention[] = [],
  onBatch?: (texts: number) => void,
): Promise<{ lang: string; sum: number; count: number }[]> {
  const out: { lang: string; sum: number; count: number }[] = corpus.texts.map(({ item }) => ({ lang: item.lang, sum: 0, count: 0 }));
  const index = new Map(corpus.texts.map((t, i) => [t, i]));
  let texts = 0;
  for (const batch of lengthSortedBatches(corpus.texts, batchSize)) {
    // Reduced in the graph: only [batch, pos] NLLs leave it, never [batch, pos, vocab] logits.
    const r = await model.nll({ inputIds: batch.map((b) => b.ids), interventions });
    batch.forEach((t, i) => {
      const o = out[index.get(t)!]!;
      o.sum = r.nllSum[i]!;
      o.count = r.nllCount[i]!;
    });
    texts += batch.length;
    onBatch?.(texts);
  }
  return out;
}

/** Mean NLL per language (nats per token, token-weighted) from per-text sums, languages sorted. */
export function meanNllOf(perText: readonly { lang: string; sum: number; count: number }[]): Record<string, number> {
  const sums = new Map<string, { sum: number; count: number }>();
  for (const t of perText) {
    const cur = sums.get(t.lang) ?? { sum: 0, count: 0 };
    sums.set(t.lang, { sum: cur.sum + t.sum, count: cur.count + t.count });
  }
  return Object.fromEntries([...sums].sort(([a], [b]) => (a < b ? -1 : 1)).map(([lang, v]) => [lang, v.sum / Math.max(1, v.count)]));
}

/** `onBatch(texts)` after each forward pass with the texts done so far in this pass; it may throw to stop (a CancellationError). */
export async function meanNllByLanguage(
  model: Model,
  corpus: TokenizedCorpus,
  batchSize: number,
  interventions: NeuronIntervention[] = [],
  onBatch?: (texts: number) => void,
): Promise<Record<string, number>> {
  return meanNllOf(await nllByText(model, corpus, batchSize, interventions, onBatch));
}

/** Mean next-token NLL per language over a corpus, optionally with neurons scaled (ablation). */
import type { CorpusText } from '../corpus/index.js';
import type { Model } from '../model/model.js';
import type { NeuronIntervention } from '../model/types.js';
import { lengthSortedBatches } from './batches.js';

export interface TokenizedCorpus {
  texts: { item: CorpusText; ids: number[] }[];
}

export async function tokenizeCorpus(model: Model, texts: CorpusText[]): Promise<TokenizedCorpus> {
  const enc = await model.tokenizer.encodeBatch(texts.map((t) => t.text));
  return { texts: texts.map((item, i) => ({ item, ids: enc[i]!.ids.slice(0, model.info.maxPositions) })) };
}

/** `onBatch(texts)` after each forward pass with the texts done so far in this pass; it may throw to stop (a CancellationError). */
export async function meanNllByLanguage(
  model: Model,
  corpus: TokenizedCorpus,
  batchSize: number,
  interventions: NeuronIntervention[] = [],
  onBatch?: (texts: number) => void,
): Promise<Record<string, number>> {
  let texts = 0;
  const sums = new Map<string, { sum: number; count: number }>();
  for (const batch of lengthSortedBatches(corpus.texts, batchSize)) {
    // Reduced in the graph: only [batch, pos] NLLs leave it, never [batch, pos, vocab] logits.
    const r = await model.nll({ inputIds: batch.map((b) => b.ids), interventions });
    batch.forEach(({ item }, i) => {
      const cur = sums.get(item.lang) ?? { sum: 0, count: 0 };
      sums.set(item.lang, { sum: cur.sum + r.nllSum[i]!, count: cur.count + r.nllCount[i]! });
    });
    texts += batch.length;
    onBatch?.(texts);
  }
  return Object.fromEntries([...sums].sort(([a], [b]) => (a < b ? -1 : 1)).map(([lang, v]) => [lang, v.sum / Math.max(1, v.count)]));
}

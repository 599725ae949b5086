/** Mean next-token NLL per language over a corpus, optionally with neurons scaled (ablation). */
import type { CorpusText } from '../corpus/index.js';
import type { Model } from '../model/model.js';
import type { NeuronIntervention } from '../model/types.js';
import { lengthSortedBatches, nextTokenNll } from './batches.js';

export interface TokenizedCorpus {
  texts: { item: CorpusText; ids: number[] }[];
}

export async function tokenizeCorpus(model: Model, texts: CorpusText[]): Promise<TokenizedCorpus> {
  const enc = await model.tokenizer.encodeBatch(texts.map((t) => t.text));
  return { texts: texts.map((item, i) => ({ item, ids: enc[i]!.ids.slice(0, model.info.maxPositions) })) };
}

export async function meanNllByLanguage(model: Model, corpus: TokenizedCorpus, batchSize: number, interventions: NeuronIntervention[] = []): Promise<Record<string, number>> {
  const sums = new Map<string, { sum: number; count: number }>();
  const V = model.info.vocabSize;
  for (const batch of lengthSortedBatches(corpus.texts, batchSize)) {
    const r = await model.forward({ inputIds: batch.map((b) => b.ids), interventions });
    const maxLen = Math.max(...batch.map((b) => b.ids.length));
    batch.forEach(({ item, ids }, i) => {
      const x = nextTokenNll(r.logits!.data, V, ids, i * maxLen * V);
      const cur = sums.get(item.lang) ?? { sum: 0, count: 0 };
      sums.set(item.lang, { sum: cur.sum + x.sum, count: cur.count + x.count });
    });
  }
  return Object.fromEntries([...sums].sort(([a], [b]) => (a < b ? -1 : 1)).map(([lang, v]) => [lang, v.sum / Math.max(1, v.count)]));
}

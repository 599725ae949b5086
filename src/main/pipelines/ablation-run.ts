/**
 * LAPE validation over a corpus: the baseline NLL, each language's neurons scaled in turn, and as many
 * neurons per layer chosen at random (the chance level), all with the same texts and batches.
 */
import { ablationMatrix, randomNeuronSetLike, type AblationMatrix } from '../analysis/ablation-matrix.js';
import type { NeuronRef } from '../analysis/lape.js';
import type { CorpusText } from '../../shared/corpus-text.js';
import type { Model } from '../model/model.js';
import type { NeuronIntervention } from '../model/types.js';
import { mulberry32 } from '../../shared/random.js';
import { meanNllOf, nllByText, tokenizeCorpus } from './corpus-nll.js';
import type { TextNll } from '../analysis/ablation-matrix.js';

export interface AblationRunOptions {
  /** What the neurons are multiplied by (0 ablates). */
  scale: number;
  batchSize: number;
  /** Random same-size neuron sets per language for the chance level (0: none). */
  randomSets: number;
  /** Seed of the random draws. */
  seed: number;
  /**
   * Called as the passes go: `done` of `total` texts over all passes (one pass per neuron set, each over
   * the whole corpus), with what the current pass scales; it may throw to stop (a CancellationError).
   */
  onProgress?: (done: number, total: number, what?: string) => void;
}

/** `neurons`: each language's neuron set (a LAPE result's `neurons`); languages without neurons are left out. */
export async function ablationOverCorpus(model: Model, neurons: Readonly<Record<string, readonly NeuronRef[]>>, texts: CorpusText[], o: AblationRunOptions): Promise<AblationMatrix> {
  const corpus = await tokenizeCorpus(model, texts);
  const langs = Object.keys(neurons).filter((l) => (neurons[l]?.length ?? 0) > 0);
  const n = corpus.texts.length;
  const total = (1 + langs.length * (1 + o.randomSets)) * n;
  let passes = 0;
  const pass = (what: string, interventions: NeuronIntervention[] = []) => {
    const before = passes++ * n;
    o.onProgress?.(before, total, what);
    return nllByText(model, corpus, o.batchSize, interventions, (texts) => o.onProgress?.(before + texts, total, what));
  };
  const baseText = await pass('baseline');
  const ablatedText: Record<string, TextNll[]> = {};
  const ablated: Record<string, Record<string, number>> = {};
  const random: Record<string, Record<string, number>> = {};
  const randomByDraw: Record<string, Record<string, number>[]> = {};
  const rand = mulberry32(o.seed);
  for (const lang of langs) {
    const own = neurons[lang]!;
    ablatedText[lang] = await pass(lang, own.map(([layer, index]) => ({ layer, index, scale: o.scale })));
    ablated[lang] = meanNllOf(ablatedText[lang]);
    for (let k = 0; k < o.randomSets; k++) {
      const set = randomNeuronSetLike(own, model.info.intermediateSize, rand);
      const nll = meanNllOf(await pass(`random ${lang}`, set.map(([layer, index]) => ({ layer, index, scale: o.scale }))));
      (randomByDraw[lang] ??= []).push(nll);
      const acc = (random[lang] ??= {});
      for (const [e, v] of Object.entries(nll)) acc[e] = (acc[e] ?? 0) + v / o.randomSets;
    }
  }
  return ablationMatrix({
    baseline: meanNllOf(baseText),
    ablated,
    perText: { baseline: baseText, ablated: ablatedText },
    ...(o.randomSets > 0 ? { random, randomDraws: o.randomSets, randomByDraw } : {}),
  });
}

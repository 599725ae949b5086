/**
 * Has a checkpoint learned a language at all? Its mean next-token NLL on the language's texts against a
 * uniform guess over the vocabulary, ln |V| nats per token (what a model that knows nothing of the
 * language, yet spreads its probability evenly, would score). A model worse than that has not learned
 * the language, so the neurons LAPE (or any selection) assigns to it there are meaningless: activation
 * statistics on text the model cannot model reflect its script or tokenizer, not a language skill.
 */
import { UserError } from '../../shared/errors.js';
import type { LearnedCheck } from '../../shared/result-types.js';

export type { LearnedCheck };

/** The learned/unlearned verdict per language from its mean NLL (nats per token) and the vocabulary size. */
export function learnedCheck(meanNll: Readonly<Record<string, number>>, vocabSize: number): LearnedCheck {
  if (!(Number.isInteger(vocabSize) && vocabSize >= 2)) throw new UserError(`vocabulary size must be an integer ≥ 2, got ${vocabSize}`);
  const uniformNll = Math.log(vocabSize);
  const langs = Object.keys(meanNll).filter((l) => Number.isFinite(meanNll[l]));
  return {
    vocabSize,
    uniformNll,
    meanNll: Object.fromEntries(langs.map((l) => [l, meanNll[l]!])),
    unlearned: langs.filter((l) => meanNll[l]! >= uniformNll).sort(),
  };
}

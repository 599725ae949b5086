/**
 * Working language per layer over a corpus: token languages from the corpus's own token statistics
 * (script, and keyword lists for programming languages, as extra evidence), then the in-graph logit
 * lens reduces each position to its top-1 token and the probability mass on each language's token set.
 */
import { keywordEvidence } from '../analysis/code-keywords.js';
import { tokenLanguages, type TokenEvidence, type TokenLanguages } from '../analysis/token-language.js';
import { DEFAULT_LANGUAGE_SCRIPTS } from '../analysis/script.js';
import { WorkingLanguageAccumulator, type WorkingLanguageResult } from '../analysis/working-language.js';
import type { CorpusText } from '../corpus/index.js';
import type { Model } from '../model/model.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { lengthSortedBatches } from './batches.js';

/** Kind of the stored working-language result. */
export const WORKING_LANGUAGE_RESULT = 'working-language';

export interface WorkingLanguageRun {
  tokens: TokenLanguages;
  result: WorkingLanguageResult;
}

/** Options of the token→language rule (`analysis/token-language.ts`), the same for every command. */
export interface TokenLanguageRuleOptions {
  minShare?: number;
  minCount?: number;
  /** Extra evidence beside scripts (e.g. keyword lists of programming languages). */
  evidence?: readonly TokenEvidence[];
}

/**
 * The decoded text of every token id, for text-based evidence: null for special tokens and for pieces
 * that are not whole characters (byte-fallback and byte-level pieces decode to U+FFFD).
 */
export async function tokenTexts(tokenizer: Tokenizer, vocabSize: number): Promise<(string | null)[]> {
  const ids = [...Array(vocabSize).keys()].map((id) => [id]);
  const [plain, withSpecial] = await Promise.all([tokenizer.decodeBatch(ids, true), tokenizer.decodeBatch(ids, false)]);
  return plain.map((text, id) => (text.includes('\uFFFD') || (text === '' && withSpecial[id] !== '') ? null : text));
}

/**
 * Each token's language from its frequency share per language in the corpus; script (natural languages)
 * and keyword lists (programming languages in `CODE_KEYWORDS`) are extra evidence.
 */
export async function tokenLanguagesOfCorpus(
  model: Model,
  texts: CorpusText[],
  o: TokenLanguageRuleOptions = {},
): Promise<{ tokens: TokenLanguages; tokenized: { item: CorpusText; ids: number[] }[]; sets: { data: Float32Array; numSets: number } }> {
  const V = model.info.vocabSize;
  const enc = await model.tokenizer.encodeBatch(texts.map((t) => t.text));
  const tokenized = texts.map((item, i) => ({ item, ids: enc[i]!.ids.slice(0, model.info.maxPositions) }));
  const counts = new Map<string, Uint32Array>();
  for (const { item, ids } of tokenized) {
    let c = counts.get(item.lang);
    if (!c) counts.set(item.lang, (c = new Uint32Array(V)));
    for (const id of ids) if (id !== model.info.bosTokenId) c[id]!++;
  }
  const tokens = tokenLanguages(counts, {
    tokenTexts: await tokenTexts(model.tokenizer, V),
    languageScripts: DEFAULT_LANGUAGE_SCRIPTS,
    ...(o.minShare !== undefined ? { minShare: o.minShare } : {}),
    ...(o.minCount !== undefined ? { minCount: o.minCount } : {}),
    evidence: [keywordEvidence([...counts.keys()]), ...(o.evidence ?? [])],
  });
  // One indicator column per label: the in-graph lens sums each position's probability per column.
  const S = tokens.labels.length;
  const data = new Float32Array(V * S);
  tokens.tokenLabel.forEach((label, id) => (data[id * S + label] = 1));
  return { tokens, tokenized, sets: { data, numSets: S } };
}

export async function workingLanguageOverCorpus(
  model: Model,
  texts: CorpusText[],
  o: TokenLanguageRuleOptions & { batchSize: number; onProgress?: (done: number, total: number) => void },
): Promise<WorkingLanguageRun> {
  const { tokens, tokenized, sets } = await tokenLanguagesOfCorpus(model, texts, o);
  const acc = new WorkingLanguageAccumulator(tokens, model.info.numLayers);
  let done = 0;
  for (const batch of lengthSortedBatches(tokenized, o.batchSize)) {
    const r = await model.lens({ inputIds: batch.map((b) => b.ids), topK: 1, tokenSets: sets });
    batch.forEach(({ item, ids }, i) => {
      const t = r.texts[i]!;
      const first = ids[0] === model.info.bosTokenId ? 1 : 0;
      for (let l = 0; l < model.info.numLayers; l++)
        for (let p = first; p < ids.length; p++) acc.addMass(l, t.setMass![l]![p]!, t.topIds[l]![p]![0]!, item.lang);
    });
    done += batch.length;
    o.onProgress?.(done, tokenized.length);
  }
  return { tokens, result: acc.result() };
}

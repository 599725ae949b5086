/**
 * Working language per layer over a corpus: token languages from the corpus's own token statistics
 * (script, and keyword lists for programming languages, as extra evidence), then the in-graph logit
 * lens reduces each position to its top-1 token and the probability mass on each language's token set.
 */
import { keywordEvidence } from '../analysis/code-keywords.js';
import { tokenLanguages, type TokenEvidence, type TokenLanguages } from '../analysis/token-language.js';
import { DEFAULT_LANGUAGE_SCRIPTS } from '../analysis/script.js';
import { chanceMassOf, randomSizeMatchedSets, workingLanguageIntervals, WorkingLanguageAccumulator, type WorkingLanguageResult, type WorkingLanguageTable, type WorkingLanguageTextSums } from '../analysis/working-language.js';
import type { CorpusText } from '../../shared/corpus-text.js';
import type { Model } from '../model/model.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { lengthSortedBatches } from './batches.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

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
  const enc = await model.tokenizer.encodeBatchIds(texts.map((t) => t.text));
  const tokenized = texts.map((item, i) => ({ item, ids: enc[i]!.slice(0, model.info.maxPositions) }));
  const counts = new Map<string, Uint32Array>();
  for (const { item, ids } of tokenized) {
    let c = counts.get(item.lang);
    if (!c) counts.set(item.lang, (c = new Uint32Array(V)));
    for (const id of ids) if (id !== model.info.bosTokenId) c[id]!++;
  }
  const tokens = tokenLanguages(counts, {
    tokenTexts: await tokenTexts(model.tokenizer, V),
    languageScripts: DEFAULT_LANGUAGE_SCRIPTS,
    ...withoutUndefined({ minShare: o.minShare, minCount: o.minCount }),
    evidence: [keywordEvidence([...counts.keys()]), ...(o.evidence ?? [])],
  });
  // One indicator column per label: the in-graph lens sums each position's probability per column.
  const S = tokens.labels.length;
  const data = new Float32Array(V * S);
  tokens.tokenLabel.forEach((label, id) => (data[id * S + label] = 1));
  return { tokens, tokenized, sets: { data, numSets: S } };
}

/** Options of the chance level and the intervals beside the working-language tables. */
export interface WorkingLanguageUncertaintyOptions {
  /** Random token sets per label for the size-matched chance level (0: none); the API's default: OPTION_DEFAULTS.workingLanguage. */
  chanceDraws: number;
  /** Bootstrap resamples over texts for the 95 % intervals (0: none). */
  resamples: number;
  /** Seed of the random sets and the bootstrap. */
  seed: number;
}

export async function workingLanguageOverCorpus(
  model: Model,
  texts: CorpusText[],
  o: TokenLanguageRuleOptions & WorkingLanguageUncertaintyOptions & { batchSize: number; onProgress?: (done: number, total: number) => void },
): Promise<WorkingLanguageRun> {
  const { tokens, tokenized } = await tokenLanguagesOfCorpus(model, texts, o);
  const V = model.info.vocabSize;
  const L = model.info.numLayers;
  const S = tokens.labels.length;
  const R = o.chanceDraws;
  const seed = o.seed;
  const setSizes = tokens.labels.map((label) => tokens.tokensPerLabel[label] ?? 0);
  // Columns: one per label, then R random size-matched sets per label (label k, draw d at S + k·R + d).
  const numSets = S * (1 + R);
  const data = new Float32Array(V * numSets);
  tokens.tokenLabel.forEach((label, id) => (data[id * numSets + label] = 1));
  randomSizeMatchedSets(setSizes, V, R, seed).forEach((draws, k) => draws.forEach((ids, d) => ids.forEach((id) => (data[id * numSets + S + k * R + d] = 1))));
  const acc = new WorkingLanguageAccumulator(tokens, L);
  const units: WorkingLanguageTextSums[] = [];
  // Summed mass of each random set, [layer][label][draw] row-major, over all texts and per text language.
  type ChanceSums = { sums: Float64Array; positions: number[] };
  const newChance = (): ChanceSums => ({ sums: new Float64Array(L * S * R), positions: new Array<number>(L).fill(0) });
  const overallChance = newChance();
  const chanceByLanguage = new Map<string, ChanceSums>();
  const chanceOf = (lang: string) => {
    let c = chanceByLanguage.get(lang);
    if (!c) chanceByLanguage.set(lang, (c = newChance()));
    return c;
  };
  // The worker keeps the [vocab, numSets] matrix (moved there, not copied); each batch only names it.
  const kept = await model.keepTokenSets({ data, numSets });
  try {
    let done = 0;
    for (const batch of lengthSortedBatches(tokenized, o.batchSize)) {
      const r = await model.lens({ inputIds: batch.map((b) => b.ids), topK: 1, tokenSets: kept });
      batch.forEach(({ item, ids }, i) => {
        const t = r.texts[i]!;
        const first = ids[0] === model.info.bosTokenId ? 1 : 0;
        const unit: WorkingLanguageTextSums = { language: item.lang, positions: ids.length - first, top1: new Float64Array(L * S), mass: new Float64Array(L * S) };
        const all = overallChance;
        const own = chanceOf(item.lang);
        for (let l = 0; l < L; l++) {
          all.positions[l]! += ids.length - first;
          own.positions[l]! += ids.length - first;
          for (let p = first; p < ids.length; p++) {
            const m = t.setMass![l]![p]!;
            const top1 = t.topIds[l]![p]![0]!;
            acc.addMass(l, m.slice(0, S), top1, item.lang);
            unit.top1[l * S + tokens.tokenLabel[top1]!]!++;
            for (let k = 0; k < S; k++) unit.mass[l * S + k]! += m[k]!;
            // Random set j = k·R + d of this position, read once, into the overall and the text language's sums.
            for (let j = 0, at = l * S * R; j < S * R; j++, at++) {
              const v = m[S + j]!;
              all.sums[at]! += v;
              own.sums[at]! += v;
            }
          }
        }
        units.push(unit);
      });
      done += batch.length;
      o.onProgress?.(done, tokenized.length);
    }
  } finally {
    await model.releaseTokenSets(kept);
  }
  const result = acc.result();
  const resamples = o.resamples;
  const annotate = (table: WorkingLanguageTable, c: ChanceSums, of: WorkingLanguageTextSums[]) => {
    if (R > 0) {
      const sums = [...Array(L)].map((_, l) => [...Array(S)].map((_, k) => Array.from(c.sums.subarray((l * S + k) * R, (l * S + k + 1) * R))));
      table.chanceMass = chanceMassOf(sums, c.positions, tokens.labels, setSizes, V);
    }
    if (resamples > 0 && of.length > 0) Object.assign(table, workingLanguageIntervals(of, tokens.labels, L, { resamples, seed }));
  };
  annotate(result.overall, overallChance, units);
  for (const [lang, table] of Object.entries(result.byTextLanguage)) annotate(table, chanceOf(lang), units.filter((u) => u.language === lang));
  return { tokens, result };
}

/** Corpora for the API: a source string (`udhr:…`, a JSONL path) or texts made in a cell. */
import { createHash } from 'node:crypto';
import { UserError } from '../../shared/errors.js';
import type { CorpusText } from '../../shared/corpus-text.js';
import { limitPerLang, readCorpus } from '../corpus/index.js';

export { DEFAULT_LABEL_LANGUAGES } from '../corpus/index.js';
import type { Model } from './model.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

/**
 * Where texts come from: `"udhr:eng,rus,cmn"` (the Universal Declaration of Human Rights, paragraphs
 * aligned across languages), a path to a `.jsonl` file of `{"lang","id","text"}` lines, or an array
 * of such objects. Translations of one text share its `id`.
 */
export type CorpusSource = string | readonly CorpusText[];

/** Per-language limits on a corpus. */
export interface CorpusLimitOptions {
  /** Keep at most this many texts per language (the first ones). */
  maxTextsPerLang?: number;
  /** Keep texts per language while their token total (counted with `model`'s tokenizer) stays within this. */
  maxTokensPerLang?: number;
}

/** Options of `loadCorpus`. */
export interface LoadCorpusOptions extends CorpusLimitOptions {
  /** Whose tokenizer counts tokens for `maxTokensPerLang`. */
  model?: Model;
}

/** Reads a corpus into memory with the per-language limits. */
export async function loadCorpus(source: CorpusSource, options: LoadCorpusOptions = {}): Promise<CorpusText[]> {
  if (options.maxTokensPerLang !== undefined && !options.model) {
    throw new UserError('maxTokensPerLang needs a model', 'Pass { model } so tokens can be counted with its tokenizer, or use maxTextsPerLang.');
  }
  const model = options.model;
  const limits = {
    ...withoutUndefined({ maxTextsPerLang: options.maxTextsPerLang }),
    ...(options.maxTokensPerLang !== undefined && model
      ? { maxTokensPerLang: options.maxTokensPerLang, countTokens: async (t: string) => (await model.tokenizer.encode(t)).ids.length }
      : {}),
  };
  if (typeof source === 'string') return readCorpus(source, limits);
  const texts = validateTexts(source);
  const out: CorpusText[] = [];
  for await (const t of limitPerLang(iterate(texts), limits)) out.push(t);
  return out;
}

/**
 * How a corpus is recorded with a run: the source string itself, or for an array
 * `array:<sha256 prefix of its texts>` (so resuming with other texts is refused).
 */
export function corpusLabel(source: CorpusSource): string {
  if (typeof source === 'string') return source;
  const h = createHash('sha256');
  for (const t of source) h.update(JSON.stringify([t.lang, t.id, t.text]) + '\n');
  return `array:${h.digest('hex').slice(0, 16)}`;
}

function validateTexts(texts: readonly unknown[]): CorpusText[] {
  if (!Array.isArray(texts)) throw new UserError('a corpus must be a source string or an array of {lang, id, text}');
  return texts.map((t, i) => {
    const x = t as Partial<CorpusText> | null;
    if (!x || typeof x.lang !== 'string' || x.lang === '' || typeof x.text !== 'string' || (typeof x.id !== 'string' && typeof x.id !== 'number')) {
      throw new UserError(`corpus item ${i} is not {lang, id, text}: ${JSON.stringify(t)?.slice(0, 80)}`, 'Each item needs a non-empty string lang, a string id (shared by translations) and a string text.');
    }
    return { lang: x.lang, id: String(x.id), text: x.text };
  });
}

async function* iterate(texts: readonly CorpusText[]): AsyncGenerator<CorpusText> {
  yield* texts;
}

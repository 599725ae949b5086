import type { CorpusText } from '../../shared/corpus-text.js';
import type { CorpusLimits } from './types.js';

/** Applies per-language text and token budgets to a corpus stream, keeping corpus order. */
export async function* limitPerLang(source: AsyncIterable<CorpusText>, limits: CorpusLimits): AsyncGenerator<CorpusText> {
  const { maxTextsPerLang, maxTokensPerLang, countTokens } = limits;
  if (maxTokensPerLang !== undefined && !countTokens) {
    throw new Error('maxTokensPerLang needs a countTokens callback');
  }
  if (maxTextsPerLang === undefined && maxTokensPerLang === undefined) {
    yield* source;
    return;
  }
  const texts = new Map<string, number>();
  const tokens = new Map<string, number>();
  const closed = new Set<string>(); // languages whose token budget is spent
  for await (const item of source) {
    if (closed.has(item.lang)) continue;
    const textCount = texts.get(item.lang) ?? 0;
    if (maxTextsPerLang !== undefined && textCount >= maxTextsPerLang) continue;
    if (maxTokensPerLang !== undefined) {
      const total = (tokens.get(item.lang) ?? 0) + (await countTokens!(item.text, item.lang));
      if (total > maxTokensPerLang) {
        closed.add(item.lang);
        continue;
      }
      tokens.set(item.lang, total);
    }
    texts.set(item.lang, textCount + 1);
    yield item;
  }
}

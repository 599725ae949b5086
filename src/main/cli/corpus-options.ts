import type { Command } from 'commander';
import type { CorpusParams } from '../../shared/result-kinds.js';
import { parseIntOption } from './common.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

export interface CorpusOptions {
  corpus: string;
  maxTextsPerLang?: number;
  maxTokensPerLang?: number;
}

export function addCorpusOptions(cmd: Command, flag = '--corpus <src>', what = 'texts: udhr:eng,rus,… or a JSONL file of {"lang","id","text"}'): Command {
  return cmd
    .requiredOption(flag, what)
    .option('--max-texts-per-lang <n>', 'use at most this many texts per language', parseIntOption('--max-texts-per-lang', 1))
    .option('--max-tokens-per-lang <n>', 'use texts per language until this many tokens', parseIntOption('--max-tokens-per-lang', 1));
}

/** The per-language limits the user gave, without the ones left unset (the API's and the store's shape). */
export function corpusLimits(o: Omit<CorpusOptions, 'corpus'>): Omit<CorpusParams, 'corpus'> {
  return withoutUndefined({ maxTextsPerLang: o.maxTextsPerLang, maxTokensPerLang: o.maxTokensPerLang });
}

/** The corpus as recorded with a stored result: its source and the limits applied. */
export function corpusParams(o: CorpusOptions): CorpusParams {
  return { corpus: o.corpus, ...corpusLimits(o) };
}

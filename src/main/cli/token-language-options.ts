import type { Command } from 'commander';
import { OPTION_DEFAULTS } from '../api/index.js';
import { parseFloatOption, parseIntOption } from './common.js';

export interface TokenLanguageCliOptions {
  minShare: number;
  minCount: number;
}

/** The options of the token→language rule, the same on every command that labels tokens by language. */
export function addTokenLanguageOptions(cmd: Command): Command {
  return cmd
    .option(
      '--min-share <r>',
      "a token belongs to a language when that language holds at least this share of the token's frequency, each language's counts taken per token of its own texts (0.8: at least 4× as frequent there as in all others together); punctuation, digits and the space marker belong to no natural language",
      parseFloatOption('--min-share', 0.01, 1),
      OPTION_DEFAULTS.workingLanguage.minShare,
    )
    .option('--min-count <n>', "occurrences below which a token's language comes from its script alone (else unknown)", parseIntOption('--min-count', 1), OPTION_DEFAULTS.workingLanguage.minCount);
}

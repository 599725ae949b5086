/**
 * Does a set of token-language labels cover the text being looked at? The logit lens gives each label
 * the probability mass on its tokens; a German sentence labelled only eng/rus/cmn puts German tokens
 * under "eng" (same script, shared pieces) and reads as English. This says so, from two pieces of
 * evidence: the text's dominant Unicode script (no label written in it) and a language-ID model's
 * top label (a natural language not among the labels). Evidence, never proof: the warning names it.
 */
import type { LanguageIdentifier } from './language-id.js';
import { DEFAULT_LANGUAGE_SCRIPTS, scriptCounts, type Script } from './script.js';

/** What the coverage check found. */
export interface LabelCoverage {
  /** The text's dominant script (null when it has none: digits, punctuation). */
  script: Script | null;
  /** The identifier's top language with its probability (null without an identifier or a confident guess). */
  language: { lang: string; prob: number } | null;
  /** One sentence per gap found; empty when the labels cover the text. */
  warnings: string[];
}

export interface LabelCoverageOptions {
  /** Language identifier (fastText lid.176 in the API); without one only the script is checked. */
  identifier?: LanguageIdentifier;
  /** Probability the identifier's top label needs to be taken as the text's language; default 0.5. */
  minProb?: number;
  /** Scripts of each natural language; default DEFAULT_LANGUAGE_SCRIPTS. */
  languageScripts?: Readonly<Record<string, readonly Script[]>>;
}

/**
 * Checks `labels` (corpus language labels; "shared"/"unknown" and programming languages are allowed)
 * against `text`. Programming-language labels have no script and are not in the identifier's label
 * set, so with only such labels no warning comes from either check.
 */
export function labelCoverage(text: string, labels: readonly string[], o: LabelCoverageOptions = {}): LabelCoverage {
  const scripts = o.languageScripts ?? DEFAULT_LANGUAGE_SCRIPTS;
  const natural = labels.filter((l) => scripts[l] !== undefined);
  const counts = Object.entries(scriptCounts(text)) as [Script, number][];
  const script = counts.length ? counts.reduce((a, b) => (b[1] > a[1] ? b : a))[0] : null;
  const warnings: string[] = [];
  if (natural.length > 0 && script && script !== 'Other' && !natural.some((l) => scripts[l]!.includes(script))) {
    warnings.push(`The text is written in ${script} script, and no label (${natural.join(', ')}) is a language written in it: its tokens count for "shared", "unknown" or a wrong language.`);
  }
  let language: LabelCoverage['language'] = null;
  if (o.identifier && natural.length > 0) {
    const top = o.identifier.identify(text)[0];
    if (top && top.prob >= (o.minProb ?? 0.5)) language = top;
    if (language && !labels.includes(language.lang) && warnings.length === 0) {
      warnings.push(`The text looks like ${language.lang} (language ID ${(language.prob * 100).toFixed(0)} %), which is not among the labels (${natural.join(', ')}): its tokens count for other languages that share their pieces or script.`);
    }
  }
  return { script, language, warnings };
}

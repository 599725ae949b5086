/**
 * The language of each vocabulary token, from corpus statistics, with pluggable extra evidence.
 *
 * The rule (used by `working-language`, `lens --languages` and the backend alike):
 * 1. Counts, normalised per language. A token's rate in language l is its occurrences in l's corpus over
 *    all tokens of l's corpus, so a language with more or longer texts does not win tokens by volume.
 *    Its share for l is that rate over the sum of its rates in every language. A token belongs to l when
 *    l's share is at least `minShare` (default 0.8: l uses it at least 4× as often, per token of text,
 *    as all the other languages together): the token is *distinctive* for l. A token seen often enough
 *    (`minCount`) that no language owns is `shared`; one seen fewer times is `unknown`.
 * 2. Evidence (`TokenEvidence`), each speaking about the languages it `covers` only:
 *    - it vetoes a count-based owner it covers but does not allow (the token becomes `shared`): with
 *      script evidence, punctuation, digits and the space marker belong to no natural language, and a
 *      Latin token cannot be Russian;
 *    - for tokens too rare for counts it decides alone: one allowed corpus language → that language; none
 *      allowed and every opinion was "no language" → `shared`; otherwise `unknown`.
 *    Languages no evidence covers (a programming language among natural ones) are left to the counts,
 *    so nothing assumes scripts alone tell languages apart. Other evidence (per-language keyword lists
 *    for programming languages, a language-ID model) plugs in the same way.
 */
import { UserError } from '../../shared/errors.js';
import { DEFAULT_LANGUAGE_SCRIPTS, scriptOf, type Script } from './script.js';

/** Label of a token common to several languages (punctuation, digits, the space marker, shared words). */
export const SHARED = 'shared';
/** Label of a token with too little evidence to decide. */
export const UNKNOWN = 'unknown';

/** A token belongs to a language when that language's per-language-normalised share is at least this. */
export const DEFAULT_MIN_SHARE = 0.8;
/** Below this many occurrences in the corpus, counts alone do not decide a token's language. */
export const DEFAULT_MIN_COUNT = 5;

/** Extra evidence on which languages a token may belong to. */
export interface TokenEvidence {
  /** Shown as the `source` of the labels it decides. */
  readonly name: string;
  /** The corpus languages this evidence can speak about; it never touches the others' labels. */
  readonly covers: readonly string[];
  /**
   * The languages the token may belong to (any names; only covered corpus languages count): `[]` when it
   * belongs to no language (punctuation for natural languages), `undefined` when this evidence has no
   * opinion on the token. `text` is the token's decoded text, or null when it has none (a byte piece, a
   * special token).
   */
  allowed(tokenId: number, text: string | null): readonly string[] | undefined;
}

export interface TokenLanguageOptions {
  /** Share of a token's per-language-normalised frequency a language needs to own it (≥); default 0.8. */
  minShare?: number;
  /** Occurrences (all languages together) below which counts say nothing (`unknown`); default 5. */
  minCount?: number;
  /** Decoded text of each token id (null: none); needed by text-based evidence such as scripts. */
  tokenTexts?: readonly (string | null)[];
  /** language → scripts it is written in: adds {@link scriptEvidence} over the languages listed. */
  languageScripts?: Readonly<Record<string, readonly Script[]>>;
  /** More evidence (e.g. keyword lists of programming languages). */
  evidence?: readonly TokenEvidence[];
}

/** How a token got its label: `counts`, the name of the evidence that decided, or `none`. */
export type TokenLanguageSource = string;

export interface TokenLanguages {
  /** The corpus languages, in the order of `countsPerLang`. */
  languages: string[];
  /** `languages`, then `shared`, then `unknown`: the label set. */
  labels: string[];
  /** [vocab] index into `labels` for each token id. */
  tokenLabel: number[];
  /** [vocab] how each token got its label. */
  source: TokenLanguageSource[];
  /** label → number of tokens with it. */
  tokensPerLabel: Record<string, number>;
  options: { minShare: number; minCount: number; evidence: string[] };
}

/**
 * Script as evidence for natural languages: covers the corpus languages that `languageScripts` lists.
 * A token without script (only Common/Inherited code points: punctuation, digits, spaces, symbols)
 * belongs to none of them; a token in script S may belong to the languages written in S.
 */
export function scriptEvidence(
  languages: readonly string[],
  languageScripts: Readonly<Record<string, readonly Script[]>> = DEFAULT_LANGUAGE_SCRIPTS,
): TokenEvidence {
  const covers = languages.filter((l) => languageScripts[l] !== undefined);
  const table = { ...languageScripts };
  const byScript = new Map<Script, string[]>();
  return {
    name: 'script',
    covers,
    allowed(_id, text) {
      if (text === null) return undefined;
      const s = scriptOf(text);
      if (s === 'Common') return [];
      let hit = byScript.get(s);
      if (!hit) byScript.set(s, (hit = Object.keys(table).filter((l) => table[l]!.includes(s))));
      return hit;
    },
  };
}

/**
 * Assign each token id a language (`countsPerLang`: language → [vocab] occurrences of each token id in
 * that language's corpus) by the rule in this module's header.
 */
export function tokenLanguages(countsPerLang: ReadonlyMap<string, Uint32Array>, options: TokenLanguageOptions = {}): TokenLanguages {
  const minShare = options.minShare ?? DEFAULT_MIN_SHARE;
  const minCount = options.minCount ?? DEFAULT_MIN_COUNT;
  if (!(minShare > 0 && minShare <= 1)) throw new UserError(`minShare must be in (0, 1], got ${minShare}`);
  const languages = [...countsPerLang.keys()];
  if (languages.length === 0) throw new UserError('tokenLanguages needs counts for at least one language');
  for (const l of languages) {
    if (l === SHARED || l === UNKNOWN) throw new UserError(`"${l}" is reserved and cannot be a language label`);
  }
  const counts = [...countsPerLang.values()];
  const vocab = counts[0]!.length;
  if (counts.some((c) => c.length !== vocab)) throw new UserError('tokenLanguages: count arrays differ in vocabulary size');
  const texts = options.tokenTexts;
  if (texts && texts.length < vocab) throw new UserError(`tokenLanguages: ${texts.length} token texts for a vocabulary of ${vocab}`);
  const evidence = [...(options.languageScripts ? [scriptEvidence(languages, options.languageScripts)] : []), ...(options.evidence ?? [])];
  const covered = evidence.map((e) => new Set(e.covers.filter((l) => languages.includes(l))));

  const totals = counts.map((c) => c.reduce((s, x) => s + x, 0));
  const labels = [...languages, SHARED, UNKNOWN];
  const sharedIdx = languages.length;
  const unknownIdx = languages.length + 1;
  const tokenLabel = new Array<number>(vocab);
  const source = new Array<TokenLanguageSource>(vocab);
  const rates = new Float64Array(languages.length);

  for (let t = 0; t < vocab; t++) {
    const text = texts ? (texts[t] ?? null) : null;
    const verdicts = evidence.map((e) => e.allowed(t, text));
    /** The evidence that excludes language k, if any. */
    const vetoOf = (k: number): string | undefined => {
      for (let e = 0; e < evidence.length; e++) {
        const v = verdicts[e];
        if (v !== undefined && covered[e]!.has(languages[k]!) && !v.includes(languages[k]!)) return evidence[e]!.name;
      }
      return undefined;
    };
    let total = 0;
    let rateSum = 0;
    counts.forEach((c, k) => {
      total += c[t]!;
      rates[k] = totals[k]! > 0 ? c[t]! / totals[k]! : 0;
      rateSum += rates[k]!;
    });
    let label = unknownIdx;
    let src: TokenLanguageSource = 'none';
    if (total >= minCount && total > 0) {
      label = sharedIdx;
      src = 'counts';
      let owners = 0;
      let owner = -1;
      for (let k = 0; k < languages.length; k++) {
        if (rates[k]! / rateSum >= minShare) {
          owners++;
          owner = k;
        }
      }
      if (owners === 1) {
        const veto = vetoOf(owner);
        if (veto === undefined) label = owner;
        else src = veto;
      }
    } else {
      const proposed = new Set<number>();
      let opinions = 0;
      let neutral = 0;
      let decidedBy = '';
      verdicts.forEach((v, e) => {
        if (v === undefined) return;
        opinions++;
        if (v.length === 0) neutral++;
        for (const l of v) {
          const k = languages.indexOf(l);
          if (k >= 0 && covered[e]!.has(l) && vetoOf(k) === undefined) {
            proposed.add(k);
            decidedBy = evidence[e]!.name;
          }
        }
      });
      if (proposed.size === 1) {
        label = [...proposed][0]!;
        src = decidedBy;
      } else if (proposed.size === 0 && opinions > 0 && neutral === opinions) {
        label = sharedIdx;
        src = evidence[verdicts.findIndex((v) => v !== undefined)]!.name;
      }
    }
    tokenLabel[t] = label;
    source[t] = src;
  }
  const tokensPerLabel: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  for (const l of tokenLabel) tokensPerLabel[labels[l]!]!++;
  return { languages, labels, tokenLabel, source, tokensPerLabel, options: { minShare, minCount, evidence: evidence.map((e) => e.name) } };
}

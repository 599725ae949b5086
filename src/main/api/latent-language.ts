/**
 * The latent-language protocol of Wendler et al. 2024 (*Do Llamas Work in English?*): few-shot
 * translation, repetition or cloze prompts over single concepts; per layer, the logit-lens probability
 * of the target word's token set, of the latent (English) word's, and the entropy, with 95 % intervals
 * over prompts. Definitions in `analysis/latent-language.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import {
  defaultShots,
  detectVocabScheme,
  latentPrompts,
  layerSeries,
  type DroppedConcept,
  type LatentTask,
  type LayerSeries,
  type VocabScheme,
  type WordList,
} from '../analysis/latent-language.js';
import { latentLanguageLens } from '../pipelines/latent-language-run.js';
import { parseWordList } from '../corpus/word-list.js';
import { engineOf, type Model } from './model.js';
import { OPTION_DEFAULTS } from './defaults.js';
import { longOperation, progressWithAbort, throwIfAborted, type LongRunningOptions } from './progress.js';
import { withoutUndefined } from '../../shared/without-undefined.js';
import { packageRoot } from '../fs/package-root.js';

export type { LatentTask, LayerSeries, DroppedConcept, VocabScheme, WordList };


/**
 * The bundled word list: names of languages, regions and currencies in the bundled model's 11
 * languages, from CLDR through Node's `Intl.DisplayNames` (Unicode licence; `assets/words/LICENSE`).
 */
export const bundledWordList: string = join(packageRoot, 'assets', 'words', 'cldr-names.csv');

/** Reads a word list (CSV: one ISO 639-3 column per language, one row per concept). */
export function readWordList(path: string): WordList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read the word list ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, `bundled: ${bundledWordList}`);
  }
  return parseWordList(text, path);
}

/** Options of `latentLanguage`. */
export interface LatentLanguageOptions extends LongRunningOptions {
  model: Model;
  /** A word list: a CSV path (see `readWordList`) or one already read. Default: `bundledWordList`. */
  words?: string | WordList;
  /** `translation` (default), `repetition` or `cloze` (needs `<to>_cloze` sentences in the list). */
  task?: LatentTask;
  /** Input language of translation prompts (ISO 639-3). */
  from?: string;
  /** Target language (ISO 639-3). */
  to: string;
  /** The hypothesised latent language; default `eng`. */
  latent?: string;
  /** Examples before the query; default 4 (translation, repetition) or 2 (cloze), as the paper. */
  shots?: number;
  /** Seed of the shot sampling and the bootstrap; default 1. */
  seed?: number;
  /** Use at most this many concepts (the first ones of the list). */
  maxConcepts?: number;
  /** Names written in the prompts per language (default each language's own name, e.g. `Français`). */
  languageNames?: Readonly<Record<string, string>>;
  /** Prompts per forward pass; default 8. */
  batch?: number;
  /** Bootstrap resamples of the intervals; default 2000. */
  resamples?: number;
}

/** One prompt with everything a point of the figure comes from. */
export interface LatentPromptResult {
  concept: string;
  prompt: string;
  /** The query's input word (for cloze, its masked sentence). */
  input: string;
  targetWord: string;
  latentWord: string;
  inputIds: number[];
  /** The target word's token set: ids and their vocabulary strings. */
  targetTokens: { id: number; token: string }[];
  latentTokens: { id: number; token: string }[];
  /** Per layer (the residual after block l): lens probability on the target set, on the latent set, entropy (bits). */
  targetProb: number[];
  latentProb: number[];
  entropy: number[];
  /** The lens's most probable next token per layer. */
  top1: string[];
}

/** What `latentLanguage` returns: the run's settings, per-layer summaries, every prompt, and the dropped concepts. */
export interface LatentLanguageOutput {
  task: LatentTask;
  from: string;
  to: string;
  latent: string;
  shots: number;
  seed: number;
  vocabScheme: VocabScheme;
  /** Layers are the model's blocks, 0-based: layer l is the residual after block l (the paper numbers them from 1). */
  numLayers: number;
  /** Per layer over prompts (mean, bootstrap interval, the paper's normal band): probability on the target set, on the latent set, entropy (bits). */
  summary: { target: LayerSeries; latent: LayerSeries; entropy: LayerSeries };
  prompts: LatentPromptResult[];
  /** Concepts left out, with why. */
  dropped: DroppedConcept[];
}

/**
 * Wendler et al.'s latent-language measurement: per layer, the logit-lens probability of the target
 * word and of the latent-language word at the prompt's last position, mean and 95 % CI over prompts.
 *
 * @example
 *   const r = await latentLanguage({ model, from: 'fra', to: 'cmn' });
 *   display(latentLanguageLines(r));
 */
export async function latentLanguage(options: LatentLanguageOptions): Promise<LatentLanguageOutput> {
  const model = engineOf(options.model);
  const defaults = OPTION_DEFAULTS.latentLanguage;
  const task = options.task ?? defaults.task;
  const latent = options.latent ?? defaults.latent;
  const seed = options.seed ?? defaults.seed;
  const shots = options.shots ?? defaultShots(task);
  let list = typeof options.words === 'object' ? options.words : readWordList(options.words ?? bundledWordList);
  if (options.maxConcepts !== undefined) {
    if (!(Number.isInteger(options.maxConcepts) && options.maxConcepts > 0)) throw new UserError(`maxConcepts must be a positive integer, got ${options.maxConcepts}`);
    list = { ...list, concepts: list.concepts.slice(0, options.maxConcepts) };
  }
  const vocab = model.tokenizer.vocab();
  const vocabScheme = detectVocabScheme(vocab);
  const { prompts, dropped } = latentPrompts(list, {
    task,
    to: options.to,
    latent,
    shots,
    seed,
    vocab,
    scheme: vocabScheme,
    ...withoutUndefined({ from: options.from, languageNames: options.languageNames }),
  });
  if (prompts.length === 0) throw new UserError('no concept is left to measure', `dropped: ${dropped.slice(0, 5).map((d) => `${d.concept} (${d.reason})`).join('; ')}${dropped.length > 5 ? '; …' : ''}`);
  return longOperation(options, 'latent-language', async (o) => {
    throwIfAborted(o.signal, 'latent language');
    const progress = progressWithAbort(o, 'latent-language', 'latent language');
    const lens = await latentLanguageLens(model, prompts, { batchSize: options.batch ?? defaults.batch, onProgress: (d, t) => progress(d, t) });
    const tok = (id: number) => ({ id, token: model.tokenizer.idToToken(id) });
    const results: LatentPromptResult[] = prompts.map((p, i) => {
      const l = lens[i]!;
      return {
        concept: p.concept,
        prompt: p.prompt,
        input: p.input,
        targetWord: p.targetWord,
        latentWord: p.latentWord,
        inputIds: l.inputIds,
        targetTokens: p.targetTokens.map(tok),
        latentTokens: p.latentTokens.map(tok),
        targetProb: l.targetProb,
        latentProb: l.latentProb,
        entropy: l.entropy,
        top1: l.top1.map((id) => model.tokenizer.idToToken(id)),
      };
    });
    const summary = (pick: (r: LatentPromptResult) => number[]) => layerSeries(results.map(pick), withoutUndefined({ seed, resamples: options.resamples }));
    return {
      task,
      from: task === 'translation' ? options.from! : options.to,
      to: options.to,
      latent,
      shots,
      seed,
      vocabScheme,
      numLayers: model.info.numLayers,
      summary: { target: summary((r) => r.targetProb), latent: summary((r) => r.latentProb), entropy: summary((r) => r.entropy) },
      prompts: results,
      dropped,
    };
  });
}

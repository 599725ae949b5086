/**
 * Latent language (Wendler, Veselovsky, Monea & West 2024, *Do Llamas Work in English? On the Latent
 * Language of Multilingual Transformers*, ACL; method read from epfl-dlab/llm-latent-language,
 * `Translation.ipynb` and `Cloze.ipynb`; this is our own code).
 *
 * Prompts, one per concept (a row of a word list):
 * - translation: `shots` other concepts, each `Français: "fleur" - 中文: "花"` on its own line, then the
 *   query `Français: "<word>" - 中文: "` ending at the opening quote. Shots are drawn from the concepts
 *   kept by the first filter below (the paper: 4 shots, `k = 5`).
 * - repetition: the same with the input language equal to the target (`中文: "花" - 中文: "花"`).
 * - cloze: `shots` other concepts' masked sentences (answer included) on their own lines, then the
 *   query's masked sentence cut at its first colon (`：` when it has one, else `:`) and `: "` appended
 *   (the paper: 2 shots, drawn from all other concepts).
 *
 * Token sets of a word (the paper's `process_tokens`): every vocabulary token equal to a prefix of the
 * word (prefixes by code point, the whole word included), with and without the space marker `▁`; plus,
 * where the word's first character is neither ASCII nor Latin script, the byte-fallback token
 * `<0xXX>` of its first UTF-8 byte. (The paper adds that token for its zh and ru targets only, i.e. Han
 * and Cyrillic words; the script rule gives the same sets there and extends it to other scripts.) For a
 * byte-level BPE vocabulary (GPT-2, Qwen: `Ġ` marks the space) prefixes are taken over the word's
 * byte-level string, `Ġ` plays the role of `▁`, and there is no byte-fallback token.
 *
 * Concepts dropped, in the paper's order: (translation, target ≠ latent language) the latent word,
 * lower-cased, occurs in the lower-cased target word; then, after the prompt is built, an empty target
 * or latent set, or (target ≠ latent language) target and latent sets that share a token.
 *
 * Per layer (the residual after each block through the model's own final norm and unembedding, at the
 * prompt's last position): probability on the target set, on the latent set, and entropy in bits
 * (`-Σ p log2 p`, as the paper). Summaries: mean over prompts, a 95 % percentile-bootstrap interval over
 * prompts, and the paper's own band (mean ± 1.96·sd/√n, sd with n − 1).
 */
import { UserError } from '../../shared/errors.js';
import { bootstrapMeanInterval, mean, type Interval } from '../../shared/intervals.js';
import { mulberry32 } from '../../shared/random.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

/** Concepts with their word per language and optional cloze sentences (`corpus/word-list.ts` reads them from CSV). */
export interface WordList {
  languages: string[];
  concepts: { id: string; words: Record<string, string>; cloze: Record<string, string> }[];
}

/** The prompt kinds of the protocol: few-shot translation, repetition, or cloze. */
export type LatentTask = 'translation' | 'repetition' | 'cloze';
export const LATENT_TASKS: readonly LatentTask[] = ['translation', 'repetition', 'cloze'];

/** How a vocabulary writes a leading space: SentencePiece's `▁` or byte-level BPE's `Ġ`. */
export type VocabScheme = 'metaspace' | 'byte-level';

export function detectVocabScheme(vocab: Readonly<Record<string, number>>): VocabScheme {
  let meta = 0;
  let byteLevel = 0;
  for (const t of Object.keys(vocab)) {
    if (t.startsWith('\u2581')) meta++;
    else if (t.startsWith('\u0120')) byteLevel++;
  }
  return byteLevel > meta ? 'byte-level' : 'metaspace';
}

let byteToUnicode: string[] | null = null;
/** GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the others to U+0100 onwards. */
function byteLevelChars(): string[] {
  if (byteToUnicode) return byteToUnicode;
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  return (byteToUnicode = map);
}

const PLAIN_FIRST = /^[\x00-\x7f]|^\p{Script=Latin}/u;

/** Token ids of a word's set (ascending), as the paper's `process_tokens` builds it. */
export function wordTokenSet(word: string, vocab: Readonly<Record<string, number>>, scheme: VocabScheme = detectVocabScheme(vocab)): number[] {
  const ids = new Set<number>();
  const chars = scheme === 'byte-level' ? [...new TextEncoder().encode(word)].map((b) => byteLevelChars()[b]!) : Array.from(word);
  const space = scheme === 'byte-level' ? '\u0120' : '\u2581';
  let prefix = '';
  for (const c of chars) {
    prefix += c;
    for (const t of [prefix, space + prefix]) {
      const id = vocab[t];
      if (id !== undefined) ids.add(id);
    }
  }
  if (scheme === 'metaspace' && word.length > 0 && !PLAIN_FIRST.test(word)) {
    const first = new TextEncoder().encode(word)[0]!;
    const id = vocab[`<0x${first.toString(16).toUpperCase().padStart(2, '0')}>`];
    if (id !== undefined) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** A language's own name for itself, capitalised (`Français`, `中文`, `Русский`), from CLDR via `Intl`. */
export function languageAutonym(code: string): string {
  let name: string | undefined;
  try {
    name = new Intl.DisplayNames([code], { type: 'language', fallback: 'none' }).of(code);
  } catch {
    name = undefined;
  }
  if (!name) throw new UserError(`no name known for language "${code}"`, 'give the language names yourself (languageNames: { xyz: "…" })');
  return name.charAt(0).toLocaleUpperCase(code) + name.slice(1);
}

export interface LatentPromptOptions {
  task: LatentTask;
  /** Input language (translation); repetition and cloze use `to`. */
  from?: string;
  /** Target (output) language. */
  to: string;
  /** The hypothesised latent language; default `eng`. */
  latent?: string;
  /** Example pairs (or sentences) before the query; default 4 (translation, repetition) or 2 (cloze), as the paper. */
  shots?: number;
  /** Seed of the shot sampling; default 1. */
  seed?: number;
  /** Names written in the prompt per language; default each language's own name (`languageAutonym`). */
  languageNames?: Readonly<Record<string, string>>;
  vocab: Readonly<Record<string, number>>;
  scheme?: VocabScheme;
}

/** One prompt of the protocol with the token sets it is measured on. */
export interface LatentPrompt {
  concept: string;
  prompt: string;
  /** The word in the input language (the query's word; for cloze, the masked sentence). */
  input: string;
  targetWord: string;
  latentWord: string;
  /** Token ids of the target word's set and of the latent word's set. */
  targetTokens: number[];
  latentTokens: number[];
}

/** A concept of the word list left out of a run, and the rule that left it out. */
export interface DroppedConcept {
  concept: string;
  reason: string;
}

export function defaultShots(task: LatentTask): number {
  return task === 'cloze' ? 2 : 4;
}

/** The prompts of one run of the protocol over a word list, and the concepts left out with why. */
export function latentPrompts(list: WordList, o: LatentPromptOptions): { prompts: LatentPrompt[]; dropped: DroppedConcept[] } {
  if (!LATENT_TASKS.includes(o.task)) throw new UserError(`unknown task "${o.task}"`, `use one of: ${LATENT_TASKS.join(', ')}`);
  const to = o.to;
  const latent = o.latent ?? 'eng';
  const from = o.task === 'translation' ? o.from : to;
  if (o.task === 'translation' && !from) throw new UserError('translation needs an input language (from)', 'e.g. --from fra');
  if (o.task !== 'translation' && o.from !== undefined && o.from !== to) {
    throw new UserError(`the ${o.task} task reads and writes one language; from (${o.from}) differs from to (${to})`, 'leave out --from, or use --task translation');
  }
  for (const lang of new Set([from!, to, latent])) {
    if (!list.languages.includes(lang)) throw new UserError(`the word list has no "${lang}" column`, `its languages: ${list.languages.join(', ')}`);
  }
  if (o.task === 'cloze' && !list.concepts.some((c) => c.cloze[to])) {
    throw new UserError(`the cloze task needs a "${to}_cloze" column in the word list`, `one masked sentence per concept, the word as ___ and ending with its answer, e.g. Un "___" est utilisé pour porter des objets. Réponse : "sac".`);
  }
  const shots = o.shots ?? defaultShots(o.task);
  if (!(Number.isInteger(shots) && shots >= 0)) throw new UserError(`shots must be a non-negative integer, got ${shots}`);
  const scheme = o.scheme ?? detectVocabScheme(o.vocab);
  const name = (lang: string) => o.languageNames?.[lang] ?? languageAutonym(lang);
  const dropped: DroppedConcept[] = [];

  const needed = o.task === 'cloze' ? [to, latent] : [from!, to, latent];
  let pool = list.concepts.filter((c) => {
    const missing = needed.filter((l) => !c.words[l]);
    if (missing.length) dropped.push({ concept: c.id, reason: `no word in ${missing.join(', ')}` });
    else if (o.task === 'cloze' && !c.cloze[to]) dropped.push({ concept: c.id, reason: `no ${to}_cloze sentence` });
    return missing.length === 0 && (o.task !== 'cloze' || !!c.cloze[to]);
  });
  if (o.task !== 'cloze' && to !== latent) {
    pool = pool.filter((c) => {
      const inside = c.words[to]!.toLowerCase().includes(c.words[latent]!.toLowerCase());
      if (inside) dropped.push({ concept: c.id, reason: `the ${latent} word "${c.words[latent]}" is inside the ${to} word "${c.words[to]}"` });
      return !inside;
    });
  }
  if (pool.length > 0 && pool.length - 1 < shots) {
    throw new UserError(`${shots} shots need at least ${shots + 1} usable concepts; the word list has ${pool.length}`, 'use fewer --shots or a longer word list');
  }

  const rand = mulberry32(o.seed ?? 1);
  const prompts: LatentPrompt[] = [];
  pool.forEach((c, index) => {
    // k distinct other concepts, in the order drawn (partial Fisher–Yates over the other indices).
    const others = pool.map((_, i) => i).filter((i) => i !== index);
    for (let i = 0; i < shots; i++) {
      const j = i + Math.floor(rand() * (others.length - i));
      [others[i], others[j]] = [others[j]!, others[i]!];
    }
    const examples = others.slice(0, shots).map((i) => pool[i]!);
    const targetWord = c.words[to]!;
    const latentWord = c.words[latent]!;
    let prompt: string;
    let input: string;
    if (o.task === 'cloze') {
      const sentence = c.cloze[to]!;
      const cut = sentence.includes('：') ? sentence.split('：')[0]! : sentence.split(':')[0]!;
      prompt = examples.map((e) => `${e.cloze[to]}\n`).join('') + `${cut}: "`;
      input = sentence;
    } else {
      const line = (e: { words: Record<string, string> }) => `${name(from!)}: "${e.words[from!]}" - ${name(to)}: "${e.words[to]}"\n`;
      input = c.words[from!]!;
      prompt = examples.map(line).join('') + `${name(from!)}: "${input}" - ${name(to)}: "`;
    }
    const targetTokens = wordTokenSet(targetWord, o.vocab, scheme);
    const latentTokens = wordTokenSet(latentWord, o.vocab, scheme);
    if (targetTokens.length === 0 || latentTokens.length === 0) {
      dropped.push({ concept: c.id, reason: `no vocabulary token is a prefix of the ${targetTokens.length === 0 ? `${to} word "${targetWord}"` : `${latent} word "${latentWord}"`}` });
      return;
    }
    if (to !== latent && targetTokens.some((t) => latentTokens.includes(t))) {
      dropped.push({ concept: c.id, reason: `the ${to} and ${latent} token sets share a token` });
      return;
    }
    prompts.push({ concept: c.id, prompt, input, targetWord, latentWord, targetTokens, latentTokens });
  });
  return { prompts, dropped };
}

/** Per layer: the mean over prompts and two 95 % intervals. */
export interface LayerSeries {
  mean: number[];
  /** Percentile bootstrap over prompts (`src/shared/intervals.ts`). */
  interval: Interval[];
  /** The paper's band: mean ± 1.96·sd/√n (sd with n − 1 in the denominator, as torch's `std`). */
  normalInterval: Interval[];
}

/** Summary of per-prompt values `[prompt][layer]`. */
export function layerSeries(values: readonly (readonly number[])[], o: { seed?: number; resamples?: number } = {}): LayerSeries {
  const numLayers = values[0]?.length ?? 0;
  const out: LayerSeries = { mean: [], interval: [], normalInterval: [] };
  const n = values.length;
  for (let l = 0; l < numLayers; l++) {
    const col = values.map((v) => v[l]!);
    const m = mean(col);
    const sd = n > 1 ? Math.sqrt(col.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1)) : Number.NaN;
    const half = (1.96 / Math.sqrt(n)) * sd;
    out.mean.push(m);
    out.interval.push(bootstrapMeanInterval(col, withoutUndefined({ seed: (o.seed ?? 1) + l, units: 'prompts' as const, resamples: o.resamples })));
    out.normalInterval.push({ low: m - half, high: m + half, level: 0.95, method: 'normal (mean ± 1.96·sd/√n over prompts, as Wendler et al. plot)' });
  }
  return out;
}

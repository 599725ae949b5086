/**
 * Working language per layer (Babel Tower; logit lens after Wendler et al. 2024).
 *
 * 1. `tokenLanguages` gives every vocabulary token a language from corpus statistics: the language
 *    holding at least `minShare` of the token's occurrences (counted over the per-language corpora),
 *    `shared` when no language does, `unknown` when the token was seen fewer than `minCount` times.
 *    Unicode script is extra evidence only: with `tokenTexts` and `languageScripts`, an `unknown` token
 *    whose script belongs to exactly one of the languages gets that language (source `script`).
 *    Count-based labels are never overridden by script (a language may be a programming language).
 * 2. `WorkingLanguageAccumulator` streams logit-lens results, one (layer, position) at a time, and
 *    reports per layer:
 *    - top1Share[label][layer]: share of positions whose top-1 token has that label (sums to 1 over
 *      labels);
 *    - meanMass[label][layer]: mean over positions of the probability mass on that label's token set
 *      (sums to ~1 over labels when full distributions are given).
 *    Results are kept overall and per text language (the language of the text being read).
 */
import { UserError } from '../../shared/errors.js';
import { languagesWithScript, scriptOf, type Script } from './script.js';

export { scriptOf, scriptCounts, DEFAULT_LANGUAGE_SCRIPTS, type Script } from './script.js';

export const SHARED = 'shared';
export const UNKNOWN = 'unknown';

export interface TokenLanguageOptions {
  /** Share of a token's occurrences a language needs to own it (≥); default 0.5. */
  minShare?: number;
  /** Occurrences (all languages together) below which a token is `unknown`; default 5. */
  minCount?: number;
  /** Decoded text of each token id (for script evidence). */
  tokenTexts?: readonly string[];
  /** language → scripts it is written in (for script evidence); languages without an entry never match. */
  languageScripts?: Readonly<Record<string, readonly Script[]>>;
}

/** How a token got its label. */
export type TokenLanguageSource = 'counts' | 'script' | 'none';

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
  options: { minShare: number; minCount: number };
}

/**
 * Assign each token id a language from per-language token frequency counts
 * (`countsPerLang`: language → [vocab] occurrences of each token id in that language's corpus).
 * When two languages both reach `minShare` (possible only for minShare ≤ 0.5) the token is `shared`.
 */
export function tokenLanguages(
  countsPerLang: ReadonlyMap<string, Uint32Array>,
  options: TokenLanguageOptions = {},
): TokenLanguages {
  const minShare = options.minShare ?? 0.5;
  const minCount = options.minCount ?? 5;
  const languages = [...countsPerLang.keys()];
  if (languages.length === 0) throw new UserError('tokenLanguages needs counts for at least one language');
  for (const l of languages) {
    if (l === SHARED || l === UNKNOWN) throw new UserError(`"${l}" is reserved and cannot be a language label`);
  }
  const counts = [...countsPerLang.values()];
  const vocab = counts[0]!.length;
  if (counts.some((c) => c.length !== vocab)) throw new UserError('tokenLanguages: count arrays differ in vocabulary size');
  if (options.tokenTexts && options.tokenTexts.length < vocab) {
    throw new UserError(`tokenLanguages: ${options.tokenTexts.length} token texts for a vocabulary of ${vocab}`);
  }
  const labels = [...languages, SHARED, UNKNOWN];
  const sharedIdx = languages.length;
  const unknownIdx = languages.length + 1;
  const tokenLabel = new Array<number>(vocab);
  const source = new Array<TokenLanguageSource>(vocab);
  const scriptOwner = new Map<Script, number>();
  const scriptOwnerOf = (s: Script): number => {
    let hit = scriptOwner.get(s);
    if (hit === undefined) {
      const owners = options.languageScripts ? languagesWithScript(s, languages, options.languageScripts) : [];
      hit = owners.length === 1 ? languages.indexOf(owners[0]!) : -1;
      scriptOwner.set(s, hit);
    }
    return hit;
  };
  for (let t = 0; t < vocab; t++) {
    let total = 0;
    for (const c of counts) total += c[t]!;
    let label = unknownIdx;
    let src: TokenLanguageSource = 'none';
    if (total >= minCount && total > 0) {
      label = sharedIdx;
      src = 'counts';
      let owners = 0;
      counts.forEach((c, k) => {
        if (c[t]! / total >= minShare) {
          owners++;
          label = k;
        }
      });
      if (owners !== 1) label = sharedIdx;
    } else if (options.tokenTexts && options.languageScripts) {
      const s = scriptOf(options.tokenTexts[t]!);
      const owner = s === 'Common' ? -1 : scriptOwnerOf(s);
      if (owner >= 0) {
        label = owner;
        src = 'script';
      }
    }
    tokenLabel[t] = label;
    source[t] = src;
  }
  const tokensPerLabel: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  for (const l of tokenLabel) tokensPerLabel[labels[l]!]!++;
  return { languages, labels, tokenLabel, source, tokensPerLabel, options: { minShare, minCount } };
}

/** Per-layer working-language statistics for one group of positions. */
export interface WorkingLanguageTable {
  /** [layers] positions counted (top-1). */
  positions: number[];
  /** [layers] positions whose probability mass was given. */
  massPositions: number[];
  /** label → [layers] share of top-1 tokens with that label. */
  top1Share: Record<string, number[]>;
  /** label → [layers] mean probability mass on the label's tokens (0 where no mass was given). */
  meanMass: Record<string, number[]>;
}

/** Working language per layer, over all texts and per text language. */
export interface WorkingLanguageResult {
  labels: string[];
  numLayers: number;
  overall: WorkingLanguageTable;
  /** text language → table over the positions of texts in that language. */
  byTextLanguage: Record<string, WorkingLanguageTable>;
}

class TableSums {
  readonly top1: Float64Array;
  readonly mass: Float64Array;
  readonly positions: Float64Array;
  readonly massPositions: Float64Array;
  constructor(
    private readonly numLayers: number,
    private readonly numLabels: number,
  ) {
    this.top1 = new Float64Array(numLayers * numLabels);
    this.mass = new Float64Array(numLayers * numLabels);
    this.positions = new Float64Array(numLayers);
    this.massPositions = new Float64Array(numLayers);
  }
  table(labels: string[]): WorkingLanguageTable {
    const top1Share: Record<string, number[]> = {};
    const meanMass: Record<string, number[]> = {};
    labels.forEach((label, k) => {
      top1Share[label] = [];
      meanMass[label] = [];
      for (let l = 0; l < this.numLayers; l++) {
        const p = this.positions[l]!;
        const m = this.massPositions[l]!;
        top1Share[label]!.push(p ? this.top1[l * this.numLabels + k]! / p : 0);
        meanMass[label]!.push(m ? this.mass[l * this.numLabels + k]! / m : 0);
      }
    });
    return {
      positions: Array.from(this.positions),
      massPositions: Array.from(this.massPositions),
      top1Share,
      meanMass,
    };
  }
}

/**
 * Streams logit-lens results into per-layer working-language statistics.
 * Per position and layer call `add` with the full next-token distribution, or `addMass` with the mass
 * already summed per label (in `tokens.labels` order).
 */
export class WorkingLanguageAccumulator {
  private readonly labelOf: Uint32Array;
  private readonly nLabels: number;
  private readonly overall: TableSums;
  private readonly byText = new Map<string, TableSums>();
  private readonly scratch: Float64Array;

  constructor(
    private readonly tokens: TokenLanguages,
    readonly numLayers: number,
  ) {
    if (!(Number.isInteger(numLayers) && numLayers > 0)) throw new UserError('numLayers must be a positive integer');
    this.labelOf = Uint32Array.from(tokens.tokenLabel);
    this.nLabels = tokens.labels.length;
    this.overall = new TableSums(numLayers, this.nLabels);
    this.scratch = new Float64Array(this.nLabels);
  }

  /**
   * One position at one layer: `probs` is the logit-lens distribution [vocab] (or null to count only the
   * top-1), `top1` its argmax token id, `textLanguage` the language of the text being read.
   */
  add(layer: number, probs: ArrayLike<number> | null, top1: number, textLanguage?: string): void {
    let mass: Float64Array | null = null;
    if (probs) {
      if (probs.length !== this.labelOf.length) {
        throw new UserError(`probability vector has ${probs.length} entries, vocabulary has ${this.labelOf.length}`);
      }
      mass = this.scratch.fill(0);
      const labelOf = this.labelOf;
      for (let t = 0; t < probs.length; t++) mass[labelOf[t]!]! += probs[t]!;
    }
    this.record(layer, mass, top1, textLanguage);
  }

  /** Like `add`, with the probability mass per label already summed ([labels], `tokens.labels` order). */
  addMass(layer: number, massPerLabel: ArrayLike<number>, top1: number, textLanguage?: string): void {
    if (massPerLabel.length !== this.nLabels) {
      throw new UserError(`mass vector has ${massPerLabel.length} entries, expected one per label (${this.nLabels})`);
    }
    this.record(layer, massPerLabel, top1, textLanguage);
  }

  private record(layer: number, mass: ArrayLike<number> | null, top1: number, textLanguage?: string): void {
    if (!(Number.isInteger(layer) && layer >= 0 && layer < this.numLayers)) {
      throw new UserError(`layer ${layer} is outside [0, ${this.numLayers})`);
    }
    if (!(Number.isInteger(top1) && top1 >= 0 && top1 < this.labelOf.length)) {
      throw new UserError(`top-1 token id ${top1} is outside the vocabulary`);
    }
    const targets = [this.overall];
    if (textLanguage !== undefined) {
      let t = this.byText.get(textLanguage);
      if (!t) {
        t = new TableSums(this.numLayers, this.nLabels);
        this.byText.set(textLanguage, t);
      }
      targets.push(t);
    }
    const label = this.labelOf[top1]!;
    for (const s of targets) {
      s.positions[layer]!++;
      s.top1[layer * this.nLabels + label]!++;
      if (mass) {
        s.massPositions[layer]!++;
        for (let k = 0; k < this.nLabels; k++) s.mass[layer * this.nLabels + k]! += mass[k]!;
      }
    }
  }

  result(): WorkingLanguageResult {
    const labels = this.tokens.labels;
    const byTextLanguage: Record<string, WorkingLanguageTable> = {};
    for (const [lang, sums] of this.byText) byTextLanguage[lang] = sums.table(labels);
    return { labels: [...labels], numLayers: this.numLayers, overall: this.overall.table(labels), byTextLanguage };
  }
}

/** Logit-lens output of one text at one layer. */
export interface LayerLens {
  /** [positions] top-1 token id. */
  top1: ArrayLike<number>;
  /** [positions × vocab] row-major distributions (the engine's Tensor layout), optional. */
  probs?: Float32Array;
  /** [positions × labels] mass per label, as an alternative to `probs`. */
  mass?: Float64Array;
}

export interface WorkingLanguageText {
  language: string;
  /** [layers] */
  layers: LayerLens[];
}

/** Working language per layer over whole texts (a convenience over {@link WorkingLanguageAccumulator}). */
export function workingLanguage(texts: readonly WorkingLanguageText[], tokens: TokenLanguages): WorkingLanguageResult {
  const numLayers = texts.reduce((m, t) => Math.max(m, t.layers.length), 0);
  if (numLayers === 0) throw new UserError('workingLanguage: no layers in the input');
  const acc = new WorkingLanguageAccumulator(tokens, numLayers);
  const vocab = tokens.tokenLabel.length;
  const nLabels = tokens.labels.length;
  for (const text of texts) {
    text.layers.forEach((lens, layer) => {
      for (let pos = 0; pos < lens.top1.length; pos++) {
        const top1 = lens.top1[pos]!;
        if (lens.probs) acc.add(layer, lens.probs.subarray(pos * vocab, (pos + 1) * vocab), top1, text.language);
        else if (lens.mass) acc.addMass(layer, lens.mass.subarray(pos * nLabels, (pos + 1) * nLabels), top1, text.language);
        else acc.add(layer, null, top1, text.language);
      }
    });
  }
  return acc.result();
}

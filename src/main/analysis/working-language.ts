/**
 * Working language per layer (Babel Tower; logit lens after Wendler et al. 2024).
 *
 * 1. Each vocabulary token gets a language by the rule of `token-language.ts` (re-exported here).
 * 2. `WorkingLanguageAccumulator` streams logit-lens results, one (layer, position) at a time, and
 *    reports per layer:
 *    - top1Share[label][layer]: share of positions whose top-1 token has that label (sums to 1 over
 *      labels);
 *    - meanMass[label][layer]: mean over positions of the probability mass on that label's token set
 *      (sums to ~1 over labels when full distributions are given).
 *    Results are kept overall and per text language (the language of the text being read).
 * 3. Beside them (issue 16: token sets differ in size by an order of magnitude between languages, so
 *    masses cannot be compared raw): a size-matched chance level per label, the mass that random
 *    vocabulary sets of the label's size get on the same positions (`randomSizeMatchedSets`,
 *    `chanceMassOf`; exactly size/vocabulary in expectation), and 95 % intervals of every share and
 *    mass by a percentile bootstrap over texts (`workingLanguageIntervals`). This measure is
 *    Babelscope's own (Babel Tower's corpus view); Wendler et al.'s protocol is `latent-language.ts`.
 */
import { UserError } from '../../shared/errors.js';
import { sortedQuantile, type Interval } from '../../shared/intervals.js';
import { mulberry32 } from '../../shared/random.js';
import type { ChanceMass, WorkingLanguageResult, WorkingLanguageTable } from '../../shared/result-types.js';
import type { TokenLanguages } from './token-language.js';

export { scriptOf, scriptCounts, DEFAULT_LANGUAGE_SCRIPTS, type Script } from './script.js';
export * from './token-language.js';

export type { ChanceMass, WorkingLanguageResult, WorkingLanguageTable };

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

/** One text's sums, the unit of the bootstrap over texts: [layers × labels] row-major. */
export interface WorkingLanguageTextSums {
  language: string;
  /** Positions counted at each layer. */
  positions: number;
  top1: Float64Array;
  mass: Float64Array;
}

/**
 * 95 % percentile-bootstrap intervals over texts (Efron & Tibshirani 1993) of every top-1 share and
 * mean mass: texts are resampled with replacement and each statistic recomputed as pooled positions
 * (Σ counts / Σ positions), as the point estimates are. All cells share the resamples.
 */
export function workingLanguageIntervals(
  texts: readonly WorkingLanguageTextSums[],
  labels: readonly string[],
  numLayers: number,
  o: { resamples?: number; seed?: number; level?: number } = {},
): { top1ShareInterval: Record<string, Interval[]>; meanMassInterval: Record<string, Interval[]> } {
  const B = o.resamples ?? 1000;
  const level = o.level ?? 0.95;
  const S = labels.length;
  const cells = numLayers * S;
  const n = texts.length;
  const method = `bootstrap-percentile (${B} resamples over texts)`;
  const top1 = new Float64Array(B * cells);
  const mass = new Float64Array(B * cells);
  const rand = mulberry32(o.seed ?? 1);
  const weight = new Float64Array(n);
  const t1 = new Float64Array(cells);
  const ms = new Float64Array(cells);
  for (let b = 0; b < B; b++) {
    weight.fill(0);
    for (let i = 0; i < n; i++) weight[Math.floor(rand() * n)]!++;
    t1.fill(0);
    ms.fill(0);
    let positions = 0;
    for (let i = 0; i < n; i++) {
      const w = weight[i]!;
      if (!w) continue;
      const t = texts[i]!;
      positions += w * t.positions;
      for (let c = 0; c < cells; c++) {
        t1[c]! += w * t.top1[c]!;
        ms[c]! += w * t.mass[c]!;
      }
    }
    for (let c = 0; c < cells; c++) {
      top1[c * B + b] = positions ? t1[c]! / positions : 0;
      mass[c * B + b] = positions ? ms[c]! / positions : 0;
    }
  }
  const alpha = (1 - level) / 2;
  const interval = (values: Float64Array, c: number): Interval => {
    const v = values.subarray(c * B, (c + 1) * B).sort();
    return { low: sortedQuantile(v, alpha), high: sortedQuantile(v, 1 - alpha), level, method };
  };
  const top1ShareInterval: Record<string, Interval[]> = {};
  const meanMassInterval: Record<string, Interval[]> = {};
  labels.forEach((label, k) => {
    top1ShareInterval[label] = [];
    meanMassInterval[label] = [];
    for (let l = 0; l < numLayers; l++) {
      top1ShareInterval[label]!.push(interval(top1, l * S + k));
      meanMassInterval[label]!.push(interval(mass, l * S + k));
    }
  });
  return { top1ShareInterval, meanMassInterval };
}

/**
 * `draws` random token sets per label, each of the label's size, drawn uniformly without replacement
 * from the whole vocabulary (seeded): `sets[label][draw]` token ids.
 */
export function randomSizeMatchedSets(setSizes: readonly number[], vocabSize: number, draws: number, seed = 1): number[][][] {
  const rand = mulberry32(seed);
  const ids = new Int32Array(vocabSize);
  return setSizes.map((k) =>
    Array.from({ length: draws }, () => {
      for (let i = 0; i < vocabSize; i++) ids[i] = i;
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(rand() * (vocabSize - i));
        const t = ids[i]!;
        ids[i] = ids[j]!;
        ids[j] = t;
      }
      return Array.from(ids.subarray(0, k));
    }),
  );
}

/** Size-matched chance per label from the summed masses of its random sets: `sums[layer][label][draw]` over `positions[layer]`. */
export function chanceMassOf(
  sums: readonly (readonly (readonly number[])[])[],
  positions: readonly number[],
  labels: readonly string[],
  setSizes: readonly number[],
  vocabSize: number,
): Record<string, ChanceMass> {
  const out: Record<string, ChanceMass> = {};
  labels.forEach((label, k) => {
    const c: ChanceMass = { setSize: setSizes[k]!, expected: setSizes[k]! / vocabSize, draws: sums[0]?.[k]?.length ?? 0, mean: [], low: [], high: [] };
    sums.forEach((perLabel, l) => {
      const p = positions[l]!;
      const v = Float64Array.from(perLabel[k]!, (s) => (p ? s / p : 0)).sort();
      c.mean.push(v.reduce((a, b) => a + b, 0) / (v.length || 1));
      c.low.push(sortedQuantile(v, 0.025));
      c.high.push(sortedQuantile(v, 0.975));
    });
    out[label] = c;
  });
  return out;
}

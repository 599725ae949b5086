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
 */
import { UserError } from '../../shared/errors.js';
import type { WorkingLanguageResult, WorkingLanguageTable } from '../../shared/result-types.js';
import type { TokenLanguages } from './token-language.js';

export { scriptOf, scriptCounts, DEFAULT_LANGUAGE_SCRIPTS, type Script } from './script.js';
export * from './token-language.js';

export type { WorkingLanguageResult, WorkingLanguageTable };

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

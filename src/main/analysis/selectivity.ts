/**
 * Language-selective neurons without a quota, tested over texts: a second selection method beside LAPE.
 *
 * LAPE takes a fixed share of all neurons (the lowest-entropy top 1 %), so it must both miss real
 * language neurons when there are more and admit others when there are fewer. Here a neuron belongs to
 * language k when it fires for k's texts more often than for EVERY other language's, by more than a
 * large effect, and the texts show this is no accident.
 *
 * Unit of inference: the text. Tokens of one text share topic, register and position, so they are not
 * independent trials; a token-level test (the earlier version of this method) is anti-conservative by
 * orders of magnitude. The capture deals each language's texts into G groups (text i of the language
 * into group i mod G, default 16) and keeps per group and neuron the count of activations > 0 (sums, so
 * resume, shards and merge keep working). Groups of whole texts are independent units; with ≤ G texts a
 * language each group is one text.
 *
 * For neuron n, language k with groups g = 1…n_k: a_kg = 2·asin(√(x_kg / N_kg)) (the arcsine makes rate
 * differences comparable across the range: Cohen's h), mean ā_k and sample variance s²_k, floored at the
 * binomial variance of one group's arcsine rate, mean_g 1/N_kg (so two groups that happen to agree do not
 * make a certainty). The text-level effect against language j is h_kj = ā_k − ā_j.
 * - Test: H0: h_kj ≤ h₀ (the effect floor `minEffect`, default 0.8, Cohen's 1988 "large") against
 *   H1: h_kj > h₀, Welch's one-sided t-test on the group values (unequal variances, Welch–Satterthwaite
 *   df). "Beats every other language by more than h₀" is an intersection–union test (Berger 1982): its
 *   p-value is the largest of the pairwise ones, with no correction over j. The floor is inside the
 *   null, so "language-specific" is a tested claim, not a point estimate above a line.
 * - Multiplicity: the p-values of all neurons × languages are adjusted by Benjamini–Yekutieli (2001) by
 *   default: the tests share their texts, and neurons are correlated both ways (some fire together,
 *   some in turn), so the positive dependence (PRDS) that Benjamini–Hochberg needs cannot be assumed;
 *   BY holds under any dependence, at about ln(m) + 0.58 in stringency. `fdrProcedure: 'BH'` is there
 *   for comparison with other work.
 * A neuron can pass for one language at most (it must beat all others). No quota: the count of
 * selected neurons is whatever the data support, zero included.
 */
import type { SelectiveNeuron, SelectivityThresholds, SelectivityResult, SelectivityUnits } from '../../shared/result-types.js';
import { UserError } from '../../shared/errors.js';
import { benjaminiHochberg, benjaminiYekutieli, studentTQuantileUpper, welchTest } from '../../shared/significance.js';
import type { NeuronRef } from './lape.js';

export type { SelectiveNeuron, SelectivityThresholds, SelectivityResult };
export { benjaminiHochberg, benjaminiYekutieli };

/** Defaults of the selectivity method: Cohen's "large" effect as the null's margin, a 5 % FDR by Benjamini–Yekutieli (see the module comment). */
export const SELECTIVITY_DEFAULTS: Readonly<Required<SelectivityThresholds>> = { minEffect: 0.8, fdr: 0.05, fdrProcedure: 'BY' };

/** The test this module runs, recorded with every result. */
export const SELECTIVITY_TEST = 'welch-arcsine-text-groups' as const;

/** Activation counts of one group of texts at one layer. */
export interface GroupCounts {
  /** Tokens of the group's texts. */
  tokens: number;
  /** Texts in the group (for the report). */
  texts?: number;
  /** [neurons] tokens with activation > 0. */
  positiveCounts: ArrayLike<number>;
}

/** What the selectivity test reads: per layer, per language (in `languages` order), its groups of texts. */
export interface SelectivityStats {
  languages: string[];
  /** [layer][language][group]; an iterable, so a store can hand over one layer at a time. */
  layers: Iterable<GroupCounts[][]>;
}

/** Cohen's h for two proportions. */
export function cohensH(p1: number, p2: number): number {
  return 2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2));
}

const arcsineRate = (x: number, n: number) => 2 * Math.asin(Math.sqrt(Math.min(1, Math.max(0, x / n))));

/** Language-selective neurons (see the module comment). */
export function selectivity(stats: SelectivityStats, options: SelectivityThresholds = {}): SelectivityResult {
  const opts: Required<SelectivityThresholds> = { ...SELECTIVITY_DEFAULTS, ...options };
  if (!(opts.minEffect >= 0 && opts.minEffect <= Math.PI)) throw new UserError(`selectivity: minEffect (Cohen's h) must be within [0, π], got ${opts.minEffect}`);
  if (!(opts.fdr > 0 && opts.fdr <= 1)) throw new UserError(`selectivity: fdr must be within (0, 1], got ${opts.fdr}`);
  if (opts.fdrProcedure !== 'BY' && opts.fdrProcedure !== 'BH') throw new UserError(`selectivity: fdrProcedure must be 'BY' or 'BH', got ${String(opts.fdrProcedure)}`);
  const { languages } = stats;
  const K = languages.length;
  if (K < 2) {
    throw new UserError(
      `selectivity needs at least two languages, got ${K}${K ? ` (${languages.join(', ')})` : ''}`,
      'A neuron is language-specific only relative to other languages: capture a corpus with two or more languages.',
    );
  }

  // Per (neuron, language), flat [f × K + k]: IUT p-value, smallest effect and its language, pooled rate.
  const pValues: number[] = [];
  const effect: number[] = [];
  const runner: number[] = [];
  const runnerDf: number[] = [];
  const runnerSe: number[] = [];
  const pooledRate: number[] = [];
  const neuronsPerLayer: number[] = [];
  let units: Record<string, SelectivityUnits> | null = null;

  let l = 0;
  for (const layer of stats.layers) {
    if (layer.length !== K) throw new UserError(`selectivity: layer ${l} has counts for ${layer.length} languages, expected ${K}`);
    const groups = layer.map((gs, k) => {
      const kept = gs.filter((g) => g.tokens > 0);
      if (kept.length < 2) {
        throw new UserError(
          `selectivity: language ${languages[k]} has ${kept.length} text${kept.length === 1 ? '' : 's'} with tokens at layer ${l}; the test across texts needs at least 2`,
          'Capture at least two texts per language (more texts, more power: up to 16 groups of texts per language are kept).',
        );
      }
      return kept;
    });
    const width = groups[0]![0]!.positiveCounts.length;
    for (const gs of groups) for (const g of gs) if (g.positiveCounts.length !== width) throw new UserError(`selectivity: layer ${l}: languages disagree on the number of neurons`);
    units ??= Object.fromEntries(
      groups.map((gs, k) => [languages[k]!, { groups: gs.length, texts: gs.reduce((a, g) => a + (g.texts ?? 1), 0), tokens: gs.reduce((a, g) => a + g.tokens, 0) }]),
    );
    // Binomial variance floor of one group's arcsine rate, per language: mean over groups of 1/N.
    const floor = groups.map((gs) => gs.reduce((a, g) => a + 1 / g.tokens, 0) / gs.length);
    const tokens = groups.map((gs) => gs.reduce((a, g) => a + g.tokens, 0));
    const mean = new Float64Array(K);
    const variance = new Float64Array(K);
    const rate = new Float64Array(K);
    for (let n = 0; n < width; n++) {
      for (let k = 0; k < K; k++) {
        const gs = groups[k]!;
        let s = 0;
        let positives = 0;
        for (const g of gs) {
          const x = g.positiveCounts[n]!;
          if (!(x >= 0 && x <= g.tokens)) throw new UserError(`selectivity: positive count ${x} of neuron ${n} at layer ${l} for ${languages[k]} is outside [0, ${g.tokens}]`);
          s += arcsineRate(x, g.tokens);
          positives += x;
        }
        const m = s / gs.length;
        let ss = 0;
        for (const g of gs) ss += (arcsineRate(g.positiveCounts[n]!, g.tokens) - m) ** 2;
        mean[k] = m;
        variance[k] = Math.max(ss / (gs.length - 1), floor[k]!);
        rate[k] = positives / tokens[k]!;
      }
      for (let k = 0; k < K; k++) {
        let worstP = 0;
        let smallest = Infinity;
        let best = -1;
        let bestDf = 0;
        let bestSe = 0;
        const a = { mean: mean[k]!, variance: variance[k]!, n: groups[k]!.length };
        // An estimate at or below the floor against some language cannot reject H0 (its p ≥ 0.5): p is
        // set to 1 without the t tails. Such a test is never selected, and the FDR-adjusted values
        // below 0.5 of the others do not change (each step-up term it enters is ≥ 0.5).
        let hopeless = -1;
        for (let j = 0; j < K; j++) {
          if (j === k) continue;
          const d = mean[k]! - mean[j]!;
          if (d < smallest) {
            smallest = d;
            hopeless = d <= opts.minEffect ? j : hopeless;
          }
        }
        if (hopeless >= 0) {
          pValues.push(1);
          effect.push(smallest);
          runner.push(hopeless);
          runnerDf.push(0);
          runnerSe.push(0);
          pooledRate.push(rate[k]!);
          continue;
        }
        smallest = Infinity;
        for (let j = 0; j < K; j++) {
          if (j === k) continue;
          const w = welchTest(a, { mean: mean[j]!, variance: variance[j]!, n: groups[j]!.length }, opts.minEffect);
          worstP = Math.max(worstP, w.pValue);
          if (w.difference < smallest) {
            smallest = w.difference;
            best = j;
            bestDf = w.df;
            bestSe = w.standardError;
          }
        }
        pValues.push(worstP);
        effect.push(smallest);
        runner.push(best);
        runnerDf.push(bestDf);
        runnerSe.push(bestSe);
        pooledRate.push(rate[k]!);
      }
    }
    neuronsPerLayer.push(width);
    l++;
  }
  if (neuronsPerLayer.length === 0) throw new UserError('selectivity needs at least one layer');
  const q = opts.fdrProcedure === 'BY' ? benjaminiYekutieli(pValues) : benjaminiHochberg(pValues);

  const total = neuronsPerLayer.reduce((a, b) => a + b, 0);
  const layerStart: number[] = [];
  neuronsPerLayer.reduce((acc, w) => (layerStart.push(acc), acc + w), 0);
  const toRef = (f: number): NeuronRef => {
    let ll = neuronsPerLayer.length - 1;
    while (layerStart[ll]! > f) ll--;
    return [ll, f - layerStart[ll]!];
  };
  const details: SelectiveNeuron[] = [];
  const neurons: Record<string, NeuronRef[]> = Object.fromEntries(languages.map((lang) => [lang, []]));
  const selectedFlat: number[] = [];
  for (let f = 0; f < total; f++) {
    for (let k = 0; k < K; k++) {
      const t = f * K + k;
      if (!(q[t]! <= opts.fdr && effect[t]! > opts.minEffect)) continue;
      const [layer, index] = toRef(f);
      const j = runner[t]!;
      neurons[languages[k]!]!.push([layer, index]);
      selectedFlat.push(f);
      const half = runnerSe[t]! > 0 ? studentTQuantileUpper(0.025, runnerDf[t]!) * runnerSe[t]! : 0;
      details.push({
        layer,
        index,
        lang: languages[k]!,
        p: pooledRate[t]!,
        runnerUp: pooledRate[f * K + j]!,
        runnerUpLang: languages[j]!,
        effect: effect[t]!,
        effectInterval: { low: effect[t]! - half, high: effect[t]! + half, level: 0.95, method: 'welch-t (over text groups)' },
        pValue: pValues[t]!,
        qValue: q[t]!,
      });
    }
  }
  details.sort((a, b) => b.effect - a.effect || a.layer - b.layer || a.index - b.index);
  const perLayer = Object.fromEntries(
    languages.map((lang) => {
      const counts = neuronsPerLayer.map(() => 0);
      for (const [ll] of neurons[lang]!) counts[ll]!++;
      return [lang, counts];
    }),
  );
  return {
    method: 'selectivity',
    test: SELECTIVITY_TEST,
    languages: [...languages],
    neurons,
    perLayer,
    options: opts,
    tests: total * K,
    units: units ?? {},
    selected: selectedFlat.map(toRef),
    neuronsPerLayer,
    details,
  };
}

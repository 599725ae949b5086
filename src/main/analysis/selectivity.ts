/**
 * Language-selective neurons without a quota: a second selection method beside LAPE.
 *
 * LAPE takes a fixed share of all neurons (the lowest-entropy top 1 %), so it must both miss real
 * language neurons when there are more and admit others when there are fewer. Here a neuron belongs to
 * a language when it fires for that language clearly more often than for EVERY other language, and the
 * counts show this is no accident:
 *
 * For neuron n and language k, with N_k tokens and x_k of them activating n (act > 0), p_k = x_k / N_k.
 * - Effect size: Cohen's h between p_k and the largest p_j of the other languages,
 *   h = 2·asin(√p_k) − 2·asin(√p_j). The arcsine makes differences comparable across the range (a
 *   margin of 0.1 means more near 0 or 1 than near 0.5, as the binomial variance says). Kept when
 *   h ≥ `minEffect`; default 0.8, Cohen's (1988) conventional "large" effect: "language-specific"
 *   claims a large difference, and with millions of tokens every tiny difference is significant, so
 *   significance alone would select half the model.
 * - Significance: for each other language j, a one-sided two-proportion z-test of p_k > p_j (pooled
 *   variance, normal approximation); "greater than every other language" is an intersection–union
 *   test (Berger 1982), whose p-value is the largest of the pairwise ones (no correction needed over
 *   j). The p-values of all neurons × languages are then adjusted by Benjamini–Hochberg (1995) and kept
 *   at false-discovery rate `fdr`; default 0.05, the conventional level. Tokens of one text are not
 *   independent, so these p-values are optimistic: another reason for the effect-size floor.
 * A neuron can pass for one language at most (it must beat all others). No quota: the count of
 * selected neurons is whatever the data support, zero included.
 */
import type { SelectiveNeuron, SelectivityOptions, SelectivityResult } from '../../shared/result-types.js';
import { UserError } from '../../shared/errors.js';
import type { LapeStats, NeuronRef, NeuronSelection } from './lape.js';


export type { SelectiveNeuron, SelectivityOptions, SelectivityResult };

/** Defaults of the selectivity method: Cohen's "large" effect and a 5 % false-discovery rate (see the module comment). */
export const SELECTIVITY_DEFAULTS: Readonly<Required<SelectivityOptions>> = { minEffect: 0.8, fdr: 0.05 };



/** Cohen's h for two proportions. */
export function cohensH(p1: number, p2: number): number {
  return 2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2));
}

/** Complementary error function (Numerical Recipes' erfcc: relative error < 1.2e-7 everywhere, tails included). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z ≥ z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** One-sided p-value of p1 > p2 from x1/n1 and x2/n2 (pooled two-proportion z-test); 1 when the pooled p is 0 or 1. */
export function twoProportionPValue(x1: number, n1: number, x2: number, n2: number): number {
  const pooled = (x1 + x2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(variance > 0)) return 1;
  return normalUpperTail((x1 / n1 - x2 / n2) / Math.sqrt(variance));
}

/** Benjamini–Hochberg adjusted p-values (q-values), in the input order. */
export function benjaminiHochberg(pValues: ArrayLike<number>): Float64Array {
  const m = pValues.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  const q = new Float64Array(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r]!;
    running = Math.min(running, (pValues[i]! * m) / (r + 1));
    q[i] = running;
  }
  return q;
}

/** Language-selective neurons (see the module comment). */
export function selectivity(stats: LapeStats, options: SelectivityOptions = {}): SelectivityResult {
  const opts = { ...SELECTIVITY_DEFAULTS, ...options };
  if (!(opts.minEffect >= 0 && opts.minEffect <= Math.PI)) throw new UserError(`selectivity: minEffect (Cohen's h) must be within [0, π], got ${opts.minEffect}`);
  if (!(opts.fdr > 0 && opts.fdr <= 1)) throw new UserError(`selectivity: fdr must be within (0, 1], got ${opts.fdr}`);
  const { languages } = stats;
  const K = languages.length;
  if (K < 2) {
    throw new UserError(
      `selectivity needs at least two languages, got ${K}${K ? ` (${languages.join(', ')})` : ''}`,
      'A neuron is language-specific only relative to other languages: capture a corpus with two or more languages.',
    );
  }
  const neuronsPerLayer = stats.layers.map((layer, l) => {
    if (layer.length !== K) throw new UserError(`selectivity: layer ${l} has counts for ${layer.length} languages, expected ${K}`);
    layer.forEach((c, k) => {
      if (!(c.tokenCount > 0)) throw new UserError(`selectivity: language ${languages[k]} has no tokens at layer ${l}`);
    });
    return layer[0]!.positiveCounts.length;
  });
  const total = neuronsPerLayer.reduce((a, b) => a + b, 0);
  const tests = total * K;
  const pValues = new Float64Array(tests).fill(1);
  const effect = new Float64Array(tests);
  const runner = new Int32Array(tests).fill(-1);
  let flat = 0;
  stats.layers.forEach((layer, l) => {
    for (let n = 0; n < neuronsPerLayer[l]!; n++, flat++) {
      for (let k = 0; k < K; k++) {
        const ck = layer[k]!;
        const x = ck.positiveCounts[n]!;
        if (!(x >= 0 && x <= ck.tokenCount)) throw new UserError(`selectivity: positive count ${x} of neuron ${n} at layer ${l} is outside [0, ${ck.tokenCount}]`);
        const pk = x / ck.tokenCount;
        let worstP = 0;
        let best = -1;
        let bestP = -1;
        for (let j = 0; j < K; j++) {
          if (j === k) continue;
          const cj = layer[j]!;
          const pj = cj.positiveCounts[n]! / cj.tokenCount;
          if (pj > bestP) {
            bestP = pj;
            best = j;
          }
          worstP = Math.max(worstP, twoProportionPValue(x, ck.tokenCount, cj.positiveCounts[n]!, cj.tokenCount));
        }
        const t = flat * K + k;
        pValues[t] = worstP;
        effect[t] = cohensH(pk, bestP);
        runner[t] = best;
      }
    }
  });
  const q = benjaminiHochberg(pValues);

  const layerStart: number[] = [];
  neuronsPerLayer.reduce((acc, w) => (layerStart.push(acc), acc + w), 0);
  const toRef = (f: number): NeuronRef => {
    let l = neuronsPerLayer.length - 1;
    while (layerStart[l]! > f) l--;
    return [l, f - layerStart[l]!];
  };
  const details: SelectiveNeuron[] = [];
  const neurons: Record<string, NeuronRef[]> = Object.fromEntries(languages.map((l) => [l, []]));
  const selectedFlat: number[] = [];
  for (let f = 0; f < total; f++) {
    for (let k = 0; k < K; k++) {
      const t = f * K + k;
      if (!(effect[t]! >= opts.minEffect && q[t]! <= opts.fdr)) continue;
      const [layer, index] = toRef(f);
      const c = stats.layers[layer]!;
      const j = runner[t]!;
      neurons[languages[k]!]!.push([layer, index]);
      selectedFlat.push(f);
      details.push({
        layer,
        index,
        lang: languages[k]!,
        p: c[k]!.positiveCounts[index]! / c[k]!.tokenCount,
        runnerUp: c[j]!.positiveCounts[index]! / c[j]!.tokenCount,
        runnerUpLang: languages[j]!,
        effect: effect[t]!,
        pValue: pValues[t]!,
        qValue: q[t]!,
      });
    }
  }
  details.sort((a, b) => b.effect - a.effect || a.layer - b.layer || a.index - b.index);
  const perLayer = Object.fromEntries(
    languages.map((lang) => {
      const counts = neuronsPerLayer.map(() => 0);
      for (const [l] of neurons[lang]!) counts[l]!++;
      return [lang, counts];
    }),
  );
  return {
    method: 'selectivity',
    languages: [...languages],
    neurons,
    perLayer,
    options: opts,
    tests,
    selected: selectedFlat.map(toRef),
    neuronsPerLayer,
    details,
  };
}

/**
 * LAPE: language activation probability entropy (Tang et al. 2024, "Language-Specific Neurons: The Key
 * to Multilingual Capabilities in Large Language Models"), mirroring the reference `identify.py`.
 *
 * For every MLP neuron n of layer l and language k:
 *   p[l][n][k]  = positiveCounts / tokenCount          (share of the language's tokens with act > 0)
 *   p̂[l][n][k]  = p / Σ_k p                            (0 when Σ_k p = 0, as the reference's NaN → 0)
 *   H[l][n]     = −Σ_k p̂ log p̂                         (natural log; terms with p̂ = 0 count 0)
 * Filter: τ_f = Q(all p, filter_rate); a neuron with no p strictly above τ_f gets H = +∞.
 * Selection: the round(total_neurons × top_rate) neurons of lowest H over all layers together; ties
 *   (torch.topk leaves their order unspecified) go to the lower flat index (layer-major, then neuron).
 *   As in the reference, if fewer finite-H neurons exist than that count, +∞ ones fill the selection.
 * Assignment: τ_a = Q(all p, activation_bar_ratio); a selected neuron belongs to every language whose
 *   p is strictly above τ_a (so a neuron may belong to several languages, or to none).
 *
 * Q(values, rate) is `torch.kthvalue(values, round(len × rate))`: the k-th smallest value (1-based),
 * k = Python round (halves to even) of len × rate, clamped to [1, len]; no interpolation
 * (see `kthValueQuantile`).
 *
 * About τ_a: the reference computes it with `flattened_probs.kthvalue(...)`, where `flattened_probs` is
 * the p of ALL neurons (not only the selected ones). That is the default here
 * (`activationBarOver: 'all'`); `'selected'` takes the quantile over the p values of the selected
 * neurons instead, for those who read the paper that way.
 *
 * Arithmetic is float64 (the reference divides int counts in float32, so the last bits can differ).
 */
import { UserError } from '../../shared/errors.js';
import type { LapeThresholds, LapeResult, NeuronRef, NeuronSelection } from '../../shared/result-types.js';
import { kthValueQuantile, roundHalfEven } from './quantile.js';

/** Activation counts of one language at one layer. */
export interface LanguageLayerCounts {
  /** Number of tokens of this language that passed through the layer. */
  tokenCount: number;
  /** [neurons]: per MLP neuron, how many of those tokens had activation > 0. */
  positiveCounts: Float64Array;
}

/** Streaming statistics LAPE works from. */
export interface LapeStats {
  /** Language labels, in the order of the inner arrays of `layers`. */
  languages: string[];
  /** [layer][language] counts; every language of a layer has the same neuron count. */
  layers: LanguageLayerCounts[][];
}

/**
 * Build `LapeStats` from per-layer records keyed by language (the store's `NeuronStats` shape:
 * `layers[layer][lang] = { tokens, positiveCounts }`). Every language must be present at every layer.
 */
export function lapeStatsFromLayers(
  languages: readonly string[],
  layers: ReadonlyArray<Readonly<Record<string, { tokens: number; positiveCounts: Float64Array }>>>,
): LapeStats {
  return {
    languages: [...languages],
    layers: layers.map((byLang, l) =>
      languages.map((lang) => {
        const c = byLang[lang];
        if (!c) throw new UserError(`LAPE: no activation counts for ${lang} at layer ${l}`, 'capture every language over every layer');
        return { tokenCount: c.tokens, positiveCounts: c.positiveCounts };
      }),
    ),
  };
}

export type { LapeThresholds, LapeResult, NeuronRef, NeuronSelection };

/** The reference implementation's defaults. */
export const LAPE_DEFAULTS: Readonly<Required<LapeThresholds>> = {
  topRate: 0.01,
  filterRate: 0.95,
  activationBarRatio: 0.95,
  activationBarOver: 'all',
};

function checkRate(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new UserError(`LAPE option ${name} must be within [0, 1], got ${v}`);
}

/** Per-neuron activation probabilities, flat: [(layerOffset + neuron) × K + language]. */
function activationProbabilities(stats: LapeStats): { probs: Float64Array; neuronsPerLayer: number[] } {
  const K = stats.languages.length;
  if (K < 2) {
    throw new UserError(
      `LAPE needs at least two languages, got ${K}${K ? ` (${stats.languages.join(', ')})` : ''}`,
      'A neuron is language-specific only relative to other languages: capture a corpus with two or more languages.',
    );
  }
  if (new Set(stats.languages).size !== K) throw new UserError('LAPE languages must be distinct');
  if (stats.layers.length === 0) throw new UserError('LAPE needs at least one layer');
  const neuronsPerLayer = stats.layers.map((layer, l) => {
    if (layer.length !== K) {
      throw new UserError(`LAPE layer ${l} has counts for ${layer.length} languages, expected ${K}`);
    }
    const width = layer[0]!.positiveCounts.length;
    for (const c of layer) {
      if (c.positiveCounts.length !== width) {
        throw new UserError(`LAPE layer ${l}: languages disagree on the number of neurons`);
      }
    }
    return width;
  });
  const total = neuronsPerLayer.reduce((a, b) => a + b, 0);
  const probs = new Float64Array(total * K);
  let offset = 0;
  stats.layers.forEach((layer, l) => {
    const width = neuronsPerLayer[l]!;
    layer.forEach((c, k) => {
      const lang = stats.languages[k]!;
      if (!(c.tokenCount > 0)) {
        throw new UserError(
          `LAPE: language ${lang} has no tokens at layer ${l}`,
          'every language needs a non-empty corpus (the reference divides by the token count)',
        );
      }
      for (let n = 0; n < width; n++) {
        const count = c.positiveCounts[n]!;
        if (!(count >= 0 && count <= c.tokenCount)) {
          throw new UserError(
            `LAPE: positive count ${count} of neuron ${n} at layer ${l} for ${lang} is outside [0, ${c.tokenCount}]`,
          );
        }
        probs[(offset + n) * K + k] = count / c.tokenCount;
      }
    });
    offset += width;
  });
  return { probs, neuronsPerLayer };
}

/** Entropy over languages of the normalised activation probabilities of each neuron. */
function neuronEntropies(probs: Float64Array, K: number): Float64Array {
  const total = probs.length / K;
  const entropy = new Float64Array(total);
  for (let f = 0; f < total; f++) {
    let sum = 0;
    for (let k = 0; k < K; k++) sum += probs[f * K + k]!;
    let h = 0;
    if (sum > 0) {
      for (let k = 0; k < K; k++) {
        const q = probs[f * K + k]! / sum;
        if (q > 0) h -= q * Math.log(q);
      }
    }
    entropy[f] = h;
  }
  return entropy;
}

/** Find language-specific neurons with LAPE (see the module comment for the exact definition). */
export function lape(stats: LapeStats, options: LapeThresholds = {}): LapeResult {
  const opts: Required<LapeThresholds> = { ...LAPE_DEFAULTS, ...options };
  checkRate('topRate', opts.topRate);
  checkRate('filterRate', opts.filterRate);
  checkRate('activationBarRatio', opts.activationBarRatio);
  if (opts.activationBarOver !== 'all' && opts.activationBarOver !== 'selected') {
    throw new UserError(`LAPE option activationBarOver must be 'all' or 'selected'`);
  }
  const { languages } = stats;
  const K = languages.length;
  const { probs, neuronsPerLayer } = activationProbabilities(stats);
  const total = probs.length / K;
  const entropy = neuronEntropies(probs, K);

  const filter = kthValueQuantile(probs, opts.filterRate);
  for (let f = 0; f < total; f++) {
    let above = false;
    for (let k = 0; k < K && !above; k++) above = probs[f * K + k]! > filter;
    if (!above) entropy[f] = Infinity;
  }

  const topCount = Math.min(total, Math.max(0, roundHalfEven(total * opts.topRate)));
  const order = Array.from({ length: total }, (_, f) => f);
  order.sort((a, b) => entropy[a]! - entropy[b]! || a - b);
  const selectedFlat = order.slice(0, topCount);

  let activationBar: number | null;
  if (selectedFlat.length === 0) {
    activationBar = null;
  } else if (opts.activationBarOver === 'all') {
    activationBar = kthValueQuantile(probs, opts.activationBarRatio);
  } else {
    const sel = new Float64Array(selectedFlat.length * K);
    selectedFlat.forEach((f, i) => sel.set(probs.subarray(f * K, f * K + K), i * K));
    activationBar = kthValueQuantile(sel, opts.activationBarRatio);
  }

  // flat index → [layer, index]
  const layerStart: number[] = [];
  neuronsPerLayer.reduce((acc, w) => (layerStart.push(acc), acc + w), 0);
  const toRef = (f: number): NeuronRef => {
    let l = neuronsPerLayer.length - 1;
    while (layerStart[l]! > f) l--;
    return [l, f - layerStart[l]!];
  };

  const perLanguageFlat: number[][] = languages.map(() => []);
  if (activationBar !== null) {
    for (const f of selectedFlat) {
      for (let k = 0; k < K; k++) if (probs[f * K + k]! > activationBar) perLanguageFlat[k]!.push(f);
    }
  }

  const neurons: Record<string, NeuronRef[]> = {};
  const perLayer: Record<string, number[]> = {};
  languages.forEach((lang, k) => {
    const refs = perLanguageFlat[k]!.sort((a, b) => a - b).map(toRef);
    neurons[lang] = refs;
    const counts = neuronsPerLayer.map(() => 0);
    for (const [l] of refs) counts[l]!++;
    perLayer[lang] = counts;
  });

  return {
    languages: [...languages],
    neurons,
    perLayer,
    options: opts,
    thresholds: { filter, activationBar },
    selected: selectedFlat.map(toRef),
    neuronsPerLayer,
  };
}

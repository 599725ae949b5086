/**
 * LAPE validation matrix (Tang et al. 2024): deactivate one language's neurons, measure the mean NLL of
 * every language. Rows are the deactivated languages, columns the evaluated ones:
 *   nll[d][e]   = mean NLL on language e with d's neurons zeroed
 *   delta[d][e] = nll[d][e] − baseline[e]
 * The diagonal should rise most. For a language present as both row and column:
 *   isRowMax    = delta[l][l] > every other delta of row l (of the languages hurt by removing l's
 *                 neurons, l itself is hurt most);
 *   isColumnMax = delta[l][l] > every other delta of column l (of all the ablations, removing l's own
 *                 neurons hurts l most).
 * Wins are strict (a tie is no win: an intervention that changes nothing wins nothing), and each comes
 * with its margin: delta[l][l] minus the largest other delta of the row / column (negative when it
 * loses). Null entries (not measured) are ignored; flag and margin are null when the diagonal delta is,
 * or when there is nothing to compare it with.
 *
 * Chance level: `random[d][e]` is the delta on e when a random neuron set with the same number of
 * neurons per layer as d's set is scaled instead (mean over draws; `randomNeuronSetLike`). The diagonal
 * entry is meaningful only well above `random[l][l]` (`excessOverRandom`): with per-draw NLLs, the
 * 2.5–97.5 % spread of the draws' deltas is the band (`randomBand`), and each diagonal entry says whether
 * it lies outside it (`outsideRandomBand`).
 *
 * Uncertainty: with per-text NLL sums, each delta gets a 95 % percentile-bootstrap interval over the
 * evaluated language's texts, paired (a resampled text enters with its NLL both with and without the
 * ablation): delta* = Σ (ablated sum − baseline sum) / Σ tokens over the resample.
 */
import { UserError } from '../../shared/errors.js';
import { bootstrapInterval, sortedQuantile, type Interval } from '../../shared/intervals.js';
import type { AblationMatrix, DiagonalEntry } from '../../shared/result-types.js';

export interface AblationInput {
  /** evaluated language → mean NLL with no intervention. */
  baseline: Readonly<Record<string, number>>;
  /** deactivated language → evaluated language → mean NLL. */
  ablated: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** deactivated language → evaluated language → mean NLL with a same-size random neuron set scaled instead (mean over draws). */
  random?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** How many random draws `random` averages. */
  randomDraws?: number;
  /** deactivated language → one record per random draw: evaluated language → mean NLL (for the band). */
  randomByDraw?: Readonly<Record<string, readonly Readonly<Record<string, number>>[]>>;
  /** Per-text NLL sums for the intervals: the baseline and each deactivated language's, the same texts in the same order. */
  perText?: { baseline: readonly TextNll[]; ablated: Readonly<Record<string, readonly TextNll[]>> };
  /** Bootstrap resamples (default 2000) and seed (default 1). */
  bootstrap?: { resamples?: number; seed?: number };
}

/** One text's next-token NLL: its language, the sum over its predictions and their count. */
export interface TextNll {
  lang: string;
  sum: number;
  count: number;
}

export type { AblationMatrix, DiagonalEntry };

function finite(v: number | undefined, what: string): number | null {
  if (v === undefined) return null;
  if (!Number.isFinite(v)) throw new UserError(`ablation matrix: ${what} is not a finite number (${v})`);
  return v;
}

const maxOther = (values: readonly (number | null)[], skip: number): number | null => {
  let m: number | null = null;
  values.forEach((v, k) => {
    if (k !== skip && v !== null && (m === null || v > m)) m = v;
  });
  return m;
};

/** Build the deactivated × evaluated NLL matrix, its deltas, and the diagonal checks. */
export function ablationMatrix(input: AblationInput): AblationMatrix {
  const deactivated = Object.keys(input.ablated);
  const evaluated = Object.keys(input.baseline);
  for (const d of deactivated) for (const e of Object.keys(input.ablated[d]!)) if (!evaluated.includes(e)) evaluated.push(e);
  const baseline = evaluated.map((e) => finite(input.baseline[e], `baseline NLL of ${e}`));
  const deltaOf = (rows: Readonly<Record<string, Readonly<Record<string, number>>>>, what: string) =>
    deactivated.map((d) =>
      evaluated.map((e, j) => {
        const v = finite(rows[d]?.[e], `${what} NLL of ${e} with ${d} deactivated`);
        const b = baseline[j]!;
        return v === null || b === null ? null : v - b;
      }),
    );
  const nll = deactivated.map((d) => evaluated.map((e) => finite(input.ablated[d]![e], `NLL of ${e} with ${d} deactivated`)));
  const delta = deltaOf(input.ablated, '');
  const randomDelta = input.random ? deltaOf(input.random, 'random-set') : null;
  const deltaInterval = input.perText ? deltaIntervals(input.perText, deactivated, evaluated, input.bootstrap ?? {}) : undefined;
  const randomBand = input.randomByDraw
    ? deactivated.map((d) =>
        evaluated.map((e, j) => {
          const b = baseline[j];
          const draws = (input.randomByDraw![d] ?? []).map((r) => r[e]).filter((v): v is number => v !== undefined && Number.isFinite(v));
          if (b === null || b === undefined || draws.length < 2) return null;
          const sorted = Float64Array.from(draws, (v) => v - b).sort();
          return { low: sortedQuantile(sorted, 0.025), high: sortedQuantile(sorted, 0.975) };
        }),
      )
    : null;
  const diagonal: Record<string, DiagonalEntry> = {};
  let aboveRandomCount = 0;
  let rowMaxCount = 0;
  let columnMaxCount = 0;
  deactivated.forEach((lang, i) => {
    const j = evaluated.indexOf(lang);
    if (j < 0) return;
    const d = delta[i]![j]!;
    const rowOther = maxOther(delta[i]!, j);
    const colOther = maxOther(
      delta.map((row) => row[j]!),
      i,
    );
    const rowMargin = d === null || rowOther === null ? null : d - rowOther;
    const columnMargin = d === null || colOther === null ? null : d - colOther;
    const isRowMax = rowMargin === null ? null : rowMargin > 0;
    const isColumnMax = columnMargin === null ? null : columnMargin > 0;
    if (isRowMax) rowMaxCount++;
    if (isColumnMax) columnMaxCount++;
    const rd = randomDelta?.[i]![j] ?? null;
    const band = randomBand?.[i]![j] ?? null;
    const outsideRandomBand = d === null || band === null ? null : d > band.high || d < band.low;
    if (band && d !== null && d > band.high) aboveRandomCount++;
    diagonal[lang] = {
      delta: d,
      isRowMax,
      isColumnMax,
      rowMargin,
      columnMargin,
      randomDelta: rd,
      excessOverRandom: d === null || rd === null ? null : d - rd,
      ...(deltaInterval ? { deltaInterval: deltaInterval[i]![j]! } : {}),
      ...(randomBand ? { randomBand: band, outsideRandomBand } : {}),
    };
  });
  return {
    deactivated,
    evaluated,
    baseline,
    nll,
    delta,
    randomDelta,
    randomDraws: randomDelta ? (input.randomDraws ?? 1) : 0,
    ...(deltaInterval ? { deltaInterval } : {}),
    ...(randomBand ? { randomBand, aboveRandomCount } : {}),
    diagonal,
    rowMaxCount,
    columnMaxCount,
    diagonalSize: Object.keys(diagonal).length,
  };
}

/** Paired percentile-bootstrap intervals of each delta over the evaluated language's texts. */
function deltaIntervals(
  perText: NonNullable<AblationInput['perText']>,
  deactivated: readonly string[],
  evaluated: readonly string[],
  o: { resamples?: number; seed?: number },
): (Interval | null)[][] {
  const base = perText.baseline;
  return deactivated.map((d) => {
    const abl = perText.ablated[d];
    if (abl && abl.length !== base.length) throw new UserError(`ablation matrix: ${abl.length} per-text NLLs with ${d} deactivated, ${base.length} without`);
    return evaluated.map((e) => {
      if (!abl) return null;
      const units = base.flatMap((b, i) => (b.lang === e && b.count > 0 ? [{ diff: abl[i]!.sum - b.sum, count: b.count }] : []));
      if (units.length === 0) return null;
      return bootstrapInterval(
        units,
        (sample) => {
          let diff = 0;
          let count = 0;
          for (const u of sample) {
            diff += u.diff;
            count += u.count;
          }
          return diff / count;
        },
        { resamples: o.resamples ?? 2000, seed: o.seed ?? 1, units: `${e} texts` },
      );
    });
  });
}

/**
 * A random neuron set with as many neurons in each layer as `neurons` has there, drawn uniformly
 * without replacement from all `width` neurons of that layer (so it may overlap `neurons`): the null
 * model for "scaling these particular neurons does more than scaling as many arbitrary ones".
 */
export function randomNeuronSetLike(neurons: readonly (readonly [number, number])[], width: number, rand: () => number): [number, number][] {
  const perLayer = new Map<number, number>();
  for (const [layer] of neurons) perLayer.set(layer, (perLayer.get(layer) ?? 0) + 1);
  const out: [number, number][] = [];
  for (const [layer, n] of [...perLayer].sort(([a], [b]) => a - b)) {
    if (n > width) throw new UserError(`layer ${layer} has ${n} neurons in the set but only ${width} exist`);
    // Partial Fisher–Yates: the first n entries of a shuffled 0..width-1.
    const pool = Int32Array.from({ length: width }, (_, k) => k);
    for (let k = 0; k < n; k++) {
      const r = k + Math.floor(rand() * (width - k));
      const t = pool[k]!;
      pool[k] = pool[r]!;
      pool[r] = t;
      out.push([layer, pool[k]!]);
    }
  }
  return out;
}

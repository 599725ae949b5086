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
 * entry is meaningful only well above `random[l][l]` (`excessOverRandom`).
 */
import { UserError } from '../../shared/errors.js';
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
  const diagonal: Record<string, DiagonalEntry> = {};
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
    diagonal[lang] = { delta: d, isRowMax, isColumnMax, rowMargin, columnMargin, randomDelta: rd, excessOverRandom: d === null || rd === null ? null : d - rd };
  });
  return {
    deactivated,
    evaluated,
    baseline,
    nll,
    delta,
    randomDelta,
    randomDraws: randomDelta ? (input.randomDraws ?? 1) : 0,
    diagonal,
    rowMaxCount,
    columnMaxCount,
    diagonalSize: Object.keys(diagonal).length,
  };
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

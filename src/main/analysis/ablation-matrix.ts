/**
 * LAPE validation matrix (Tang et al. 2024): deactivate one language's neurons, measure the mean NLL of
 * every language. Rows are the deactivated languages, columns the evaluated ones:
 *   nll[d][e]   = mean NLL on language e with d's neurons zeroed
 *   delta[d][e] = nll[d][e] − baseline[e]
 * The diagonal should rise most. For a language present as both row and column:
 *   isRowMax    = delta[l][l] ≥ every other delta of row l (of the languages hurt by removing l's
 *                 neurons, l itself is hurt most);
 *   isColumnMax = delta[l][l] ≥ every other delta of column l (of all the ablations, removing l's own
 *                 neurons hurts l most).
 * Ties count as max; null entries (not measured) are ignored; a flag is null when the diagonal delta is.
 */
import { UserError } from '../../shared/errors.js';

export interface AblationInput {
  /** evaluated language → mean NLL with no intervention. */
  baseline: Readonly<Record<string, number>>;
  /** deactivated language → evaluated language → mean NLL. */
  ablated: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** One language's own deactivation: its Δ NLL and whether it is the largest of its row and column. */
export interface DiagonalEntry {
  delta: number | null;
  isRowMax: boolean | null;
  isColumnMax: boolean | null;
}

/** The deactivated × evaluated NLL matrix (see the module comment). */
export interface AblationMatrix {
  /** Row labels (deactivated languages). */
  deactivated: string[];
  /** Column labels (evaluated languages). */
  evaluated: string[];
  /** [evaluated] baseline NLL. */
  baseline: (number | null)[];
  /** [deactivated][evaluated] NLL. */
  nll: (number | null)[][];
  /** [deactivated][evaluated] NLL − baseline. */
  delta: (number | null)[][];
  /** language (both a row and a column) → diagonal entry. */
  diagonal: Record<string, DiagonalEntry>;
  /** How many diagonal entries are the max of their row / of their column, out of `diagonalSize`. */
  rowMaxCount: number;
  columnMaxCount: number;
  diagonalSize: number;
}

function finite(v: number | undefined, what: string): number | null {
  if (v === undefined) return null;
  if (!Number.isFinite(v)) throw new UserError(`ablation matrix: ${what} is not a finite number (${v})`);
  return v;
}

/** Build the deactivated × evaluated NLL matrix, its deltas, and the diagonal checks. */
export function ablationMatrix(input: AblationInput): AblationMatrix {
  const deactivated = Object.keys(input.ablated);
  const evaluated = Object.keys(input.baseline);
  for (const d of deactivated) for (const e of Object.keys(input.ablated[d]!)) if (!evaluated.includes(e)) evaluated.push(e);
  const baseline = evaluated.map((e) => finite(input.baseline[e], `baseline NLL of ${e}`));
  const nll = deactivated.map((d) => evaluated.map((e) => finite(input.ablated[d]![e], `NLL of ${e} with ${d} deactivated`)));
  const delta = nll.map((row) =>
    row.map((v, j) => {
      const b = baseline[j]!;
      return v === null || b === null ? null : v - b;
    }),
  );
  const diagonal: Record<string, DiagonalEntry> = {};
  let rowMaxCount = 0;
  let columnMaxCount = 0;
  deactivated.forEach((lang, i) => {
    const j = evaluated.indexOf(lang);
    if (j < 0) return;
    const d = delta[i]![j]!;
    let isRowMax: boolean | null = null;
    let isColumnMax: boolean | null = null;
    if (d !== null) {
      isRowMax = delta[i]!.every((v, jj) => jj === j || v === null || d >= v);
      isColumnMax = delta.every((row, ii) => ii === i || row[j] === null || d >= row[j]!);
      if (isRowMax) rowMaxCount++;
      if (isColumnMax) columnMaxCount++;
    }
    diagonal[lang] = { delta: d, isRowMax, isColumnMax };
  });
  return {
    deactivated,
    evaluated,
    baseline,
    nll,
    delta,
    diagonal,
    rowMaxCount,
    columnMaxCount,
    diagonalSize: Object.keys(diagonal).length,
  };
}

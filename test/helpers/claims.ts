/**
 * A demo notebook's "What this run shows" cell: find it and check that every number it states is one the
 * notebook's outputs produce. The cell writes its claims with `display.markdown` from values it computes;
 * every number in that Markdown must equal, at its printed precision, a number of an output above it
 * (an earlier cell's text, table or figure data, or a table the same cell displayed first), or a
 * parameter written in an earlier cell's source (texts per language, the LAPE rate). A number typed into
 * the claims that the run does not produce fails.
 */

export interface NotebookOutput {
  output_type: string;
  data?: Record<string, unknown>;
  text?: string | string[];
}
export interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: NotebookOutput[];
}

const joined = (s: unknown) => (Array.isArray(s) ? s.join('') : typeof s === 'string' ? s : '');

/** Numbers as written in running text; digits inside identifiers (`Qwen3`, `lid.176`) are not numbers. */
const NUMBER = /(?<![\p{L}\p{N}_.])[-−]?\d+(?:\.\d+)?(?![\p{L}\p{N}_]|\.\d)/gu;

export function numbersInText(text: string): string[] {
  return [...text.matchAll(NUMBER)].map((m) => m[0].replace('−', '-'));
}

/** Every number in a value: numbers themselves, and numbers written inside strings. */
function collect(value: unknown, into: number[]): void {
  if (typeof value === 'number') into.push(value);
  else if (typeof value === 'string') for (const s of numbersInText(value)) into.push(Number(s));
  else if (Array.isArray(value)) for (const v of value) collect(v, into);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v, into);
}

function outputNumbers(o: NotebookOutput, into: number[]): void {
  if (o.text !== undefined) collect(joined(o.text), into);
  for (const [mime, value] of Object.entries(o.data ?? {})) {
    if (mime === 'image/svg+xml' || mime === 'image/png' || mime === 'text/html') continue; // the same numbers as text/plain and the figure JSON
    if (mime.includes('json')) collect(value, into);
    else collect(joined(value), into);
  }
}

const claimsHeading = /^#+\s*What this run shows/m;

/** Index of the "What this run shows" cell and of its Markdown output, or null. */
export function findClaims(cells: readonly NotebookCell[]): { cell: number; output: number; markdown: string } | null {
  for (let i = cells.length - 1; i >= 0; i--) {
    const outputs = cells[i]!.outputs ?? [];
    for (const [k, o] of outputs.entries()) {
      const md = joined(o.data?.['text/markdown']);
      if (claimsHeading.test(md)) return { cell: i, output: k, markdown: md };
    }
  }
  return null;
}

export interface ClaimsCheck {
  markdown: string;
  /** Numbers of the claims, as written. */
  numbers: string[];
  /** Numbers of the claims that no output above (and no parameter) produces. */
  untraced: string[];
}

/** Whether `written` (e.g. "0.295") is `x` (or `100·x`, a percentage) rounded to the digits written. */
function sameAtPrecision(written: string, x: number): boolean {
  const decimals = written.includes('.') ? written.split('.')[1]!.length : 0;
  const v = Math.abs(Number(written));
  const tolerance = 0.5 * 10 ** -decimals + 1e-9;
  // An integer is a count or an index: it must be exact (a percentage may be rounded).
  const direct = decimals === 0 ? Math.abs(Math.abs(x) - v) < 1e-9 : Math.abs(Math.abs(x) - v) <= tolerance;
  return direct || Math.abs(Math.abs(100 * x) - v) <= tolerance;
}

export function checkClaims(cells: readonly NotebookCell[]): ClaimsCheck {
  const found = findClaims(cells);
  if (!found) throw new Error('no "What this run shows" Markdown output');
  const available: number[] = [];
  for (const [i, cell] of cells.entries()) {
    if (i > found.cell) break;
    if (i < found.cell) collect(joined(cell.source), available);
    const outputs = cell.outputs ?? [];
    for (const [k, o] of outputs.entries()) {
      if (i === found.cell && k >= found.output) break;
      outputNumbers(o, available);
    }
  }
  const numbers = numbersInText(found.markdown.replace(claimsHeading, ''));
  const untraced = numbers.filter((s) => !available.some((x) => sameAtPrecision(s, x)));
  return { markdown: found.markdown, numbers, untraced };
}

/**
 * The claims check of the demo notebooks (test/helpers/claims.ts) on the committed notebooks: every number
 * of a "What this run shows" output traces to an output above it, and a number typed into the claims, or
 * a changed output value, is caught.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkClaims, findClaims, numbersInText, type NotebookCell } from '../helpers/claims.js';
import { repoRoot } from '../helpers/paths.js';

const cellsOf = (name: string) => (JSON.parse(readFileSync(join(repoRoot, 'notebooks', name), 'utf8')) as { cells: NotebookCell[] }).cells;

describe('"What this run shows" claims check', () => {
  it('reads numbers of running text, not digits inside names', () => {
    assert.deepEqual(numbersInText('Qwen3 and lid.176 give 0.295 at layer 3 (01-english, top-1, −0.012)'), ['0.295', '3', '01', '1', '-0.012']);
  });

  it('traces every number of the committed 02 notebook and catches a number typed in', () => {
    const cells = cellsOf('02-language-neurons.ipynb');
    assert.deepEqual(checkClaims(cells).untraced, []);
    const found = findClaims(cells)!;
    const typed = structuredClone(cells);
    typed[found.cell]!.outputs![found.output]!.data!['text/markdown'] = `${found.markdown}\n- The diagonal rises by 0.4321 nats.`;
    assert.deepEqual(checkClaims(typed).untraced, ['0.4321']);
  });

  it('fails when the outputs above no longer produce a claimed number', () => {
    const cells = cellsOf('04-codeswitch-fertility.ipynb');
    const { numbers } = checkClaims(cells);
    const decimal = numbers.find((n) => /^\d+\.\d{3}$/.test(n) && Number(n) > 1.2)!;
    // Replace that value everywhere above the claims (tables, figure data) by a different one.
    const found = findClaims(cells)!;
    const changed = cells.map((c, i) => (i >= found.cell ? c : JSON.parse(JSON.stringify(c).split(decimal).join('9.999').replace(new RegExp(String(Number(decimal)).replace('.', '\\.') + '\\d*', 'g'), '9.999')) as NotebookCell));
    assert.ok(checkClaims(changed).untraced.includes(decimal), `${decimal} no longer traces`);
  });
});

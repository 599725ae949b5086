/**
 * The code-model demo notebook runs headless through `babelscope run` (real kernel, real models) with
 * no failing cell, exports the same figures that are committed beside it, and ends with a "What this run
 * shows" cell whose numbers all come from the run's outputs (test/helpers/claims.ts).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkClaims, type NotebookCell } from '../../helpers/claims.js';
import { runCliJson } from '../../helpers/cli.js';
import { repoRoot } from '../../helpers/paths.js';

const notebook = join(repoRoot, 'notebooks', 'tiny-babel-code.ipynb');
const committedFigures = join(repoRoot, 'notebooks', 'figures', 'tiny-babel-code');

describe('notebooks/tiny-babel-code.ipynb', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'babelscope-code-nb-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('copied to another folder, runs headless without errors and exports the committed figures', { timeout: 20 * 60_000 }, async () => {
    const figures = join(tmp, 'figures');
    mkdirSync(figures);
    // A copy outside the repository: the notebook finds the bundled assets through the API, not relative paths.
    const out = join(tmp, 'tiny-babel-code.ipynb');
    copyFileSync(notebook, out);
    const report = await runCliJson(['run', out, '--figures', figures, '--device', 'cpu']);
    assert.equal(report.failed, undefined, JSON.stringify(report.failed));
    const nb = JSON.parse(readFileSync(out, 'utf8')) as { cells: { cell_type: string; outputs?: { output_type: string }[] }[] };
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    assert.equal(report.cells.length, code.length);
    for (const c of code) assert.ok(!c.outputs!.some((o) => o.output_type === 'error'));
    assert.deepEqual(readdirSync(figures).sort(), readdirSync(committedFigures).sort());
    // Its "What this run shows" cell states only numbers this run's outputs produce.
    const claims = checkClaims(nb.cells as NotebookCell[]);
    assert.match(claims.markdown, /does not show/i);
    assert.deepEqual(claims.untraced, [], 'every number in "What this run shows" comes from an output above it');
  });
});

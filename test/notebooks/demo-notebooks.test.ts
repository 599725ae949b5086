/**
 * The demo notebooks in notebooks/: the committed files are valid nbformat 4.5 with their outputs (a
 * Plotly figure with an SVG fallback wherever a figure is drawn), and each runs headless through
 * `babelscope run` on the bundled model without a failing cell. The run writes to a temporary copy;
 * the committed notebooks are left as they are. Each ends with a "What this run shows" cell whose numbers
 * are all produced by the run's outputs above it, checked on the committed file and on the fresh run.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ajvDraft04 from 'ajv-draft-04';
import { checkClaims, type NotebookCell } from '../helpers/claims.js';
import { runCli } from '../helpers/cli.js';
import { fixturesDir, repoRoot } from '../helpers/paths.js';

const notebooksDir = join(repoRoot, 'notebooks');
/** The five demo notebooks of the API (others in notebooks/ have their own tests). */
const notebooks = ['01-working-language.ipynb', '02-language-neurons.ipynb', '03-alignment.ipynb', '04-codeswitch-fertility.ipynb', '05-checkpoints.ipynb'];

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  ename?: string;
}
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
}
interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: { name?: string } };
}

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Notebook;
const text = (s: string | string[]) => (Array.isArray(s) ? s.join('') : s);
const validate = new ajvDraft04.default({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(fixturesDir, 'notebooks', 'nbformat.v4.5.schema.json'), 'utf8')));

/**
 * The notebook ends with a "What this run shows" cell (Markdown written by code) that says what the run does
 * not show, and whose every number is produced by an output above it (test/helpers/claims.ts).
 */
function checkWhatItShows(nb: Notebook, name: string): void {
  const claims = checkClaims(nb.cells as NotebookCell[]);
  assert.match(claims.markdown, /does not show/i, `${name}: the claims say what the run does not show`);
  assert.ok(claims.numbers.length > 0, `${name}: the claims state numbers`);
  assert.deepEqual(claims.untraced, [], `${name}: every number in "What this run shows" comes from an output above it`);
}

/** Every code cell ran and none failed; every figure has its SVG fallback. Returns the number of figures. */
function checkOutputs(nb: Notebook, name: string): number {
  let figures = 0;
  for (const [i, cell] of nb.cells.entries()) {
    if (cell.cell_type !== 'code') continue;
    assert.equal(typeof cell.execution_count, 'number', `${name} cell ${i} was run`);
    for (const o of cell.outputs ?? []) {
      assert.notEqual(o.output_type, 'error', `${name} cell ${i} failed: ${o.ename}`);
      if (o.data?.['application/vnd.plotly.v1+json']) {
        figures++;
        assert.match(String(o.data['image/svg+xml']), /<svg/, `${name} cell ${i}: the figure has an SVG fallback (GitHub shows it)`);
      }
    }
  }
  return figures;
}

describe('demo notebooks', () => {
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'babelscope-notebooks-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('are all in notebooks/', () => {
    const present = readdirSync(notebooksDir);
    for (const name of notebooks) assert.ok(present.includes(name), name);
  });

  for (const name of notebooks) {
    it(`${name}: committed with its outputs, valid nbformat 4.5, opening with what it shows and how to point it at another model`, () => {
      const nb = read(join(notebooksDir, name));
      assert.ok(validate(nb), `${name}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
      assert.equal(nb.metadata.kernelspec?.name, 'babelscope');
      const intro = nb.cells[0]!;
      assert.equal(intro.cell_type, 'markdown');
      assert.match(text(intro.source), /\*\*What it shows\.\*\*/);
      assert.match(text(intro.source), /\*\*Another model\.\*\*/);
      assert.ok(checkOutputs(nb, name) > 0, `${name} shows at least one figure`);
      checkWhatItShows(nb, name);
    });

    it(`${name}: copied to another folder, runs headless (babelscope run) without a failing cell`, async () => {
      // A copy outside the repository: nothing in it may depend on where notebooks/ is.
      const out = join(tmp, name);
      copyFileSync(join(notebooksDir, name), out);
      const figures = join(tmp, `${name}-figures`);
      mkdirSync(figures);
      const r = await runCli(['run', out, '--figures', figures, '--format', 'svg', '--device', 'cpu', '--timeout', '170']);
      assert.equal(r.code, 0, r.stderr);
      const nb = read(out);
      assert.ok(validate(nb), JSON.stringify(validate.errors?.slice(0, 3)));
      const shown = checkOutputs(nb, name);
      assert.equal(readdirSync(figures).filter((f) => f.endsWith('.svg')).length, shown, 'every figure is exported');
      checkWhatItShows(nb, name);
    });
  }
});

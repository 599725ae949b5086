/**
 * A notebook written by Jupyter (nbformat library + nbconvert: attachments, a raw cell, other tools'
 * metadata) loads, runs and saves through Babelscope with nothing lost, and the file validates against
 * the official nbformat 4.5 schema.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { runNotebook } from '../../../src/main/notebook/run.js';
import { fixturesDir } from '../../helpers/paths.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv-draft-04') as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };

export function nbformatValidator() {
  const schema = JSON.parse(readFileSync(join(fixturesDir, 'notebooks', 'nbformat.v4.5.schema.json'), 'utf8')) as object;
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

const joined = (v: unknown) => (Array.isArray(v) ? v.join('') : v);
/** Jupyter may store a string as one string or as lines; compare the text. */
function normalize(v: unknown): unknown {
  if (Array.isArray(v) && v.every((s) => typeof s === 'string') && v.length > 0 && v.slice(0, -1).every((s) => s.endsWith('\n'))) return v.join('');
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

it('round-trips a Jupyter-written notebook: everything kept, outputs as Jupyter made them, schema-valid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-roundtrip-'));
  const input = join(dir, 'jupyter-written.ipynb');
  copyFileSync(join(fixturesDir, 'notebooks', 'jupyter-written.ipynb'), input);
  const original = JSON.parse(readFileSync(input, 'utf8'));
  const out = join(dir, 'out.ipynb');
  const report = await runNotebook(input, { out });
  assert.equal(report.failed, undefined);
  assert.deepEqual(JSON.parse(readFileSync(input, 'utf8')), original, 'the input is untouched when --out is given');

  const saved = JSON.parse(readFileSync(out, 'utf8'));
  const validate = nbformatValidator();
  assert.ok(validate(saved), JSON.stringify(validate.errors));

  // Notebook metadata: every foreign key kept; kernelspec and language_info are Babelscope's.
  for (const key of ['authors', 'vscode', 'jupytext']) assert.deepEqual(saved.metadata[key], original.metadata[key], key);
  assert.equal(saved.metadata.language_info.name, 'typescript');
  assert.equal(saved.nbformat, 4);
  assert.equal(saved.nbformat_minor, 5);

  assert.equal(saved.cells.length, original.cells.length);
  for (const [i, cell] of original.cells.entries()) {
    const s = saved.cells[i];
    if (cell.cell_type !== 'code') {
      assert.deepEqual(normalize(s), normalize(cell), `${cell.cell_type} cell ${i} unchanged (attachments, metadata, source)`);
      continue;
    }
    assert.equal(s.id, cell.id);
    assert.deepEqual(s.metadata, cell.metadata, `code cell ${i} metadata kept`);
    assert.deepEqual(joined(s.source), joined(cell.source));
    // Same outputs as Jupyter's run of the same kernel, plus the SVG fallback beside Plotly JSON.
    const jupyterOutputs = normalize(cell.outputs) as { data?: Record<string, unknown> }[];
    const ours = normalize(s.outputs) as { data?: Record<string, unknown> }[];
    assert.equal(ours.length, jupyterOutputs.length);
    for (const [k, o] of ours.entries()) {
      const plotly = o.data?.['application/vnd.plotly.v1+json'];
      if (plotly) {
        assert.match(String(o.data!['image/svg+xml']), /^<svg[\s\S]*<\/svg>$/, 'Plotly output carries an SVG fallback');
        const { 'image/svg+xml': _svg, 'image/png': _png, ...rest } = o.data!;
        assert.deepEqual({ ...o, data: rest }, jupyterOutputs[k]);
      } else assert.deepEqual(o, jupyterOutputs[k]);
    }
  }
});

/**
 * Notebook trust (Jupyter's model): outputs signed with a per-user key are trusted, edits to sources
 * keep trust, any change to an output loses it, another user's key trusts nothing, and reading makes
 * no file in the user's folder.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { NotebookTrust, signedPart } from '../../../src/main/server/trust.js';

const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'babelscope-trust-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const notebook = (source: string, html: string) =>
  JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { id: 'm', cell_type: 'markdown', metadata: {}, source: '# title' },
      { id: 'c', cell_type: 'code', metadata: {}, execution_count: 1, source, outputs: [{ output_type: 'display_data', metadata: {}, data: { 'text/html': html } }] },
    ],
  });

it('a signed notebook is trusted; its sources may change, its outputs may not', async () => {
  const trust = new NotebookTrust(dataDir());
  const nb = notebook('display.html(x)', '<b>hi</b>');
  assert.equal(await trust.isTrusted(nb), false);
  await trust.sign(nb);
  assert.equal(await trust.isTrusted(nb), true);
  assert.equal(await trust.isTrusted(notebook('display.html(y) // edited', '<b>hi</b>')), true, 'sources are not signed');
  assert.equal(await trust.isTrusted(notebook('display.html(x)', '<b>hi</b><script>evil()</script>')), false);
  // A second instance on the same folder (another backend) sees the same signatures and key.
  assert.equal(await new NotebookTrust(trust.dir).isTrusted(nb), true);
});

it('another user’s key trusts nothing; the key file is private; reading alone writes nothing', async () => {
  const mine = new NotebookTrust(dataDir());
  const theirs = new NotebookTrust(dataDir());
  const nb = notebook('1', '<i>x</i>');
  assert.equal(await theirs.isTrusted(nb), false);
  assert.equal(existsSync(join(theirs.dir, 'notebook_secret')), false, 'isTrusted made no key');
  await mine.sign(nb);
  assert.equal(await theirs.isTrusted(nb), false);
  assert.equal(statSync(join(mine.dir, 'notebook_secret')).mode & 0o777, 0o600);
  assert.equal(statSync(join(mine.dir, 'trusted-notebooks.json')).mode & 0o777, 0o600);
});

it('text that is not a notebook is never trusted; concurrent signs all land', async () => {
  const trust = new NotebookTrust(dataDir());
  assert.equal(signedPart('{not json'), null);
  assert.equal(signedPart('{"cells": 3}'), null);
  await trust.sign('{not json');
  assert.equal(await trust.isTrusted('{not json'), false);
  const many = Array.from({ length: 20 }, (_, i) => notebook('1', `<p>${i}</p>`));
  await Promise.all(many.map((nb) => trust.sign(nb)));
  for (const nb of many) assert.equal(await trust.isTrusted(nb), true);
});

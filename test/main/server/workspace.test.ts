/** The workspace's notebook files: containment, atomic saves that notice changes by others, crash recovery, recent files. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Workspace } from '../../../src/main/server/workspace.js';

/** A minimal valid notebook carrying a marker. */
const nb = (v: unknown) => JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [], v });

describe('workspace', () => {
  const root = mkdtempSync(join(tmpdir(), 'babelscope-ws-'));
  const outside = mkdtempSync(join(tmpdir(), 'babelscope-outside-'));
  const ws = new Workspace(root);
  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('refuses paths that leave the workspace, directly or through a symlink', async () => {
    writeFileSync(join(outside, 'secret.ipynb'), '{}');
    symlinkSync(outside, join(root, 'link'));
    await assert.rejects(ws.read('../' + outside.split('/').pop() + '/secret.ipynb'), /outside the workspace/);
    await assert.rejects(ws.read('/etc/passwd'), /outside the workspace/);
    await assert.rejects(ws.read('link/secret.ipynb'), /symbolic link/);
    await assert.rejects(ws.write('link/new.ipynb', nb(0), null), /symbolic link/);
    await assert.rejects(ws.read('missing.ipynb'), /does not exist/);
  });

  it('lists folders first, notebooks marked, hidden files left out', async () => {
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'b.ipynb'), '{}');
    writeFileSync(join(root, 'a.txt'), 'x');
    writeFileSync(join(root, '.hidden.ipynb'), '{}');
    const { entries } = await ws.list('');
    assert.deepEqual(entries.map((e) => [e.name, e.kind]), [['link', 'dir'], ['sub', 'dir'], ['a.txt', 'file'], ['b.ipynb', 'notebook']]);
  });

  it('saves atomically, refuses to overwrite a file changed by someone else, and refuses to create over an existing one', async () => {
    const { mtimeMs } = await ws.write('n.ipynb', nb(1), null);
    await assert.rejects(ws.write('n.ipynb', nb(0), null), /already exists/);
    const second = await ws.write('n.ipynb', nb(2), mtimeMs);
    assert.equal(readFileSync(join(root, 'n.ipynb'), 'utf8'), nb(2));
    // Another program writes the file.
    writeFileSync(join(root, 'n.ipynb'), nb('theirs'));
    utimesSync(join(root, 'n.ipynb'), new Date(), new Date(second.mtimeMs + 5000));
    assert.notEqual((await ws.stat('n.ipynb')).mtimeMs, second.mtimeMs);
    await assert.rejects(ws.write('n.ipynb', nb(3), second.mtimeMs), /changed on disk/);
    assert.equal(readFileSync(join(root, 'n.ipynb'), 'utf8'), nb('theirs'), 'their change is kept');
    assert.deepEqual(readdirSync(root).filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');
    await assert.rejects(ws.write('n.txt', nb(4), undefined), /not a notebook file name/);
    await assert.rejects(ws.write('bad.ipynb', '{"cells": 1}', undefined), /not a Jupyter notebook/);
  });

  it('offers autosaved work back after a crash, until the notebook is saved', async () => {
    const saved = await ws.write('r.ipynb', nb('saved'), null);
    assert.equal((await ws.read('r.ipynb')).recovery, undefined);
    await new Promise((r) => setTimeout(r, 5));
    await ws.autosave('r.ipynb', nb('unsaved'));
    // A new session (the app was killed) reads the file: the draft is offered.
    const again = await new Workspace(root).read('r.ipynb');
    assert.equal(again.text, nb('saved'));
    assert.equal(again.recovery?.text, nb('unsaved'));
    await ws.write('r.ipynb', nb('unsaved'), saved.mtimeMs);
    assert.equal((await ws.read('r.ipynb')).recovery, undefined, 'saving discards the draft');
  });

  it('remembers recently opened notebooks, newest first, only those that still exist', async () => {
    await ws.read('b.ipynb');
    await ws.read('n.ipynb');
    rmSync(join(root, 'r.ipynb'));
    const recent = await ws.recent();
    assert.deepEqual(recent.slice(0, 2), ['n.ipynb', 'b.ipynb']);
    assert.ok(!recent.includes('r.ipynb'));
  });
});

/**
 * The workspace (src/main/server/workspace.ts) under concurrent clients and unfriendly folders: two saves
 * from one version, many opens at once, saves racing autosaves, a read-only or full workspace, private
 * and symlinked notebooks, a backend killed in the middle of a save.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isUserError } from '../../../src/shared/errors.js';
import { Workspace } from '../../../src/main/server/workspace.js';
import { repoRoot } from '../../helpers/paths.js';
import { faultCase } from '../harness.js';
import { canRunUnprivileged, fillDisk, runNode, UNPRIVILEGED, withTmpfs } from '../disks.js';

const AREA = 'concurrent-saves';
const workspaceUrl = pathToFileURL(join(repoRoot, 'dist', 'src', 'main', 'server', 'workspace.js')).href;

/** A valid notebook carrying a marker (and optional padding, to make writes take a while). */
const nb = (v: unknown, pad = 0) => JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { v }, cells: pad ? [{ cell_type: 'markdown', id: 'p', metadata: {}, source: 'x'.repeat(pad) }] : [] }) + '\n';
const marker = (text: string) => (JSON.parse(text) as { metadata: { v: unknown } }).metadata.v;

function withWorkspace<T>(fn: (root: string, ws: Workspace) => T | Promise<T>, root = mkdtempSync(join(tmpdir(), 'babelscope-fault-ws-'))): Promise<T> {
  return Promise.resolve(fn(root, new Workspace(root))).finally(() => rmSync(root, { recursive: true, force: true }));
}

/** Names ending in .tmp anywhere under `dir` (hidden ones included). */
function temporaries(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.tmp')) found.push(join(d, e.name));
    }
  };
  walk(dir);
  return found;
}

const conflict = (e: unknown) => isUserError(e) && /changed on disk|already exists/.test(e.message);

export function registerCases(): void {
  faultCase(AREA, 'two clients saving from the same version, 30 rounds: one success and one conflict each, never invalid JSON', () =>
    withWorkspace(async (root, ws) => {
      let { mtimeMs } = await ws.write('n.ipynb', nb('start'), null);
      for (let round = 0; round < 30; round++) {
        const results = await Promise.allSettled([ws.write('n.ipynb', nb(`a${round}`, 50_000), mtimeMs), ws.write('n.ipynb', nb(`b${round}`, 50_000), mtimeMs)]);
        const ok = results.filter((r): r is PromiseFulfilledResult<{ mtimeMs: number }> => r.status === 'fulfilled');
        const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(ok.length, 1, `round ${round}: one save succeeds`);
        assert.equal(refused.length, 1);
        assert.ok(conflict(refused[0]!.reason), String(refused[0]!.reason));
        const winner = results[0]!.status === 'fulfilled' ? `a${round}` : `b${round}`;
        assert.equal(marker(readFileSync(join(root, 'n.ipynb'), 'utf8')), winner, 'the file is what the successful client saved');
        mtimeMs = ok[0]!.value.mtimeMs;
      }
      assert.deepEqual(temporaries(root), []);
    }),
  );

  faultCase(AREA, 'eight clients creating the same new notebook at once: exactly one creates it', () =>
    withWorkspace(async (root, ws) => {
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => ws.write('new.ipynb', nb(i, 10_000), null)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(conflict(r.reason), String(r.reason));
      const i = results.findIndex((r) => r.status === 'fulfilled');
      assert.equal(marker(readFileSync(join(root, 'new.ipynb'), 'utf8')), i);
    }),
  );

  faultCase(AREA, 'two Workspace objects of one backend over the same folder share the per-file turn', () =>
    withWorkspace(async (root, ws) => {
      const other = new Workspace(root);
      const { mtimeMs } = await ws.write('s.ipynb', nb(0), null);
      const results = await Promise.allSettled([ws.write('s.ipynb', nb(1, 80_000), mtimeMs), other.write('s.ipynb', nb(2, 80_000), mtimeMs)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    }),
  );

  faultCase(AREA, 'saves in quick succession each get a new version (the file system clock ticks coarsely)', () =>
    withWorkspace(async (_root, ws) => {
      let { mtimeMs } = await ws.write('q.ipynb', nb(0), null);
      const seen = new Set([mtimeMs]);
      for (let k = 1; k <= 40; k++) {
        ({ mtimeMs } = await ws.write('q.ipynb', nb(k), mtimeMs));
        assert.ok(!seen.has(mtimeMs), `save ${k} reused a version`);
        seen.add(mtimeMs);
        assert.equal((await ws.stat('q.ipynb')).mtimeMs, mtimeMs);
      }
      // A client still holding the first version is refused.
      await assert.rejects(ws.write('q.ipynb', nb('stale'), [...seen][0]), conflict);
    }),
  );

  faultCase(AREA, '40 concurrent opens: all succeed and recent.json stays valid', () =>
    withWorkspace(async (root, ws) => {
      for (let i = 0; i < 10; i++) writeFileSync(join(root, `o${i}.ipynb`), nb(i));
      const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => ws.read(`o${i % 10}.ipynb`)));
      assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), []);
      const recent = JSON.parse(readFileSync(join(root, '.babelscope', 'recent.json'), 'utf8')) as string[];
      assert.equal(recent.length, 10);
      assert.deepEqual(temporaries(root), []);
    }),
  );

  faultCase(AREA, 'saves racing autosaves of the same notebook: the saved text wins, the draft is consistent JSON', () =>
    withWorkspace(async (root, ws) => {
      let { mtimeMs } = await ws.write('r.ipynb', nb(0), null);
      for (let k = 1; k <= 10; k++) {
        const [saved] = await Promise.all([ws.write('r.ipynb', nb(k, 20_000), mtimeMs), ws.autosave('r.ipynb', nb(`draft${k}`, 20_000)), ws.autosave('r.ipynb', nb(`draft${k}b`, 20_000))]);
        mtimeMs = saved.mtimeMs;
        assert.equal(marker(readFileSync(join(root, 'r.ipynb'), 'utf8')), k);
      }
      const read = await ws.read('r.ipynb');
      if (read.recovery) assert.ok(['draft10', 'draft10b'].includes(String(marker(read.recovery.text))));
      assert.deepEqual(temporaries(root), []);
    }),
  );

  faultCase(AREA, 'two backend processes saving one notebook 40 times each: the file is always a whole notebook', () =>
    withWorkspace(async (root) => {
      writeFileSync(join(root, 'p.ipynb'), nb('start'));
      const backend = (who: string) =>
        runNode(
          `import { Workspace } from ${JSON.stringify(workspaceUrl)};
           import { readFileSync } from 'node:fs';
           const ws = new Workspace(process.argv[1]);
           for (let k = 0; k < 40; k++) {
             await ws.write('p.ipynb', ${JSON.stringify(nb('X', 40_000))}.replace('"X"', '"${who}' + k + '"'));
             JSON.parse(readFileSync(process.argv[1] + '/p.ipynb', 'utf8'));
           }`,
          { args: [root] },
        );
      const runs = await Promise.all([backend('a'), backend('b')]);
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      assert.match(String(marker(readFileSync(join(root, 'p.ipynb'), 'utf8'))), /^[ab]39$/);
      assert.deepEqual(temporaries(root), []);
    }),
  );

  for (const when of [2, 10, 30]) {
    faultCase(AREA, `a backend killed (-9) ${when} ms into a stream of saves: the notebook is whole, the next save cleans up`, () =>
      withWorkspace(async (root, ws) => {
        writeFileSync(join(root, 'k.ipynb'), nb('start', 500_000));
        const child = spawn(
          process.execPath,
          ['--input-type=module', '-e', `import { Workspace } from ${JSON.stringify(workspaceUrl)};
            const ws = new Workspace(process.argv[1]);
            process.stdout.write('up\\n');
            const nb = (v) => JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { v }, cells: [{ cell_type: 'markdown', id: 'p', metadata: {}, source: 'x'.repeat(500000) }] }) + '\\n';
            for (let k = 0; ; k++) await ws.write('k.ipynb', nb('k' + k));`, root],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
        await new Promise((r) => setTimeout(r, when));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('close', r));
        const text = readFileSync(join(root, 'k.ipynb'), 'utf8');
        assert.match(String(marker(text)), /^(start|k\d+)$/);
        const { mtimeMs } = await ws.stat('k.ipynb');
        await ws.write('k.ipynb', nb('after'), mtimeMs);
        assert.deepEqual(temporaries(root).filter((t) => t.includes('k.ipynb')), [], 'the dead backend\'s temporaries are gone');
      }),
    );
  }

  faultCase(AREA, 'a 0600 notebook stays 0600 when saved, and its unsaved copy is 0600 too', () =>
    withWorkspace(async (root, ws) => {
      writeFileSync(join(root, 'private.ipynb'), nb(0));
      chmodSync(join(root, 'private.ipynb'), 0o600);
      const { mtimeMs } = await ws.read('private.ipynb');
      await ws.write('private.ipynb', nb(1), mtimeMs);
      assert.equal(statSync(join(root, 'private.ipynb')).mode & 0o777, 0o600);
      await ws.autosave('private.ipynb', nb('draft'));
      const drafts = readdirSync(join(root, '.babelscope', 'recovery'));
      assert.equal(drafts.length, 1);
      assert.equal(statSync(join(root, '.babelscope', 'recovery', drafts[0]!)).mode & 0o777, 0o600);
    }),
  );

  faultCase(AREA, 'a symlinked notebook inside the workspace is saved through the link, which stays a link', () =>
    withWorkspace(async (root, ws) => {
      mkdirSync(join(root, 'real'));
      writeFileSync(join(root, 'real', 'n.ipynb'), nb(0));
      symlinkSync('real/n.ipynb', join(root, 'n.ipynb'));
      const { mtimeMs } = await ws.read('n.ipynb');
      await ws.write('n.ipynb', nb(1), mtimeMs);
      assert.ok(lstatSync(join(root, 'n.ipynb')).isSymbolicLink());
      assert.equal(marker(readFileSync(join(root, 'real', 'n.ipynb'), 'utf8')), 1);
    }),
  );

  faultCase(AREA, 'a dangling symlink pointing out of the workspace is not written through', () =>
    withWorkspace(async (root, ws) => {
      const outside = mkdtempSync(join(tmpdir(), 'babelscope-fault-outside-'));
      try {
        symlinkSync(join(outside, 'planted.ipynb'), join(root, 'trap.ipynb'));
        await assert.rejects(ws.write('trap.ipynb', nb('escape'), undefined), (e: unknown) => isUserError(e) && /outside the workspace/.test(e.message));
        assert.ok(!existsSync(join(outside, 'planted.ipynb')));
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    }),
  );

  faultCase(AREA, 'a read-only workspace: notebooks open (no recent list), a save is refused saying read-only, with a hint', (t) =>
    withTmpfs(t, 1 << 20, async ({ dir, readOnly }) => {
      writeFileSync(join(dir, 'ro.ipynb'), nb('kept'));
      readOnly(true);
      try {
        const ws = new Workspace(dir);
        const file = await ws.read('ro.ipynb');
        assert.equal(marker(file.text), 'kept');
        assert.deepEqual(await ws.recent(), []);
        await assert.rejects(ws.write('ro.ipynb', nb('new'), file.mtimeMs), (e: unknown) => {
          assert.ok(isUserError(e));
          assert.match(e.message, /ro\.ipynb.*read-only/);
          assert.doesNotMatch(e.message, /\.tmp|EACCES/);
          assert.match(e.hint ?? '', /writable folder/);
          return true;
        });
        await assert.rejects(ws.autosave('ro.ipynb', nb('draft')), (e: unknown) => isUserError(e) && /read-only/.test(e.message));
      } finally {
        readOnly(false);
      }
      assert.equal(marker(readFileSync(join(dir, 'ro.ipynb'), 'utf8')), 'kept');
      assert.deepEqual(readdirSync(dir), ['ro.ipynb']);
    }),
  );

  faultCase(AREA, 'a workspace of another user (no write permission): opens, and a save says permission denied with a hint', async (t) => {
    if (!canRunUnprivileged(t, workspaceUrl)) return;
    const root = mkdtempSync(join(tmpdir(), 'babelscope-fault-ws-'));
    try {
      writeFileSync(join(root, 'theirs.ipynb'), nb('theirs'));
      chmodSync(root, 0o755);
      const r = await runNode(
        `import { Workspace } from ${JSON.stringify(workspaceUrl)};
         const ws = new Workspace(process.argv[1]);
         const f = await ws.read('theirs.ipynb');
         try { await ws.write('theirs.ipynb', f.text.replace('theirs', 'mine'), f.mtimeMs); console.log('saved'); }
         catch (e) { console.log(JSON.stringify({ kind: e.kind, message: e.message, hint: e.hint })); }`,
        { ...UNPRIVILEGED, args: [root] },
      );
      assert.equal(r.code, 0, r.stderr);
      const e = JSON.parse(r.stdout) as { kind: string; message: string; hint: string };
      assert.equal(e.kind, 'user');
      assert.match(e.message, /theirs\.ipynb: permission denied/);
      assert.doesNotMatch(e.message, /\.tmp/);
      assert.match(e.hint, /write permission/);
      assert.equal(marker(readFileSync(join(root, 'theirs.ipynb'), 'utf8')), 'theirs');
      assert.deepEqual(readdirSync(root), ['theirs.ipynb']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  faultCase(AREA, 'a full disk during a save: refused saying disk full, the notebook intact, no *.tmp left', (t) =>
    withTmpfs(t, 1 << 20, async ({ dir }) => {
      const ws = new Workspace(dir);
      const { mtimeMs } = await ws.write('full.ipynb', nb('saved'), null);
      fillDisk(dir, 48 << 10);
      await assert.rejects(ws.write('full.ipynb', nb('bigger', 300_000), mtimeMs), (e: unknown) => isUserError(e) && /full\.ipynb: the disk is full/.test(e.message));
      assert.equal(marker(readFileSync(join(dir, 'full.ipynb'), 'utf8')), 'saved');
      assert.deepEqual(temporaries(dir), []);
      // Space freed: the same client saves again from its version.
      rmSync(join(dir, 'filler'));
      await ws.write('full.ipynb', nb('bigger', 300_000), mtimeMs);
      assert.equal(marker(readFileSync(join(dir, 'full.ipynb'), 'utf8')), 'bigger');
    }),
  );

  faultCase(AREA, 'a full disk when only recent.json cannot be written: the notebook still opens', (t) =>
    withTmpfs(t, 1 << 20, async ({ dir }) => {
      writeFileSync(join(dir, 'open-me.ipynb'), nb('x'));
      fillDisk(dir, 0);
      const file = await new Workspace(dir).read('open-me.ipynb');
      assert.equal(marker(file.text), 'x');
      assert.deepEqual(temporaries(dir), []);
    }),
  );
}

/**
 * The one atomic write (src/main/fs/atomic-write.ts) under faults: a full disk, a file size limit, a
 * read-only file system, a refused permission, kill -9 in the middle, concurrent writers, symlinks and
 * modes. Every case ends with the original file intact (or the new one whole) and no temporary left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isUserError } from '../../../src/shared/errors.js';
import { removeStaleTemporaries, temporariesOf, temporaryName, writeFileAtomic, writeFileAtomicSync } from '../../../src/main/fs/atomic-write.js';
import { writeNotebook, serializeNotebook, type Notebook } from '../../../src/main/notebook/ipynb.js';
import { writeCachedModel } from '../../../src/main/model/model-cache.js';
import { Writer } from '../../../src/main/model/protobuf.js';
import { cliPath, runCli } from '../../helpers/cli.js';
import { repoRoot } from '../../helpers/paths.js';
import { faultCase } from '../harness.js';
import { canRunUnprivileged, fillDisk, isRoot, runNode, UNPRIVILEGED, withTmpfs } from '../disks.js';

const AREA = 'atomic-write';
const helperUrl = pathToFileURL(join(repoRoot, 'dist', 'src', 'main', 'fs', 'atomic-write.js')).href;

function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-fault-aw-'));
  return Promise.resolve(fn(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** The folder holds exactly these names (no temporary, visible or hidden). */
function onlyFiles(dir: string, names: string[]): void {
  assert.deepEqual(readdirSync(dir).sort(), [...names].sort(), `left in ${dir}`);
}

const userErrorAbout = (re: RegExp, file: string) => (e: unknown) => {
  assert.ok(isUserError(e), `not a UserError: ${String(e)}`);
  assert.match(e.message, re);
  assert.ok(e.message.includes(file), `the message names ${file}: ${e.message}`);
  assert.ok(!/\.tmp\b/.test(e.message) && !/\.tmp\b/.test(e.hint ?? ''), `the message names no temporary: ${e.message}`);
  assert.ok(e.hint && e.hint.length > 10, 'with a hint');
  return true;
};

const notebook = (source: string): Notebook => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [{ cell_type: 'code', id: 'c1', source, metadata: {}, outputs: [], execution_count: null }],
});

const big = (n: number, fill = 0x61) => Buffer.alloc(n, fill);

export function registerCases(): void {
  // ---- full disk (tmpfs) --------------------------------------------------------------------------
  for (const [how, write] of [
    ['writeFileAtomicSync', async (p: string, d: Buffer) => writeFileAtomicSync(p, d)],
    ['writeFileAtomic (async)', (p: string, d: Buffer) => writeFileAtomic(p, d)],
    [
      'a streaming producer',
      async (p: string, d: Buffer) =>
        writeFileAtomicSync(p, (sink) => {
          for (let o = 0; o < d.length; o += 4096) sink.write(d.subarray(o, o + 4096));
        }),
    ],
  ] as const) {
    faultCase(AREA, `disk full (tmpfs) with ${how}: UserError about the file, original intact, no temporary`, (t) =>
      withTmpfs(t, 1 << 20, async ({ dir }) => {
        const file = join(dir, 'data.bin');
        const original = big(20_000, 0x6f);
        writeFileSync(file, original);
        fillDisk(dir, 64 << 10);
        await assert.rejects(write(file, big(400_000)), userErrorAbout(/disk is full/, file));
        assert.deepEqual(readFileSync(file), original);
        onlyFiles(dir, ['data.bin', 'filler']);
      }),
    );
  }

  faultCase(AREA, 'disk full while writing a notebook: the cell sources survive, the error says disk full', (t) =>
    withTmpfs(t, 1 << 20, ({ dir }) => {
      const file = join(dir, 'n.ipynb');
      writeNotebook(file, notebook('const precious = 42;\n'));
      const before = readFileSync(file);
      fillDisk(dir, 32 << 10);
      const nb = notebook('const precious = 42;\n');
      (nb.cells[0] as { outputs: unknown[] }).outputs = [{ output_type: 'stream', name: 'stdout', text: ['x'.repeat(300_000)] }];
      assert.throws(() => writeNotebook(file, nb), userErrorAbout(/disk is full/, file));
      assert.deepEqual(readFileSync(file), before);
      onlyFiles(dir, ['n.ipynb', 'filler']);
    }),
  );

  faultCase(AREA, 'disk full while writing a cached model folder: no weights or graph half-written', (t) =>
    withTmpfs(t, 1 << 20, ({ dir }) => {
      const folder = join(dir, 'models', 'abc');
      assert.throws(
        () => writeCachedModel(folder, (w) => {
          for (let i = 0; i < 8; i++) w.append([big(200_000, i)], new Writer());
          return [big(10)];
        }),
        (e: unknown) => isUserError(e) && /disk is full/.test(e.message),
      );
      onlyFiles(folder, []);
    }),
  );

  faultCase(AREA, 'a file size limit (ulimit -f, EFBIG) in a child: UserError, original intact', () =>
    withTempDir(async (dir) => {
      const file = join(dir, 'limited.bin');
      writeFileSync(file, 'original');
      const r = await runNode(
        `import { writeFileAtomicSync } from ${JSON.stringify(helperUrl)};
         try { writeFileAtomicSync(process.argv[1], Buffer.alloc(200000, 98)); console.log('wrote'); }
         catch (e) { console.log(e.kind, e.message); process.exitCode = 3; }`,
        { shell: 'ulimit -f 20', args: [file] },
      );
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stdout, /^user cannot write .*limited\.bin: the disk is full \(EFBIG\)/);
      assert.equal(readFileSync(file, 'utf8'), 'original');
      onlyFiles(dir, ['limited.bin']);
    }),
  );

  faultCase(AREA, '`babelscope run` on a nearly full disk fails with a clear message and non-zero exit, notebook untouched', (t) =>
    withTmpfs(t, 2 << 20, async ({ dir }) => {
      const file = join(dir, 'big-output.ipynb');
      writeNotebook(file, notebook('console.log("y".repeat(400000));\n'));
      const before = readFileSync(file);
      fillDisk(dir, 96 << 10);
      const r = await runCli(['run', file, '--device', 'cpu']);
      assert.notEqual(r.code, 0, r.stdout);
      assert.doesNotMatch(r.stdout, /wrote/);
      assert.match(r.stderr, /disk is full/);
      assert.match(r.stderr, /big-output\.ipynb/);
      assert.deepEqual(readFileSync(file), before, 'the notebook is byte-identical');
      onlyFiles(dir, ['big-output.ipynb', 'filler']);
    }),
  );

  faultCase(AREA, '`babelscope run` under a file size limit (ulimit -f, no root needed): non-zero exit saying why, notebook untouched', () =>
    withTempDir(async (dir) => {
      const file = join(dir, 'limited.ipynb');
      writeNotebook(file, notebook('console.log("z".repeat(400000));\n'));
      const before = readFileSync(file);
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn('bash', ['-c', 'ulimit -f 128; exec "$0" "$@"', process.execPath, cliPath, 'run', file, '--device', 'cpu'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      assert.notEqual(r.code, 0, r.stdout);
      assert.doesNotMatch(r.stdout, /wrote/);
      assert.match(r.stderr, /limited\.ipynb: the disk is full \(EFBIG\)/);
      assert.deepEqual(readFileSync(file), before);
      onlyFiles(dir, ['limited.ipynb']);
    }),
  );

  // ---- read-only file system, permissions -------------------------------------------------------
  faultCase(AREA, 'read-only file system (EROFS): UserError saying read-only, original intact', (t) =>
    withTmpfs(t, 1 << 20, async ({ dir, readOnly }) => {
      const file = join(dir, 'ro.json');
      writeFileSync(file, '{"a":1}');
      readOnly(true);
      try {
        assert.throws(() => writeFileAtomicSync(file, '{"a":2}'), userErrorAbout(/read-only/, file));
        await assert.rejects(writeFileAtomic(file, '{"a":3}'), userErrorAbout(/read-only/, file));
        assert.equal(readFileSync(file, 'utf8'), '{"a":1}');
      } finally {
        readOnly(false);
      }
      onlyFiles(dir, ['ro.json']);
    }),
  );

  faultCase(AREA, 'a folder the user may not write (EACCES, unprivileged child): UserError with a hint, original intact', async (t) => {
    if (!canRunUnprivileged(t, helperUrl)) return;
    await withTempDir(async (dir) => {
      chmodSync(dir, 0o755);
      const file = join(dir, 'theirs.ipynb');
      writeFileSync(file, 'original', { mode: 0o666 });
      chmodSync(file, 0o666); // writable in place, but the folder refuses a new file beside it
      const r = await runNode(
        `import { writeFileAtomicSync } from ${JSON.stringify(helperUrl)};
         try { writeFileAtomicSync(process.argv[1], 'new'); console.log('wrote'); }
         catch (e) { console.log(JSON.stringify({ kind: e.kind, message: e.message, hint: e.hint })); }`,
        { ...UNPRIVILEGED, args: [file] },
      );
      const e = JSON.parse(r.stdout) as { kind: string; message: string; hint: string };
      assert.equal(e.kind, 'user', r.stderr);
      assert.match(e.message, /permission denied \(EACCES\)/);
      assert.ok(e.message.includes(file) && !e.message.includes('.tmp'), e.message);
      assert.match(e.hint, /write permission on the folder/);
      assert.equal(readFileSync(file, 'utf8'), 'original');
      onlyFiles(dir, ['theirs.ipynb']);
    });
  });

  faultCase(AREA, 'the target is a folder: UserError, nothing created', () =>
    withTempDir((dir) => {
      mkdirSync(join(dir, 'x.ipynb'));
      assert.throws(() => writeFileAtomicSync(join(dir, 'x.ipynb'), '{}'), (e: unknown) => isUserError(e) && /is a folder/.test(e.message));
      onlyFiles(dir, ['x.ipynb']);
    }),
  );

  faultCase(AREA, 'the folder does not exist: UserError naming it', () =>
    withTempDir((dir) => {
      assert.throws(() => writeFileAtomicSync(join(dir, 'nope', 'x.json'), '{}'), (e: unknown) => isUserError(e) && /does not exist/.test(e.message + (e.hint ?? '')));
      onlyFiles(dir, []);
    }),
  );

  faultCase(AREA, 'a producer that throws halfway: its error, original intact, temporary removed', () =>
    withTempDir((dir) => {
      const file = join(dir, 'weights.bin');
      writeFileSync(file, 'v1');
      assert.throws(
        () =>
          writeFileAtomicSync(file, (sink) => {
            sink.write(big(100_000));
            throw new Error('tensor 7 is malformed');
          }),
        /tensor 7 is malformed/,
      );
      assert.equal(readFileSync(file, 'utf8'), 'v1');
      onlyFiles(dir, ['weights.bin']);
    }),
  );

  // ---- modes and owners ---------------------------------------------------------------------------
  for (const mode of [0o600, 0o640, 0o755, 0o444]) {
    faultCase(AREA, `a ${mode.toString(8).padStart(4, '0')} file keeps its mode when rewritten`, () =>
      withTempDir((dir) => {
        const file = join(dir, 'f.ipynb');
        writeFileSync(file, 'old');
        chmodSync(file, mode);
        writeNotebook(file, notebook('x'));
        assert.equal(statSync(file).mode & 0o7777, mode);
        assert.equal(readFileSync(file, 'utf8'), serializeNotebook(notebook('x')));
      }),
    );
  }

  faultCase(AREA, 'a new file gets 0666 less the umask; an explicit mode wins over an existing one', () =>
    withTempDir((dir) => {
      const file = join(dir, 'new.json');
      writeFileAtomicSync(file, '{}');
      const umask = process.umask();
      assert.equal(statSync(file).mode & 0o777, 0o666 & ~umask);
      writeFileAtomicSync(file, '{}', { mode: 0o600 });
      assert.equal(statSync(file).mode & 0o777, 0o600);
    }),
  );

  faultCase(AREA, 'another user\'s file rewritten by root keeps its owner', async (t) => {
    if (!isRoot) return t.skip('needs root to own files as another user');
    await withTempDir((dir) => {
      const file = join(dir, 'owned.ipynb');
      writeFileSync(file, 'x');
      chownSync(file, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
      writeFileAtomicSync(file, 'y');
      const st = statSync(file);
      assert.deepEqual([st.uid, st.gid], [UNPRIVILEGED.uid, UNPRIVILEGED.gid]);
    });
  });

  // ---- symbolic links -----------------------------------------------------------------------------
  faultCase(AREA, 'a symlinked notebook is written through: the link stays a link, the target changes', () =>
    withTempDir((dir) => {
      mkdirSync(join(dir, 'real'));
      const target = join(dir, 'real', 'n.ipynb');
      writeFileSync(target, 'old');
      chmodSync(target, 0o600);
      symlinkSync('real/n.ipynb', join(dir, 'link.ipynb'));
      writeNotebook(join(dir, 'link.ipynb'), notebook('through the link'));
      assert.ok(lstatSync(join(dir, 'link.ipynb')).isSymbolicLink());
      assert.equal(readlinkSync(join(dir, 'link.ipynb')), 'real/n.ipynb');
      assert.equal(readFileSync(target, 'utf8'), serializeNotebook(notebook('through the link')));
      assert.equal(statSync(target).mode & 0o777, 0o600);
      onlyFiles(join(dir, 'real'), ['n.ipynb']);
    }),
  );

  faultCase(AREA, 'a chain of two symlinks is followed to the file; a dangling link creates its target', () =>
    withTempDir((dir) => {
      writeFileSync(join(dir, 'file.json'), '1');
      symlinkSync(join(dir, 'file.json'), join(dir, 'a.json'));
      symlinkSync('a.json', join(dir, 'b.json'));
      writeFileAtomicSync(join(dir, 'b.json'), '2');
      assert.equal(readFileSync(join(dir, 'file.json'), 'utf8'), '2');
      assert.ok(lstatSync(join(dir, 'a.json')).isSymbolicLink() && lstatSync(join(dir, 'b.json')).isSymbolicLink());
      symlinkSync('later.json', join(dir, 'dangling.json'));
      writeFileAtomicSync(join(dir, 'dangling.json'), '3');
      assert.equal(readFileSync(join(dir, 'later.json'), 'utf8'), '3');
      assert.ok(lstatSync(join(dir, 'dangling.json')).isSymbolicLink());
    }),
  );

  faultCase(AREA, 'a loop of symlinks: UserError, nothing written', () =>
    withTempDir((dir) => {
      symlinkSync('b', join(dir, 'a'));
      symlinkSync('a', join(dir, 'b'));
      assert.throws(() => writeFileAtomicSync(join(dir, 'a'), 'x'), (e: unknown) => isUserError(e) && /symbolic links/.test(e.message));
      onlyFiles(dir, ['a', 'b']);
    }),
  );

  // ---- concurrency and temporaries ----------------------------------------------------------------
  faultCase(AREA, '200 concurrent async writes of one file in one process: the result is one of them, whole; no temporary', () =>
    withTempDir(async (dir) => {
      const file = join(dir, 'c.json');
      const payload = (i: number) => JSON.stringify({ i, pad: 'p'.repeat(20_000 + i) });
      const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => writeFileAtomic(file, payload(i))));
      assert.deepEqual(results.filter((r) => r.status === 'rejected'), []);
      const got = JSON.parse(readFileSync(file, 'utf8')) as { i: number };
      assert.equal(readFileSync(file, 'utf8'), payload(got.i));
      onlyFiles(dir, ['c.json']);
    }),
  );

  faultCase(AREA, 'four processes writing one file 50 times each: always valid, never a shared temporary', () =>
    withTempDir(async (dir) => {
      const file = join(dir, 'shared.json');
      writeFileSync(file, JSON.stringify({ who: 'start' }));
      const writer = (who: number) =>
        runNode(
          `import { writeFileAtomicSync } from ${JSON.stringify(helperUrl)};
           import { readFileSync } from 'node:fs';
           for (let k = 0; k < 50; k++) {
             writeFileAtomicSync(process.argv[1], JSON.stringify({ who: ${who}, k, pad: 'q'.repeat(30000) }));
             JSON.parse(readFileSync(process.argv[1], 'utf8'));
           }`,
          { args: [file] },
        );
      const runs = await Promise.all([0, 1, 2, 3].map(writer));
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      const last = JSON.parse(readFileSync(file, 'utf8')) as { who: number; k: number };
      assert.equal(last.k, 49);
      onlyFiles(dir, ['shared.json']);
    }),
  );

  faultCase(AREA, 'temporary names are unique, hidden, in the target folder and carry the pid', () => {
    const names = new Set(Array.from({ length: 5000 }, () => temporaryName('/some/dir/n.ipynb')));
    assert.equal(names.size, 5000);
    for (const n of [...names].slice(0, 10)) assert.match(n, new RegExp(`^/some/dir/\\.n\\.ipynb\\.${process.pid}\\.[0-9a-z]+\\.tmp$`));
  });

  for (const point of [1, 16, 63]) {
    faultCase(AREA, `kill -9 after ${point} of 64 chunks: original intact; the next write removes the dead writer's temporary`, () =>
      withTempDir(async (dir) => {
        const file = join(dir, 'model.bin');
        writeFileSync(file, 'original');
        const child = spawn(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `import { writeFileAtomicSync } from ${JSON.stringify(helperUrl)};
             writeFileAtomicSync(process.argv[1], (sink) => {
               for (let c = 0; c < 64; c++) {
                 sink.write(Buffer.alloc(1 << 16, c));
                 if (c + 1 === ${point}) { process.stdout.write('at\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000); }
               }
             });`,
            file,
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('close', r));
        assert.equal(readFileSync(file, 'utf8'), 'original');
        const left = temporariesOf(file);
        assert.equal(left.length, 1, 'the killed writer left its temporary');
        assert.equal(left[0]!.pid, child.pid);
        assert.ok(statSync(left[0]!.path).size >= point << 16);
        writeFileAtomicSync(file, 'next');
        assert.equal(readFileSync(file, 'utf8'), 'next');
        onlyFiles(dir, ['model.bin']);
      }),
    );
  }

  faultCase(AREA, 'kill -9 at 20 random moments of a writer that saves A and B in turn: the file is always A or B', () =>
    withTempDir(async (dir) => {
      const file = join(dir, 'ab.ipynb');
      const A = serializeNotebook(notebook('A'.repeat(300_000)));
      const B = serializeNotebook(notebook('B'.repeat(300_000)));
      writeFileSync(file, A);
      writeFileSync(join(dir, '..', `A-${process.pid}`), A);
      writeFileSync(join(dir, '..', `B-${process.pid}`), B);
      for (let round = 0; round < 20; round++) {
        const child = spawn(
          process.execPath,
          ['--input-type=module', '-e', `import { writeFileAtomicSync } from ${JSON.stringify(helperUrl)};
            import { readFileSync } from 'node:fs';
            const [file, a, b] = [process.argv[1], readFileSync(process.argv[2], 'utf8'), readFileSync(process.argv[3], 'utf8')];
            process.stdout.write('up\\n');
            for (let k = 0; ; k++) writeFileAtomicSync(file, k % 2 ? a : b);`, file, join(dir, '..', `A-${process.pid}`), join(dir, '..', `B-${process.pid}`)],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
        await new Promise((r) => setTimeout(r, 5 + ((round * 37) % 60)));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('close', r));
        const text = readFileSync(file, 'utf8');
        assert.ok(text === A || text === B, `round ${round}: the file is neither A nor B (${text.length} chars)`);
      }
      rmSync(join(dir, '..', `A-${process.pid}`), { force: true });
      rmSync(join(dir, '..', `B-${process.pid}`), { force: true });
      writeFileAtomicSync(file, A);
      onlyFiles(dir, ['ab.ipynb']);
    }),
  );

  faultCase(AREA, 'a temporary of a live writer is left alone; one older than its pid\'s process is removed', () =>
    withTempDir((dir) => {
      const file = join(dir, 'n.ipynb');
      writeFileSync(file, 'x');
      // pid 1 is alive and started at boot: a temporary written after that is in flight, one from before is stale.
      const live = join(dir, `.n.ipynb.1.0abcdef01.tmp`);
      const reused = join(dir, `.n.ipynb.1.1abcdef02.tmp`);
      writeFileSync(live, 'in flight');
      writeFileSync(reused, 'from an earlier process with the same pid');
      utimesSync(reused, new Date(0), new Date(0));
      const mine = join(dir, `.n.ipynb.${process.pid}.2abcdef03.tmp`);
      writeFileSync(mine, 'this process');
      const other = join(dir, '.other.ipynb.999999999.3abcdef04.tmp');
      writeFileSync(other, 'another file\'s');
      assert.equal(removeStaleTemporaries(file), 1);
      assert.ok(existsSync(live) && existsSync(mine) && existsSync(other) && !existsSync(reused));
    }),
  );
}

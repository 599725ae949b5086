/**
 * Leftovers after crashes: kernel connection files (with their HMAC keys) of kernels that are gone are
 * removed by the next backend or run; those of running kernels, kernels being started and other users'
 * stay.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KERNEL_DIR_PREFIX, removeDeadKernelFiles } from '../../../src/main/kernel/leftovers.js';
import { repoRoot } from '../../helpers/paths.js';
import { faultCase } from '../harness.js';
import { isRoot, UNPRIVILEGED } from '../disks.js';

const AREA = 'leftovers';
const HOUR_AGO = new Date(Date.now() - 3600_000);

function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-fault-left-'));
  return Promise.resolve(fn(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** A connection folder as the kernel client writes it, last changed `when`. */
function connectionFolder(dir: string, suffix: string, when: Date): string {
  const d = join(dir, `${KERNEL_DIR_PREFIX}${suffix}`);
  mkdirSync(d);
  writeFileSync(join(d, 'connection.json'), JSON.stringify({ key: 'f'.repeat(64), signature_scheme: 'hmac-sha256' }), { mode: 0o600 });
  utimesSync(d, when, when);
  return d;
}

export function registerCases(): void {
  faultCase(AREA, 'a dead kernel\'s connection file (HMAC key) is removed; a young one (kernel starting) is kept', () =>
    withTempDir((dir) => {
      const dead = connectionFolder(dir, 'dead01', HOUR_AGO);
      const young = connectionFolder(dir, 'young1', new Date());
      writeFileSync(join(dir, 'babelscope-other'), 'not ours');
      assert.deepEqual(removeDeadKernelFiles(dir), [dead]);
      assert.ok(!existsSync(dead) && existsSync(young) && existsSync(join(dir, 'babelscope-other')));
    }),
  );

  faultCase(AREA, 'the connection file of a kernel still running (named on its command line) is kept', () =>
    withTempDir(async (dir) => {
      const running = connectionFolder(dir, 'live01', HOUR_AGO);
      const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', '--', '-f', join(running, 'connection.json')], { stdio: 'ignore' });
      try {
        await new Promise((r) => setTimeout(r, 200));
        assert.deepEqual(removeDeadKernelFiles(dir), []);
        assert.ok(existsSync(join(running, 'connection.json')));
      } finally {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('close', r));
      }
      assert.deepEqual(removeDeadKernelFiles(dir), [running], 'once it is gone, its file goes too');
    }),
  );

  faultCase(AREA, 'another user\'s connection folder is left alone', async (t) => {
    if (!isRoot) return t.skip('needs root to own a folder as another user');
    await withTempDir((dir) => {
      const theirs = connectionFolder(dir, 'their1', HOUR_AGO);
      chownSync(theirs, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
      utimesSync(theirs, HOUR_AGO, HOUR_AGO);
      assert.deepEqual(removeDeadKernelFiles(dir), []);
      assert.ok(existsSync(theirs));
    });
  });

  faultCase(AREA, 'a process holding a real kernel killed with -9 (and its kernel): the cleanup each backend and run do at start removes the HMAC key it left', async () => {
    const clientUrl = pathToFileURL(join(repoRoot, 'dist', 'src', 'main', 'kernel', 'client.js')).href;
    const script = join(mkdtempSync(join(tmpdir(), 'babelscope-fault-left-')), 'holder.mjs');
    writeFileSync(script, `import { KernelClient } from ${JSON.stringify(clientUrl)};\nawait KernelClient.start();\nprocess.stdout.write('up\\n');\nsetInterval(() => {}, 1000);\n`);
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith(KERNEL_DIR_PREFIX)));
    const holder = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.once('data', () => resolve());
        holder.once('close', (c) => reject(new Error(`the kernel holder exited (${c})`)));
      });
      const mine = readdirSync(tmpdir()).filter((n) => n.startsWith(KERNEL_DIR_PREFIX) && !before.has(n)).map((n) => join(tmpdir(), n));
      assert.equal(mine.length, 1, 'one new kernel folder');
      const folder = mine[0]!;
      // The kernel process: the one whose command line names the folder's connection file.
      const kernelPid = readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .find((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${folder}/connection.json`);
          } catch {
            return false;
          }
        });
      assert.ok(kernelPid, 'the kernel runs');
      utimesSync(folder, HOUR_AGO, HOUR_AGO);
      assert.ok(!removeDeadKernelFiles().includes(folder), 'kept while the kernel runs');
      holder.kill('SIGKILL');
      process.kill(Number(kernelPid), 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(existsSync(join(folder, 'connection.json')), 'the crash left the key behind');
      assert.ok(removeDeadKernelFiles().includes(folder));
      assert.ok(!existsSync(folder));
    } finally {
      holder.kill('SIGKILL');
      rmSync(join(script, '..'), { recursive: true, force: true });
    }
  });
}

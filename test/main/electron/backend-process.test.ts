/**
 * The shell never leaves a backend behind: `stopChild` ends a cooperative child with SIGTERM and a
 * stuck one with SIGKILL after the grace period; `babelscope serve` started with EXIT_WITH_PARENT_ENV
 * stops by itself when the process that started it is killed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { EXIT_WITH_PARENT_ENV, stopChild } from '../../../src/main/electron/backend-process.js';
import { cliPath } from '../../helpers/cli.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('stopChild: a child that handles SIGTERM exits with it; one that ignores it is killed after the grace period', async () => {
  const ready = (child: ReturnType<typeof spawn>) => new Promise((r) => child.stdout!.once('data', r));
  const polite = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => process.exit(0)); console.log("up"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await ready(polite);
  assert.deepEqual(await stopChild(polite, 10_000), { code: 0, signal: null, forced: false });

  const stuck = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); console.log("up"); for (;;) {}'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await ready(stuck);
  const r = await stopChild(stuck, 300);
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(r.forced, true);
  assert.equal(alive(stuck.pid!), false);

  // An already ended child resolves at once.
  assert.equal((await stopChild(stuck, 300)).signal, 'SIGKILL');
});

it('serve started by the shell stops by itself when the shell is killed', async () => {
  const workspace = mkdtempSync(join(tmpdir(), 'babelscope-shell-parent-'));
  try {
    // A stand-in for the Electron main process: starts serve as main.ts does, prints its pid, waits.
    const shell = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const c = spawn(process.execPath, [${JSON.stringify(cliPath)}, 'serve', ${JSON.stringify(workspace)}, '--json', '--no-open'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ${EXIT_WITH_PARENT_ENV}: '1' } });
         c.stdout.once('data', () => console.log(c.pid));
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const servePid = Number(await new Promise<string>((r) => shell.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))));
    assert.ok(alive(servePid));
    shell.kill('SIGKILL');
    for (let i = 0; i < 300 && alive(servePid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(servePid), false, 'serve stopped once its parent was gone');
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});

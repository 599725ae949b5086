/** `babelscope serve` and `npm start`'s fallback to browser mode, as processes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { cliPath } from '../../helpers/cli.js';
import { repoRoot } from '../../helpers/paths.js';

/** Starts the CLI, waits for the line that carries the URL, returns it with stderr so far and a stopper. */
function launch(args: string[], urlLine: RegExp) {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = urlLine.exec(line);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  return { url, stderr: () => stderr, stop: () => (child.kill('SIGTERM'), exited), kill: () => void child.kill('SIGKILL') };
}

describe('serve and start', () => {
  it('serve --json prints the URL with its token; the page needs the token; SIGTERM stops it cleanly', async (t) => {
    const app = launch(['serve', '--json', '--device', 'cpu'], /^(\{.*\})$/);
    t.after(() => app.kill()); // a failed assertion would otherwise leave the server (and the test) running
    const { url, origin } = JSON.parse(await app.url) as { url: string; origin: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    // The page holds no secret; the calls need the token.
    assert.equal((await fetch(`${origin}/api/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"method":"model","params":{}}' })).status, 403);
    assert.equal(await app.stop(), 0);
  });

  it('npm start without an Electron binary says so in one line and serves browser mode', { skip: existsSync(join(repoRoot, 'node_modules', 'electron', 'path.txt')) && 'an Electron binary is installed here' }, async (t) => {
    const app = launch(['start', '--no-open', '--device', 'cpu'], /running at (http\S+)/);
    t.after(() => app.kill());
    const url = await app.url;
    assert.equal((await fetch(url)).status, 200);
    const lines = app.stderr().trim().split('\n');
    assert.match(lines[0]!, /^Electron is not available \(.+\); starting browser mode\.$/);
    assert.equal(lines.length, 1, app.stderr());
    assert.equal(await app.stop(), 0);
  });
});

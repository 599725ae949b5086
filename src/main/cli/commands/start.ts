/**
 * `npm start`: the desktop app. Electron when its binary is there (electron's own installer fetches it
 * on first launch); otherwise one line saying why, and browser mode: the same renderer, served locally.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ELECTRON_INSTALL_NODE, nodeCanInstallElectron } from '../../electron/policy.js';
import { addServeOptions, serve, type ServeOptions } from './serve.js';

const require = createRequire(import.meta.url);
const electronMain = join(fileURLToPath(import.meta.url), '..', '..', '..', 'electron', 'main.js');

/**
 * The Electron binary's path, or why there is none. Its install script is not run by npm install
 * (denied in allowScripts: it downloads, and installs must work offline), so the first launch runs it.
 */
export function electronBinary(): { path: string } | { problem: string } {
  if (process.env['BABELSCOPE_NO_ELECTRON']) return { problem: 'disabled by BABELSCOPE_NO_ELECTRON' };
  let pkgDir: string;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    // Electron is optional (most users run headless): say in one line how to get the desktop app.
    return { problem: 'the desktop app is optional; get it with `npm install -g electron` beside a global babelscope, or `npm install electron` in a checkout' };
  }
  const installed = (): string | null => {
    try {
      const full = join(pkgDir, 'dist', readFileSync(join(pkgDir, 'path.txt'), 'utf8').trim());
      return existsSync(full) ? full : null;
    } catch {
      return null;
    }
  };
  const ready = installed();
  if (ready) return { path: ready };
  if (!nodeCanInstallElectron(process.version))
    return { problem: `its binary is not installed, and Electron's installer needs Node >= ${ELECTRON_INSTALL_NODE.join('.')} (this is ${process.version}); run \`node node_modules/electron/install.js\` with a newer Node once` };
  const r = spawnSync(process.execPath, [join(pkgDir, 'install.js')], { cwd: pkgDir, encoding: 'utf8', stdio: 'pipe', timeout: 300_000 });
  const after = installed();
  if (after) return { path: after };
  const why = `${r.stderr ?? ''}\n${r.error?.message ?? ''}`.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('at ') && !/^[{}\]]/.test(l));
  return { problem: `its binary could not be downloaded${why.length ? `: ${why[0]!.slice(0, 120)}` : ''}` };
}

export function registerStart(program: Command): void {
  addServeOptions(program.command('start').argument('[dir]', 'workspace folder with your notebooks (default: the current folder)').description('open the Babelscope app: Electron when available, else browser mode'))
    .option('--browser', 'browser mode even when Electron is available')
    .action(async (dir: string | undefined, o: ServeOptions & { browser?: boolean }) => {
      const electron = o.browser ? { problem: '--browser was given' } : electronBinary();
      if ('path' in electron) {
        const env = { ...process.env, BABELSCOPE_NODE: process.execPath, BABELSCOPE_WORKSPACE: dir ?? process.cwd(), BABELSCOPE_MODEL: o.model ?? '', BABELSCOPE_DEVICE: o.device };
        const child = spawn(electron.path, [electronMain], { stdio: 'inherit', env });
        const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 0)));
        process.exitCode = code;
        return;
      }
      process.stderr.write(`Electron is not available (${electron.problem}); starting browser mode.\n`);
      await serve(dir, o);
    });
}

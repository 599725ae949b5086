import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { UserError } from '../../../shared/errors.js';
import { ModelSlot } from '../../server/model-slot.js';
import { startServer } from '../../server/server.js';
import { parseIntOption } from '../common.js';
import type { DeviceRequest } from '../../../shared/model-types.js';
import { Option } from 'commander';
import { bundledModelDir } from './tour.js';
import { EXIT_WITH_PARENT_ENV } from '../../electron/backend-process.js';
import { OPTION_DEFAULTS } from '../../api/index.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

export interface ServeOptions {
  port?: number;
  json?: boolean;
  /** commander's --no-open */
  open?: boolean;
  model?: string;
  device: DeviceRequest;
  /** Seconds a store-browser query may run. */
  queryTimeout?: number;
}

/** Opens `url` in the default browser, as Jupyter does; a machine without one just gets the printed URL. */
function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

/** Calls `gone` once the process that started this one has ended (this one is then re-parented). */
function watchParent(gone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.stderr.write(`babelscope serve: the process that started it (pid ${parent}) is gone; stopping\n`);
    gone();
  }, 1000);
  timer.unref();
}

function workspaceDir(dir: string | undefined): string {
  const ws = resolve(dir ?? '.');
  if (!existsSync(ws) || !statSync(ws).isDirectory()) throw new UserError(`${ws} is not a folder`, 'Pass the folder that holds (or will hold) your notebooks: babelscope serve DIR');
  return ws;
}

/** Serves the workbench for a workspace folder until SIGINT/SIGTERM; prints the URL (with its token) on stdout. */
export async function serve(dir: string | undefined, o: ServeOptions): Promise<void> {
  const workspace = workspaceDir(dir);
  const models = new ModelSlot(resolve(o.model ?? bundledModelDir), o.device);
  const server = await startServer({ models, workspace, ...withoutUndefined({ port: o.port, queryTimeoutMs: o.queryTimeout === undefined ? undefined : o.queryTimeout * 1000 }) });
  process.stdout.write(o.json ? JSON.stringify({ url: server.url, origin: server.origin }) + '\n' : `Babelscope is running at ${server.url}\n(workspace ${workspace}; Ctrl+C stops it)\n`);
  if (o.open !== false && !o.json) openBrowser(server.url);
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    // `on`, not `once`: Slurm's scancel signals every process of the job and a wrapper script may pass
    // SIGTERM on as well; a second one must not kill the server while it shuts its kernels down.
    process.on('SIGTERM', stop);
    if (process.env[EXIT_WITH_PARENT_ENV] === '1') watchParent(stop);
  });
  await server.close();
  await models.dispose();
}

export function addServeOptions(cmd: Command): Command {
  return cmd
    .option('--port <n>', 'port (default: any free one)', parseIntOption('--port', 0, 65535))
    .option('--no-open', 'do not open a browser')
    .option('--model <dir>', 'model folder for the panels (default: the bundled tiny-babel model)')
    .addOption(new Option('--device <device>', 'where to run the model').choices(['auto', 'cpu', 'cuda']).default(OPTION_DEFAULTS.openModel.device))
    .option('--query-timeout <seconds>', 'stop a store-browser SQL query after this many seconds (default 10)', parseIntOption('--query-timeout', 1, 86_400))
    .option('--json', 'print {"url","origin"} as JSON (and open no browser)');
}

export function registerServe(program: Command): void {
  addServeOptions(
    program.command('serve').argument('[dir]', 'workspace folder with your notebooks (default: the current folder)').description('serve the Babelscope workbench on 127.0.0.1 (browser mode); prints the URL with its access token'),
  ).action((dir: string | undefined, o: ServeOptions) => serve(dir, o));
}

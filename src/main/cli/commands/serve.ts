import type { Command } from 'commander';
import { startServer } from '../../server/server.js';
import { addModelOptions, openModel, parseIntOption, type ModelOptions } from '../common.js';
import { bundledModelDir } from './tour.js';

export interface ServeOptions extends ModelOptions {
  port?: number;
  json?: boolean;
}

/** Serves the renderer for a model until SIGINT/SIGTERM; prints the URL (with its token) on stdout. */
export async function serve(dir: string | undefined, o: ServeOptions): Promise<void> {
  const model = await openModel(dir ?? bundledModelDir, o);
  const server = await startServer(model, o.port !== undefined ? { port: o.port } : {});
  process.stdout.write(o.json ? JSON.stringify({ url: server.url, origin: server.origin }) + '\n' : `Babelscope is running at ${server.url}\n(Ctrl+C stops it)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await model.dispose();
}

export function registerServe(program: Command): void {
  addModelOptions(program.command('serve').argument('[dir]', 'model folder (default: the bundled tiny-babel model)').description('serve the Babelscope app on 127.0.0.1 (browser mode); prints the URL with its access token'))
    .option('--port <n>', 'port (default: any free one)', parseIntOption('--port', 0, 65535))
    .option('--json', 'print {"url","origin"} as JSON')
    .action((dir: string | undefined, o: ServeOptions) => serve(dir, o));
}

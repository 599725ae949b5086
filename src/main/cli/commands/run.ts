import { Option, type Command } from 'commander';
import { UserError } from '../../../shared/errors.js';
import { runNotebook } from '../../notebook/run.js';
import { output, parseFloatOption, type OutputOptions } from '../common.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

interface RunCliOptions extends OutputOptions {
  out?: string;
  figures?: string;
  format: 'svg' | 'png' | 'pdf';
  device?: string;
  timeout?: number;
  allowErrors?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('<notebook>', 'a .ipynb notebook (TypeScript, Babelscope kernel)')
    .description('run every code cell of a notebook headless and save the outputs (a progress line per cell on stderr)')
    .option('--out <file>', 'write the executed notebook here instead of over NOTEBOOK')
    .option('--figures <dir>', 'export every Plotly figure into this existing folder')
    .addOption(new Option('--format <format>', 'figure file format').choices(['svg', 'png', 'pdf']).default('svg'))
    .addOption(new Option('--device <device>', 'default device for models opened by the cells (BABELSCOPE_DEVICE)').choices(['auto', 'cpu', 'cuda']))
    .option('--timeout <seconds>', 'interrupt a cell that runs longer than this', parseFloatOption('--timeout', 0.001, 1e9))
    .option('--allow-errors', 'keep running the next cells after a failing one')
    .option('--json', 'print the run report as JSON')
    .action(async (notebook: string, o: RunCliOptions) => {
      const abort = new AbortController();
      const onSigint = () => {
        process.stderr.write('interrupting the running cell (Ctrl-C again to quit now)\n');
        process.removeListener('SIGINT', onSigint);
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const report = await runNotebook(notebook, {
          ...withoutUndefined({ out: o.out || undefined, figuresDir: o.figures || undefined, device: o.device || undefined, timeoutSec: o.timeout }),
          format: o.format,
          allowErrors: Boolean(o.allowErrors),
          log: (line) => process.stderr.write(line + '\n'),
          signal: abort.signal,
        });
        output(o, report, () => `wrote ${report.path} (${report.cells.length} cell(s) run${report.figures.length ? `, ${report.figures.length} figure(s)` : ''})`);
        if (report.failed) {
          const f = report.failed;
          throw new UserError(`cell ${f.index + 1} (id ${f.id}) failed: ${f.error}`, `The outputs up to and including that cell are saved in ${report.path}; fix the cell and run again.`);
        }
        if (abort.signal.aborted) throw new UserError('the run was interrupted (Ctrl-C)', `The outputs so far are saved in ${report.path}.`);
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    });
}

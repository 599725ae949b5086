#!/usr/bin/env node
/** The `babelscope` command line: JSON on stdout with --json; progress and messages on stderr. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CancellationError, isUserError } from '../../shared/errors.js';
import { registerAblate } from './commands/ablate.js';
import { registerActivations } from './commands/activations.js';
import { registerAlign } from './commands/align.js';
import { registerCapture } from './commands/capture.js';
import { registerCodeSwitch } from './commands/codeswitch.js';
import { registerFertility } from './commands/fertility.js';
import { registerCompare } from './commands/compare.js';
import { registerLape } from './commands/lape.js';
import { registerExport } from './commands/export.js';
import { registerMerge } from './commands/merge.js';
import { registerGenerate } from './commands/generate.js';
import { registerInspect } from './commands/inspect.js';
import { registerKernel } from './commands/kernel.js';
import { registerLens } from './commands/lens.js';
import { registerRun } from './commands/run.js';
import { registerScoreCompletions } from './commands/score-completions.js';
import { registerServe } from './commands/serve.js';
import { registerStart } from './commands/start.js';
import { registerTour } from './commands/tour.js';
import { registerWorkingLanguage } from './commands/working-language.js';
import { registerLatentLanguage } from './commands/latent-language.js';

/** This package's version, from its package.json (dist/src/main/cli → the package root). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('babelscope')
    .description('Study how multilingual language models handle languages: activations, logit lens, language neurons.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--verbose', 'show stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\nEvery metric, its paper and reference code, definition and chance level: ${fileURLToPath(new URL('../../../../METRICS.md', import.meta.url))}`)
    .exitOverride();
  registerStart(program);
  registerServe(program);
  registerTour(program);
  registerInspect(program);
  registerLens(program);
  registerActivations(program);
  registerGenerate(program);
  registerCapture(program);
  registerMerge(program);
  registerExport(program);
  registerLape(program);
  registerAlign(program);
  registerAblate(program);
  registerCodeSwitch(program);
  registerFertility(program);
  registerScoreCompletions(program);
  registerWorkingLanguage(program);
  registerLatentLanguage(program);
  registerCompare(program);
  registerKernel(program);
  registerRun(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const verbose = argv.includes('--verbose');
    // Ctrl-C: the command saved what it could and says how to go on; 130 is the shell's code for SIGINT.
    if (e instanceof CancellationError) {
      process.stderr.write(`${e.message}\n`);
      return 130;
    }
    if (isUserError(e)) {
      process.stderr.write(`error: ${e.message}${e.hint ? `\n  ${e.hint}` : ''}\n`);
      if (verbose && e.stack) process.stderr.write(e.stack + '\n');
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`error: ${err.message ?? String(e)}\n${verbose ? (err.stack ?? '') + '\n' : '  (run with --verbose for the stack trace)\n'}`);
    return 2;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});

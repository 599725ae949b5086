import type { Command } from 'commander';
import { installKernelspec } from '../../kernel/kernelspec.js';
import { output, type OutputOptions } from '../common.js';

export function registerKernel(program: Command): void {
  const kernel = program.command('kernel').description('the Jupyter kernel that runs TypeScript notebooks');
  kernel
    .command('install')
    .description('install the "TypeScript (Babelscope)" kernelspec for JupyterLab, VS Code and jupyter nbconvert')
    .option('--user', "into your user's Jupyter folder (the default)")
    .option('--prefix <dir>', 'into DIR/share/jupyter/kernels (point JUPYTER_PATH at DIR/share/jupyter)')
    .option('--json', 'print JSON')
    .action((o: { user?: boolean; prefix?: string } & OutputOptions) => {
      const dir = installKernelspec(o);
      output(o, { name: 'babelscope', dir }, () => `installed kernelspec "babelscope" (TypeScript (Babelscope)) in ${dir}`);
    });
}

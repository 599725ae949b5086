import { Option, type Command } from 'commander';
import { UserError } from '../../../shared/errors.js';
import { activations } from '../../api/index.js';
import { addModelOptions, output, parseIntOption, requireText, showToken, withModel, type ModelOptions, type OutputOptions } from '../common.js';

export function registerActivations(program: Command): void {
  addModelOptions(program.command('activations').argument('<dir>', 'model folder').description('MLP neuron activations or the residual stream at one layer'))
    .requiredOption('--text <text>', 'text to run')
    .addOption(new Option('--point <point>', 'what to read').choices(['mlp', 'residual']).makeOptionMandatory())
    .requiredOption('--layer <n>', 'block index', parseIntOption('--layer', 0))
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & { text: string; point: 'mlp' | 'residual'; layer: number }) => {
      const text = requireText(o.text);
      await withModel(dir, o, async (model) => {
        if (o.layer >= model.info.numLayers) throw new UserError(`--layer ${o.layer} does not exist`, `This model has layers 0..${model.info.numLayers - 1}.`);
        const r = await activations(model, { text, point: o.point, layer: o.layer });
        const [positions, width] = r.shape;
        output(o, r, () =>
          r.values.map((row, p) => `${showToken(r.tokens[p]!).padEnd(12)} ${row.slice(0, 8).map((v) => v.toFixed(4).padStart(9)).join(' ')}${width > 8 ? ' …' : ''}`).join('\n') +
          `\n[${positions} × ${width}] ${r.point}`,
        );
      });
    });
}

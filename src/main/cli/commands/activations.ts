import { Option, type Command } from 'commander';
import { UserError } from '../../../shared/errors.js';
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
        const tap = `${o.point === 'mlp' ? 'mlp_act' : 'resid_post'}.${o.layer}`;
        const enc = await model.tokenizer.encode(text);
        const r = await model.forward({ inputIds: [enc.ids], taps: [tap], logits: false });
        const t = r.taps[tap]!;
        const width = t.dims[2]!;
        const values = enc.ids.map((_, p) => Array.from(t.data.subarray(p * width, (p + 1) * width)));
        output(o, { tokens: enc.tokens, point: tap, shape: [enc.ids.length, width], values }, () =>
          values.map((row, p) => `${showToken(enc.tokens[p]!).padEnd(12)} ${row.slice(0, 8).map((v) => v.toFixed(4).padStart(9)).join(' ')}${width > 8 ? ' …' : ''}`).join('\n') +
          `\n[${enc.ids.length} × ${width}] ${tap}`,
        );
      });
    });
}

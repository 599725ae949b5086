import type { Command } from 'commander';
import { generate, OPTION_DEFAULTS } from '../../api/index.js';

const DEFAULTS = OPTION_DEFAULTS.generate;
import { addModelOptions, output, parseFloatOption, parseIntOption, requireText, withModel, type ModelOptions, type OutputOptions } from '../common.js';

export function registerGenerate(program: Command): void {
  addModelOptions(program.command('generate').argument('<dir>', 'model folder').description('generate a continuation (greedy unless --temperature > 0)'))
    .requiredOption('--prompt <text>', 'prompt text')
    .option('--max-new-tokens <n>', 'tokens to generate', parseIntOption('--max-new-tokens', 0, 100_000), DEFAULTS.maxNewTokens)
    .option('--temperature <t>', '0 = greedy', parseFloatOption('--temperature', 0, 100), DEFAULTS.temperature)
    .option('--top-p <p>', 'nucleus sampling mass', parseFloatOption('--top-p', 0, 1), DEFAULTS.topP)
    .option('--seed <n>', 'random seed for sampling', parseIntOption('--seed', 0), DEFAULTS.seed)
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & { prompt: string; maxNewTokens: number; temperature: number; topP: number; seed: number }) => {
      const prompt = requireText(o.prompt, '--prompt');
      await withModel(dir, o, async (model) => {
        const r = await generate(model, { prompt, maxNewTokens: o.maxNewTokens, temperature: o.temperature, topP: o.topP, seed: o.seed });
        output(o, r, () => prompt + r.text);
      });
    });
}

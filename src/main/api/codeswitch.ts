/**
 * Code-switching: generate from prompts in each language (greedy + sampled), optionally with a
 * language's LAPE neurons ablated or amplified, and measure language confusion (LCB LPR/WPR/LCPR),
 * code-switch rate, CMI and the first off-target token of each response.
 */
import { UserError } from '../../shared/errors.js';
import { codeSwitchReport, type CodeSwitchReport, type LanguageConfusionSummary, type ResponseAnalysis } from '../analysis/codeswitch.js';
import { LANGUAGE_LABEL_SYSTEM } from '../analysis/language-codes.js';
import { createFastTextIdentifier, type LanguageIdentifier } from '../analysis/language-id.js';
import { generateResponses, tokenIndexAtChar, type GeneratedResponse, type GenerationPlan } from '../capture/codeswitch-run.js';
import { languageNeuronInterventions } from '../capture/language-interventions.js';
import { latestLape, requireCaptureRun } from '../capture/stored-runs.js';
import type { Model } from '../model/model.js';
import type { NeuronIntervention } from '../model/types.js';
import { limitsOf } from './capture.js';
import { loadCorpus, type CorpusLimitOptions, type CorpusSource } from './corpus.js';
import { progressWithAbort, type LongRunningOptions } from './progress.js';
import { withStoreSync, type ProjectStore } from './store.js';

/** Options of `codeSwitch`. */
export interface CodeSwitchOptions extends LongRunningOptions, CorpusLimitOptions {
  model: Model;
  /** Prompts; a response should stay in its prompt's language. */
  prompts: CorpusSource;
  /** Scale one language's LAPE neurons (from `store`) while generating. */
  intervention?: {
    mode: 'ablate' | 'amplify';
    lang: string;
    /** The store (or path) with the LAPE result. */
    store: ProjectStore | string;
    /** Capture run whose LAPE neurons to use; default `capture`. */
    run?: string;
    /** Scale for `amplify`; default 2. */
    factor?: number;
  };
  /** With an intervention, also generate without it and compare; default true. */
  baseline?: boolean;
  /** Tokens per response; default 48. */
  maxNewTokens?: number;
  /** Prompts keep their first N tokens; default 64. */
  maxPromptTokens?: number;
  /** Sampled responses per prompt besides the greedy one; default 1. */
  samples?: number;
  /** Default 0.8. */
  temperature?: number;
  /** Default 0.95. */
  topP?: number;
  /** Seed of the sampled responses; default 0. */
  seed?: number;
  /** Words in a script shared by several languages: 'inherit' their line's language (default), or 'model': word-level identification (needed for CMI between same-script languages). */
  wordLevel?: 'inherit' | 'model';
  /** Language identifier for lines and words; default fastText lid.176. */
  identifier?: LanguageIdentifier;
  /** The model folder as recorded in the output (default: the model's own folder). */
  modelName?: string;
}

/** The intervention as applied. */
export interface InterventionInfo {
  mode: 'ablate' | 'amplify';
  lang: string;
  scale: number;
  neurons: number;
  db: string;
  run: string;
}

/** LCB numbers of one prompt language (or all). */
export interface ConfusionSummary {
  responses: number;
  non_skipped: number;
  line_errors: number;
  word_errors: number;
  /** Line pass rate: share of responses whose every line is in the prompt language. */
  lpr: number;
  /** Word pass rate (null where words cannot be told apart). */
  wpr: number | null;
  /** Harmonic mean of LPR and WPR. */
  lcpr: number;
  code_switch_rate: number;
  mean_cmi: number;
}

/** LCB numbers over all prompt languages. */
export type OverallSummary = Pick<ConfusionSummary, 'responses' | 'lpr' | 'wpr' | 'lcpr' | 'code_switch_rate' | 'mean_cmi'>;

/** Prompt language × switched-to language: responses that switched to it (counts, and share of the row's responses). */
export interface SwitchMatrix {
  rows: string[];
  columns: string[];
  counts: number[][];
  rates: number[][];
}

/** One generated response and its analysis. */
export interface ResponseOutput {
  prompt_id: string;
  lang: string;
  mode: 'greedy' | 'sample';
  sample: number | null;
  seed: number | null;
  prompt_tokens: number;
  text: string;
  ids: number[];
  stopped_by: 'eos' | 'length' | 'context';
  skipped: boolean;
  line_error: boolean | null;
  word_error: boolean | null;
  code_switch: boolean;
  switched_to: string[];
  cmi: number;
  switch_points: number[];
  /** The first word not in the prompt language, and the generated token that produced it. */
  first_off_target: {
    word_index: number;
    word: string;
    char_offset: number;
    lang: string;
    /** 'word': the word's own script or word-level ID put it off target; 'line': only its line's language did. */
    basis: 'word' | 'line';
    token_index: number | null;
    /** Position in the whole sequence (prompt + generated), for `lens` / `activations`. */
    position: number | null;
    token: string | null;
  } | null;
  /** With a baseline: whether the intervention changed the response, and the response without it. */
  changed?: boolean;
  baseline_text?: string;
}

/** Everything `codeSwitch` measured, with its parameters and every response. */
export interface CodeSwitchOutput {
  model: string;
  prompts: string;
  prompt_count: number;
  samples: number;
  max_new_tokens: number;
  max_prompt_tokens: number;
  temperature: number;
  top_p: number;
  seed: number;
  intervention: InterventionInfo | null;
  word_level: 'inherit' | 'model';
  /** Every language label is ISO 639-3, with these macrolanguage choices. */
  language_labels: typeof LANGUAGE_LABEL_SYSTEM;
  overall: OverallSummary;
  by_language: Record<string, ConfusionSummary>;
  matrix: SwitchMatrix;
  /** The same numbers without the intervention (with `intervention` and `baseline`). */
  baseline?: { overall: OverallSummary; by_language: Record<string, ConfusionSummary>; matrix: SwitchMatrix; changed_responses: number };
  responses: ResponseOutput[];
}

/** Reads the intervention's neurons (UserError when the store or language has none). */
export function codeSwitchInterventions(i: NonNullable<CodeSwitchOptions['intervention']>): { info: InterventionInfo; interventions: NeuronIntervention[] } {
  const scale = i.mode === 'ablate' ? 0 : (i.factor ?? 2);
  const run = i.run ?? 'capture';
  return withStoreSync(i.store, { readonly: true, create: false }, (store) => {
    const interventions = languageNeuronInterventions(latestLape(store, requireCaptureRun(store, run)), i.lang, scale);
    return { info: { mode: i.mode, lang: i.lang, scale, neurons: interventions.length, db: store.path, run }, interventions };
  });
}

/** Generates and analyses; see the module comment. */
export async function codeSwitch(options: CodeSwitchOptions): Promise<CodeSwitchOutput> {
  const { model } = options;
  const intervention = options.intervention ? codeSwitchInterventions(options.intervention) : null;
  if (intervention) {
    withStoreSync(options.intervention!.store, { readonly: true, create: false }, (store) => store.assertSameModel(requireCaptureRun(store, intervention.info.run), model.info));
  }
  const identifier = options.identifier ?? (await createFastTextIdentifier());
  const promptsName = typeof options.prompts === 'string' ? options.prompts : 'array';
  const prompts = await loadCorpus(options.prompts, { ...limitsOf(options), model });
  if (prompts.length === 0) throw new UserError(`no prompts in ${promptsName}`);
  const plan: GenerationPlan = {
    samples: options.samples ?? 1,
    maxNewTokens: options.maxNewTokens ?? 48,
    temperature: options.temperature ?? 0.8,
    topP: options.topP ?? 0.95,
    seed: options.seed ?? 0,
    maxPromptTokens: options.maxPromptTokens ?? 64,
  };
  const runs = intervention && (options.baseline ?? true) ? 2 : 1;
  const perRun = prompts.length * (1 + plan.samples);
  const baselineProgress = progressWithAbort(options, 'baseline', 'code-switching');
  const baseline = runs === 2 ? await generateResponses(model, prompts, plan, (d) => baselineProgress(d, runs * perRun)) : null;
  const offset = runs === 2 ? perRun : 0;
  const progress = progressWithAbort(options, intervention ? `${intervention.info.mode} ${intervention.info.lang}` : 'generate', 'code-switching');
  const generated = await generateResponses(model, prompts, { ...plan, ...(intervention ? { interventions: intervention.interventions } : {}) }, (d) => progress(offset + d, runs * perRun));
  const wordLevel = options.wordLevel ?? 'inherit';
  const analyse = (g: GeneratedResponse[]) => codeSwitchReport(g.map((r) => ({ id: responseId(r), expected: r.lang, text: r.text })), identifier, { wordLevel });
  const report = analyse(generated);
  const baselineReport = baseline ? analyse(baseline) : null;
  const responses = await describeResponses(model, generated, report.responses, baseline);
  return {
    model: options.modelName ?? model.info.dir,
    prompts: promptsName,
    prompt_count: prompts.length,
    samples: plan.samples,
    max_new_tokens: plan.maxNewTokens,
    max_prompt_tokens: plan.maxPromptTokens,
    temperature: plan.temperature,
    top_p: plan.topP,
    seed: plan.seed,
    intervention: intervention?.info ?? null,
    word_level: wordLevel,
    language_labels: LANGUAGE_LABEL_SYSTEM,
    overall: overallJson(report),
    by_language: byLanguageJson(report),
    matrix: report.matrix,
    ...(baselineReport
      ? { baseline: { overall: overallJson(baselineReport), by_language: byLanguageJson(baselineReport), matrix: baselineReport.matrix, changed_responses: responses.filter((r) => r.changed).length } }
      : {}),
    responses,
  };
}

function responseId(g: GeneratedResponse): string {
  return `${g.lang}/${g.promptId}/${g.mode === 'greedy' ? 'greedy' : `sample${g.sample}`}`;
}

function summaryJson(s: LanguageConfusionSummary): ConfusionSummary {
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

function byLanguageJson(r: CodeSwitchReport): Record<string, ConfusionSummary> {
  return Object.fromEntries(Object.entries(r.byLanguage).map(([lang, s]) => [lang, summaryJson(s)]));
}

function overallJson(r: CodeSwitchReport): OverallSummary {
  const o = r.overall;
  return { responses: o.responses, lpr: o.lpr, wpr: o.wpr, lcpr: o.lcpr, code_switch_rate: o.codeSwitchRate, mean_cmi: o.meanCMI };
}

async function describeResponses(model: Model, generated: GeneratedResponse[], analyses: ResponseAnalysis[], baseline: GeneratedResponse[] | null): Promise<ResponseOutput[]> {
  return Promise.all(
    generated.map(async (g, i) => {
      const a = analyses[i]!;
      const b = baseline?.[i];
      let firstOffTarget: ResponseOutput['first_off_target'] = null;
      if (a.firstOffTarget) {
        const tokenIndex = await tokenIndexAtChar(model.tokenizer, g.promptIds, g.ids, a.firstOffTarget.charOffset);
        firstOffTarget = {
          word_index: a.firstOffTarget.wordIndex,
          word: a.words[a.firstOffTarget.wordIndex]!.text,
          char_offset: a.firstOffTarget.charOffset,
          lang: a.firstOffTarget.lang,
          basis: a.firstOffTarget.basis,
          token_index: tokenIndex,
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

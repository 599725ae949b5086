/**
 * Code-switching: generate from prompts in each language (greedy + sampled), optionally with a
 * language's LAPE neurons ablated or amplified, and measure language confusion (LPR/WPR/LCPR by the
 * Language Confusion Benchmark's rules, the scorer of `scoreCompletions`), code-switch rate, CMI,
 * Babelscope's foreign-word rate and the first off-target token of each response.
 */
import { UserError } from '../../shared/errors.js';
import { codeSwitchReport, type ConfusionSummary, type OverallSummary, type ResponseAnalysis, type ResponseVerdict, type SwitchMatrix } from '../analysis/codeswitch.js';

export type { ConfusionSummary, OverallSummary, ResponseVerdict, SwitchMatrix } from '../analysis/codeswitch.js';
import { LANGUAGE_LABEL_SYSTEM } from '../analysis/language-codes.js';
import { createFastTextIdentifier, createFastTextLabeler, type LanguageIdentifier } from '../analysis/language-id.js';
import { englishWordsFrom } from './score-completions.js';
import { generateResponses, tokenIndexAtChar, type GeneratedResponse, type GenerationPlan } from '../pipelines/codeswitch-run.js';
import { languageNeuronInterventions } from '../pipelines/language-interventions.js';
import { describeSelection, lapeSelection, requireCaptureRun } from '../pipelines/stored-runs.js';
import type { Model as Engine } from '../model/model.js';
import { engineOf, type Model } from './model.js';
import type { NeuronIntervention } from '../model/types.js';
import { limitsOf } from './capture.js';
import { loadCorpus, type CorpusLimitOptions, type CorpusSource } from './corpus.js';
import { longOperation, progressWithAbort, type LongRunningOptions } from './progress.js';
import { OPTION_DEFAULTS } from './defaults.js';
import { withStoreSync, type ProjectStore } from './store.js';
import { withoutUndefined } from '../../shared/without-undefined.js';

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
    /** Capture run whose newest LAPE selection to use; default `capture`. */
    run?: string;
    /** The LAPE selection (stored result id) to use instead of the run's newest. */
    selection?: number;
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
  /** Language identifier for lines and words; default fastText lid.176 (then LCB's lines get lid.176's raw top label, as LCB; with an identifier, its top label). */
  identifier?: LanguageIdentifier;
  /** The model folder as recorded in the output (default: the model's own folder). */
  modelName?: string;
  /** English words for LCB's WPR: a set, an array or a word-list file; default LCB's list. */
  englishWords?: ReadonlySet<string> | readonly string[] | string;
}

/** The intervention as applied. */
export interface InterventionInfo {
  mode: 'ablate' | 'amplify';
  lang: string;
  scale: number;
  neurons: number;
  db: string;
  run: string;
  /** The LAPE selection (result id) whose neurons were scaled. */
  selection: number;
  /** True when that selection was made from a capture that had not finished. */
  partial: boolean;
  /** One line naming the selection and its settings, for logs. */
  description: string;
}

/** One generated response and its analysis. */
export interface ResponseOutput extends ResponseVerdict {
  promptId: string;
  lang: string;
  mode: 'greedy' | 'sample';
  sample: number | null;
  seed: number | null;
  promptTokens: number;
  text: string;
  ids: number[];
  stoppedBy: 'eos' | 'length' | 'context';
  /** The first word not in the prompt language, and the generated token that produced it. */
  firstOffTarget: {
    wordIndex: number;
    word: string;
    charOffset: number;
    lang: string;
    /** 'word': the word's own script or word-level ID put it off target; 'line': only its line's language did. */
    basis: 'word' | 'line';
    tokenIndex: number | null;
    /** Position in the whole sequence (prompt + generated), for `lens` / `activations`. */
    position: number | null;
    token: string | null;
  } | null;
  /** With a baseline: whether the intervention changed the response, and the response without it. */
  changed?: boolean;
  baselineText?: string;
}

/** Everything `codeSwitch` measured, with its parameters and every response. */
export interface CodeSwitchOutput {
  model: string;
  prompts: string;
  promptCount: number;
  samples: number;
  maxNewTokens: number;
  maxPromptTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  intervention: InterventionInfo | null;
  wordLevel: 'inherit' | 'model';
  /** Every language label is ISO 639-3, with these macrolanguage choices. */
  languageLabels: typeof LANGUAGE_LABEL_SYSTEM;
  overall: OverallSummary;
  byLanguage: Record<string, ConfusionSummary>;
  matrix: SwitchMatrix;
  /** The same numbers without the intervention (with `intervention` and `baseline`). */
  baseline?: { overall: OverallSummary; byLanguage: Record<string, ConfusionSummary>; matrix: SwitchMatrix; changedResponses: number };
  responses: ResponseOutput[];
}

/** Reads the intervention's neurons (UserError when the store or language has none). */
function codeSwitchInterventions(i: NonNullable<CodeSwitchOptions['intervention']>): { info: InterventionInfo; interventions: NeuronIntervention[] } {
  const scale = i.mode === 'ablate' ? 0 : (i.factor ?? OPTION_DEFAULTS.codeSwitch.factor);
  return withStoreSync(i.store, { readonly: true, create: false }, (store) => {
    const selection = lapeSelection(store, i.run, i.selection);
    const interventions = languageNeuronInterventions(selection.result, i.lang, scale);
    return {
      info: {
        mode: i.mode,
        lang: i.lang,
        scale,
        neurons: interventions.length,
        db: store.path,
        run: selection.run.name,
        selection: selection.id,
        partial: selection.partial,
        description: describeSelection(selection, store.path),
      },
      interventions,
    };
  });
}

/** Generates and analyses; see the module comment. */
export function codeSwitch(options: CodeSwitchOptions): Promise<CodeSwitchOutput> {
  return longOperation(options, 'codeswitch', (o) => codeSwitchWith({ ...options, ...o }));
}

async function codeSwitchWith(options: CodeSwitchOptions): Promise<CodeSwitchOutput> {
  const model = engineOf(options.model);
  const intervention = options.intervention ? codeSwitchInterventions(options.intervention) : null;
  if (intervention) {
    withStoreSync(options.intervention!.store, { readonly: true, create: false }, (store) => store.assertSameModel(requireCaptureRun(store, intervention.info.run), model.info));
  }
  const identifier = options.identifier ?? (await createFastTextIdentifier());
  const labeler = options.identifier ? undefined : await createFastTextLabeler();
  const englishWords = englishWordsFrom(options.englishWords).words;
  const promptsName = typeof options.prompts === 'string' ? options.prompts : 'array';
  const prompts = await loadCorpus(options.prompts, { ...limitsOf(options), model });
  if (prompts.length === 0) throw new UserError(`no prompts in ${promptsName}`);
  const defaults = OPTION_DEFAULTS.codeSwitch;
  const plan: GenerationPlan = {
    samples: options.samples ?? defaults.samples,
    maxNewTokens: options.maxNewTokens ?? defaults.maxNewTokens,
    temperature: options.temperature ?? defaults.temperature,
    topP: options.topP ?? defaults.topP,
    seed: options.seed ?? defaults.seed,
    maxPromptTokens: options.maxPromptTokens ?? defaults.maxPromptTokens,
  };
  const runs = intervention && (options.baseline ?? defaults.baseline) ? 2 : 1;
  const perRun = prompts.length * (1 + plan.samples);
  const baselineProgress = progressWithAbort(options, 'baseline', 'code-switching');
  const baseline = runs === 2 ? await generateResponses(model, prompts, plan, (d) => baselineProgress(d, runs * perRun)) : null;
  const offset = runs === 2 ? perRun : 0;
  const progress = progressWithAbort(options, intervention ? `${intervention.info.mode} ${intervention.info.lang}` : 'generate', 'code-switching');
  const generated = await generateResponses(model, prompts, { ...plan, ...withoutUndefined({ interventions: intervention?.interventions }) }, (d) => progress(offset + d, runs * perRun));
  const wordLevel = options.wordLevel ?? defaults.wordLevel;
  const analyse = (g: GeneratedResponse[]) => codeSwitchReport(g.map((r) => ({ id: responseId(r), expected: r.lang, text: r.text })), identifier, withoutUndefined({ wordLevel, englishWords, labeler }));
  const report = analyse(generated);
  const baselineReport = baseline ? analyse(baseline) : null;
  const responses = await describeResponses(model, generated, report.responses, baseline);
  return {
    model: options.modelName ?? model.info.dir,
    prompts: promptsName,
    promptCount: prompts.length,
    samples: plan.samples,
    maxNewTokens: plan.maxNewTokens,
    maxPromptTokens: plan.maxPromptTokens,
    temperature: plan.temperature,
    topP: plan.topP,
    seed: plan.seed,
    intervention: intervention?.info ?? null,
    wordLevel: wordLevel,
    languageLabels: LANGUAGE_LABEL_SYSTEM,
    overall: report.overall,
    byLanguage: report.byLanguage,
    matrix: report.matrix,
    ...(baselineReport
      ? { baseline: { overall: baselineReport.overall, byLanguage: baselineReport.byLanguage, matrix: baselineReport.matrix, changedResponses: responses.filter((r) => r.changed).length } }
      : {}),
    responses,
  };
}

function responseId(g: GeneratedResponse): string {
  return `${g.lang}/${g.promptId}/${g.mode === 'greedy' ? 'greedy' : `sample${g.sample}`}`;
}

async function describeResponses(model: Engine, generated: GeneratedResponse[], analyses: ResponseAnalysis[], baseline: GeneratedResponse[] | null): Promise<ResponseOutput[]> {
  return Promise.all(
    generated.map(async (g, i) => {
      const a = analyses[i]!;
      const b = baseline?.[i];
      let firstOffTarget: ResponseOutput['firstOffTarget'] = null;
      if (a.firstOffTarget) {
        const tokenIndex = await tokenIndexAtChar(model.tokenizer, g.promptIds, g.ids, a.firstOffTarget.charOffset);
        firstOffTarget = {
          wordIndex: a.firstOffTarget.wordIndex,
          word: a.words[a.firstOffTarget.wordIndex]!.text,
          charOffset: a.firstOffTarget.charOffset,
          lang: a.firstOffTarget.lang,
          basis: a.firstOffTarget.basis,
          tokenIndex,
          position: tokenIndex === null ? null : g.promptTokens + tokenIndex,
          token: tokenIndex === null ? null : model.tokenizer.idToToken(g.ids[tokenIndex]!),
        };
      }
      return {
        promptId: g.promptId,
        lang: g.lang,
        mode: g.mode,
        sample: g.sample,
        seed: g.seed,
        promptTokens: g.promptTokens,
        text: g.text,
        ids: g.ids,
        stoppedBy: g.stoppedBy,
        skipped: a.skipped,
        lineError: a.lineError,
        wordError: a.wordError,
        offTargetLine: a.offTargetLine,
        foreignWord: a.foreignWord,
        codeSwitch: a.codeSwitch,
        switchedTo: a.switchedTo,
        cmi: a.cmi,
        switchPoints: a.switchPoints,
        firstOffTarget: firstOffTarget,
        ...(b ? { changed: b.ids.length !== g.ids.length || b.ids.some((id, k) => id !== g.ids[k]), baselineText: b.text } : {}),
      };
    }),
  );
}

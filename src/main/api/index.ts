/**
 * The Babelscope API: `import { … } from "babelscope"`. The one public surface that notebook cells,
 * users' scripts, the CLI and the backend call. Every function takes an options object and returns a
 * typed result; long operations take `onProgress` and an `AbortSignal`. Figures of the results are
 * in `babelscope/plots`. What a script's options and results need is here; the engine's own request and
 * result types are not (`etc/babelscope.api.md` is the reviewed list).
 *
 * @example
 *   import { openModel, capture, lape, bundledModelDir } from 'babelscope';
 *   import { neuronCountsChart } from 'babelscope/plots';
 *   const model = await openModel(bundledModelDir, { device: 'cpu' });
 *   await capture({ model, store: 'run.db', corpus: 'udhr:eng,rus,cmn', maxTextsPerLang: 20 });
 *   const neurons = lape({ store: 'run.db' });
 *   display(neuronCountsChart({ perLayer: neurons.perLayer }));
 *   await model.dispose();
 *
 * @packageDocumentation
 */
// Models: open, describe, read one text at a time.
export { openModel, withModel, inspectModel, layerTensorNames, lens, activations, generate, bundledModelDir, bundledCheckpointDirs, bundledCodeModelDir, bundledCodeTrainingLog, bundledCodeCheckpoints, bundledCodeParallelPrograms } from './model.js';
export type { Model, OpenModelOptions, ModelDescription, LensOptions, LensOutput, ActivationsOptions, ActivationsOutput, GenerateOptions, GenerateOutput } from './model.js';
export type { ModelInfo, TapPoint, TapKind, NormKind, Device, DeviceRequest } from '../../shared/model-types.js';
export type { NeuronIntervention } from '../model/types.js';
export type { Tokenizer, Encoded } from '../model/tokenizer.js';

// Corpora and stores.
export { loadCorpus, corpusLabel, DEFAULT_LABEL_LANGUAGES } from './corpus.js';
export type { CorpusSource, CorpusLimitOptions, LoadCorpusOptions } from './corpus.js';
export type { CorpusText } from '../../shared/corpus-text.js';
export { openStore, ProjectStore } from './store.js';
export type { OpenStoreOptions, ResultInfo } from './store.js';
export type { RunRecord, RunStatus, StoredResult } from '../store/index.js';
export type { ModelRef } from '../../shared/model-types.js';
export { RESULT_KINDS, NEURON_SELECTION_KINDS, type NeuronSelectionKind, type ResultKind, type ResultKinds, type ResultKindInfo, type ResultInput, type InputTarget, type ParamsOf, type ResultOf, type NllTotals, type CorpusParams } from '../../shared/result-kinds.js';
export { exportStore } from './export.js';
export type { ExportStoreOptions, ExportSummary, ExportedTable } from './export.js';

// Analyses.
export { capture, mergeShards } from './capture.js';
export type { CaptureOptions, CaptureSummary, MergeOptions, MergeSummary, MergedSourceSummary, PoolingChoice, PooledDtype, PooledEnd, Shard } from './capture.js';
export { lape, storedLape, describeLapeSelection, meanNll, ablate } from './neurons.js';
export type { LapeOptions, LapeOutput, LapeRun, LapeSelectionInfo, LapeResult, NeuronRef, MeanNllOptions, AblateOptions, AblationOutput, AblationMatrix, NeuronSelection, SelectivityResult, SelectiveNeuron } from './neurons.js';
export type { DiagonalEntry } from '../analysis/ablation-matrix.js';
export type { LearnedCheck, LapeThresholds, SelectivityThresholds, SelectivityUnits, SelectivityTest, EffectInterval } from '../../shared/result-types.js';
export type { JaccardChance } from '../../shared/significance.js';
export { workingLanguage } from './working-language.js';
export type { WorkingLanguageOptions, WorkingLanguageOutput, WorkingLanguageResult } from './working-language.js';
export type { WorkingLanguageTable, ChanceMass } from '../analysis/working-language.js';
export { latentLanguage, readWordList, bundledWordList } from './latent-language.js';
export type { LatentLanguageOptions, LatentLanguageOutput, LatentPromptResult, LatentTask, LayerSeries, DroppedConcept, VocabScheme, WordList } from './latent-language.js';
export { align } from './alignment.js';
export type { AlignOptions, AlignOutput, AlignmentResult, LayerIndexing, PoolingKind } from './alignment.js';
export type { LayerAlignment, PairSummary, PivotAlignment, PairMatrix, PairIntervals } from '../analysis/alignment.js';
export { codeSwitch } from './codeswitch.js';
export type { CodeSwitchOptions, CodeSwitchOutput, InterventionInfo, ConfusionSummary, OverallSummary, SwitchMatrix, ResponseOutput, ResponseVerdict } from './codeswitch.js';
export { scoreCompletions, readCompletionsFile, lcbEnglishWordsFile } from './score-completions.js';
export type { ScoreCompletionsOptions, ScoreCompletionsOutput, CompletionScoreRow, CompletionVerdict, CompletionRow, CompletionScore, LineLabeler, LcbRow } from './score-completions.js';
export type { Interval } from '../../shared/intervals.js';
export { fertility } from './fertility.js';
export type { FertilityOptions, FertilityOutput, FertilityRow, WordTokens } from './fertility.js';
export { compareCheckpoints } from './checkpoints.js';
export type { CompareCheckpointsOptions, CheckpointComparison, CheckpointComparisonOutput, CheckpointSelection } from './checkpoints.js';

// Token and text languages.
export { scriptEvidence, SHARED as SHARED_TOKEN_LABEL, UNKNOWN as UNKNOWN_TOKEN_LABEL } from '../analysis/token-language.js';
export type { TokenEvidence } from '../analysis/token-language.js';
export { CODE_KEYWORDS, keywordEvidence, exclusiveKeywords } from '../analysis/code-keywords.js';
export type { KeywordEvidence } from '../analysis/code-keywords.js';
export type { Script } from '../analysis/script.js';
export { toIso6393, LANGUAGE_LABEL_SYSTEM, MACROLANGUAGE_CHOICES } from '../analysis/language-codes.js';
export type { LanguageIdentifier, LanguagePrediction } from '../analysis/language-id.js';

// Every operation's defaults, one table that the CLI shows too.
export { OPTION_DEFAULTS } from './defaults.js';

// Progress, cancellation and errors.
export { AMBIENT_PROGRESS } from './progress.js';
export type { Progress, LongRunningOptions, AmbientProgress, AmbientOperation, OperationOutcome } from './progress.js';
export { UserError, CancellationError, isUserError } from '../../shared/errors.js';

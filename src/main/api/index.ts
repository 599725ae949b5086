/**
 * The Babelscope API: `import { … } from "babelscope"`. The one public surface that notebook cells,
 * users' scripts, the CLI and the backend call. Every function takes an options object and returns a
 * typed result; long operations take `onProgress` and an `AbortSignal`.
 *
 * @example
 *   import { openModel, capture, lape, bundledModelDir } from 'babelscope';
 *   const model = await openModel(bundledModelDir, { device: 'cpu' });
 *   await capture({ model, store: 'run.db', corpus: 'udhr:eng,rus,cmn', maxTextsPerLang: 20 });
 *   const neurons = lape({ store: 'run.db' });
 *   await model.dispose();
 *
 * @packageDocumentation
 */
export { openModel, withModel, inspectModel, layerTensorNames, lens, activations, generate, bundledModelDir, bundledCheckpointDirs, bundledCodeModelDir, bundledCodeTrainingLog, bundledCodeCheckpoints, bundledCodeParallelPrograms } from './model.js';
export type { OpenModelOptions, ModelDescription, LensOptions, LensOutput, ActivationsOptions, ActivationsOutput, GenerateOptions, GenerateOutput } from './model.js';
export { loadCorpus, corpusLabel, DEFAULT_LABEL_LANGUAGES } from './corpus.js';
export type { CorpusSource, CorpusLimitOptions, LoadCorpusOptions } from './corpus.js';
export { openStore, ProjectStore } from './store.js';
export type { OpenStoreOptions, ResultInfo } from './store.js';
export { capture, mergeShards } from './capture.js';
export type { CaptureOptions, CaptureSummary, MergeOptions, MergeSummary, PoolingChoice, Shard } from './capture.js';
export { lape, storedLape, describeLapeSelection, meanNll, ablate } from './neurons.js';
export type { LapeOptions, LapeOutput, LapeRun, LapeSelectionInfo, LapeResult, NeuronRef, MeanNllOptions, AblateOptions, AblationOutput, AblationMatrix, NeuronSelection, SelectivityResult, SelectiveNeuron } from './neurons.js';
export { workingLanguage, WORKING_LANGUAGE_RESULT } from './working-language.js';
export type { WorkingLanguageOptions, WorkingLanguageOutput, WorkingLanguageResult } from './working-language.js';
export { align } from './alignment.js';
export type { AlignOptions, AlignOutput, AlignmentResult, LayerIndexing, PoolingKind } from './alignment.js';
export { codeSwitch } from './codeswitch.js';
export type { CodeSwitchOptions, CodeSwitchOutput, InterventionInfo, ConfusionSummary, OverallSummary, SwitchMatrix, ResponseOutput } from './codeswitch.js';
export { scoreCompletions, readCompletionsFile, lcbEnglishWordsFile } from './score-completions.js';
export type { ScoreCompletionsOptions, ScoreCompletionsOutput, CompletionScoreRow, CompletionVerdict, CompletionRow, CompletionScore, LineLabeler } from './score-completions.js';
export type { Interval } from '../../shared/intervals.js';
export { fertility } from './fertility.js';
export type { FertilityOptions, FertilityOutput, FertilityRow, WordTokens } from './fertility.js';
export { exportStore } from './export.js';
export type { ExportStoreOptions, ExportSummary, ExportedTable } from './export.js';
export { compareCheckpoints } from './checkpoints.js';
export type { CompareCheckpointsOptions, CheckpointComparison } from './checkpoints.js';
export { OPTION_DEFAULTS } from './defaults.js';
export { AMBIENT_PROGRESS } from './progress.js';
export type { Progress, LongRunningOptions, AmbientProgress, AmbientOperation, OperationOutcome } from './progress.js';
export { Model } from '../model/model.js';
export type { ModelInfo, ModelRef, TapPoint, TapKind, NormKind, Device, DeviceRequest, Tensor } from '../../shared/model-types.js';
export type { NeuronIntervention, ForwardRequest, ForwardResult } from '../model/types.js';
export type { OpenOptions, LensRequest, LensResult, GenerateRequest, GenerateResult, CaptureStats, NllResult } from '../model/onnx-engine.js';
export type { Tokenizer, Encoded } from '../model/tokenizer.js';
export type { DiagonalEntry } from '../analysis/ablation-matrix.js';
export type { LearnedCheck, SelectivityOptions, SelectivityUnits, SelectivityTest, EffectInterval } from '../../shared/result-types.js';
export type { JaccardChance } from '../../shared/significance.js';
export type { LayerAlignment, PairSummary, PivotAlignment, PairMatrix, PairIntervals } from '../analysis/alignment.js';
export type { LapeOptions as LapeAnalysisOptions } from '../analysis/lape.js';
export type { WorkingLanguageTable, ChanceMass } from '../analysis/working-language.js';
export { scriptEvidence, SHARED, UNKNOWN } from '../analysis/token-language.js';
export type { TokenEvidence } from '../analysis/token-language.js';
export { CODE_KEYWORDS, keywordEvidence, exclusiveKeywords } from '../analysis/code-keywords.js';
export type { KeywordEvidence } from '../analysis/code-keywords.js';
export type { Script } from '../analysis/script.js';
export { toIso6393, LANGUAGE_LABEL_SYSTEM, MACROLANGUAGE_CHOICES } from '../analysis/language-codes.js';
export type { LanguageIdentifier, LanguagePrediction } from '../analysis/language-id.js';
export type { CorpusText } from '../../shared/corpus-text.js';
export type { RunRecord, RunStatus, StoredResult } from '../store/index.js';
export { RESULT_KINDS, type ResultKind, type ResultKinds, type ResultInput, type ParamsOf, type ResultOf, type NllTotals } from '../../shared/result-kinds.js';
export { UserError, CancellationError, isUserError } from '../../shared/errors.js';
export * from '../../shared/plots/index.js';
export { latentLanguage, readWordList, bundledWordList } from './latent-language.js';
export type { LatentLanguageOptions, LatentLanguageOutput, LatentPromptResult, LatentTask, LayerSeries, DroppedConcept, VocabScheme, WordList } from './latent-language.js';

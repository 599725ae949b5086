/** Plotly figure specs for the analyses: pure, shared by the kernel, the renderer and scripts. */
export type { PlotFigure, PlotTrace, PlotLayout } from './types.js';
export { OKABE_ITO, DASHES, FONT, SIZE, SEQUENTIAL, DIVERGING, LEGEND_ROW, seriesStyle, colorRange, withLegendRoom, type ColorRange } from './style.js';
export {
  layerLanguageHeatmap,
  layerLines,
  neuronCountsChart,
  similarityMatrix,
  deactivationMatrix,
  checkpointEvolution,
  categoryBars,
  type CategoryBarsInput,
  type PlotValue,
  type LayerLanguageHeatmapInput,
  type LineSeries,
  type LayerLinesInput,
  type NeuronCountsInput,
  type SimilarityMatrixInput,
  type DeactivationMatrixInput,
  type CheckpointEvolutionInput,
} from './figures.js';
export { alignmentLines, type AlignmentLinesInput, type AlignmentLinesResult, type ValuesByLanguage, type IntervalBand } from './alignment.js';
export { latentLanguageLines, type LatentLanguageLinesInput, type LatentBandSeries } from './latent-language.js';

/**
 * MEXA and retrieval per layer against the pivot, as `align` returns them: one line per language with
 * its 95 % interval (bootstrap over texts) as a band, and the permutation chance level with its
 * 2.5–97.5 % band in grey, both drawn unless turned off.
 */
import { layerLines, type LineSeries } from './figures.js';
import type { PlotFigure } from './types.js';

/** Values per language, one per layer. */
export type ValuesByLanguage<T> = Readonly<Record<string, readonly T[]>>;
/** A 95 % band around a value; null where none was computed. */
export type IntervalBand = { low: number; high: number } | null;

/** What `alignmentLines` reads of an `align` result (AlignmentResult fits). */
export interface AlignmentLinesResult {
  languages: readonly string[];
  layers: readonly { layer: number }[];
  layerIndexing?: 'hidden_states' | 'blocks';
  pivot: {
    pivot: string;
    mexa: ValuesByLanguage<number | null>;
    retrieval: ValuesByLanguage<number | null>;
    mexaInterval: ValuesByLanguage<IntervalBand>;
    retrievalInterval: ValuesByLanguage<IntervalBand>;
    chanceMexaByLayer: ValuesByLanguage<number | null>;
    chanceRetrieval: ValuesByLanguage<number | null>;
    mexaChanceBand: ValuesByLanguage<IntervalBand>;
    retrievalChanceBand: ValuesByLanguage<IntervalBand>;
  } | null;
}

/** Data of `alignmentLines`: an `align` result (its pivot part), and what to draw. */
export interface AlignmentLinesInput {
  result: AlignmentLinesResult;
  /** MEXA (default) or retrieval of the pivot's translation. */
  metric?: 'mexa' | 'retrieval';
  /** Languages to draw (default every one but the pivot). */
  languages?: readonly string[];
  /** Draw each line's 95 % interval (default true). */
  intervals?: boolean;
  /** Draw the chance level and its band (default true). */
  chance?: boolean;
  title?: string;
}

/**
 * MEXA and retrieval per layer of an `align` result, one line per language against the pivot, with their
 * 95 % intervals as bands and the permutation chance level with its 2.5–97.5 % band (both drawn by default).
 */
export function alignmentLines(input: AlignmentLinesInput): PlotFigure {
  const { result } = input;
  const p = result.pivot;
  if (!p) throw new Error('alignmentLines needs a result with a pivot language (align({ pivot }))');
  const metric = input.metric ?? 'mexa';
  const languages = input.languages ?? result.languages.filter((l) => l !== p.pivot);
  const values = metric === 'mexa' ? p.mexa : p.retrieval;
  const intervals = metric === 'mexa' ? p.mexaInterval : p.retrievalInterval;
  const series: LineSeries[] = languages.map((l) => {
    const iv = intervals[l] ?? [];
    const drawn = (input.intervals ?? true) && iv.some((v) => v !== null);
    return { name: l, values: values[l] ?? [], ...(drawn ? { lower: iv.map((v) => v?.low ?? null), upper: iv.map((v) => v?.high ?? null) } : {}) };
  });
  // The chance level of the first language drawn (each pair has its own; with equal text counts they agree closely).
  const first = languages[0];
  const chanceValues = first === undefined ? undefined : metric === 'mexa' ? p.chanceMexaByLayer[first] : p.chanceRetrieval[first];
  const band = first === undefined ? undefined : metric === 'mexa' ? p.mexaChanceBand[first] : p.retrievalChanceBand[first];
  const hasBand = band?.some((v) => v !== null) ?? false;
  const x = result.layers.map((l) => l.layer);
  const xTitle = result.layerIndexing === 'blocks' ? 'layer (block index)' : result.layerIndexing === 'hidden_states' ? 'layer (hidden_states: 0 = embedding output)' : 'layer';
  const what = metric === 'mexa' ? 'MEXA' : `retrieval of the ${p.pivot} translation`;
  return layerLines({
    title: input.title ?? `${what} per layer, against ${p.pivot}`,
    series,
    yTitle: metric === 'mexa' ? 'MEXA (share of texts)' : 'retrieval accuracy (share of texts)',
    x,
    xTitle,
    yRange: [0, 1.02],
    ...((input.chance ?? true) && chanceValues
      ? {
          chance: {
            value: chanceValues,
            ...(hasBand ? { low: band!.map((v) => v?.low ?? null), high: band!.map((v) => v?.high ?? null) } : {}),
            label: hasBand ? `chance (shuffled pairing, 2.5–97.5 %)` : 'chance',
          },
        }
      : {}),
  });
}

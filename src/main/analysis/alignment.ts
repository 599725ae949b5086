/**
 * Cross-lingual alignment across layers (MEXA, Kargaran et al. 2024, reference `compute_mexa.py`).
 *
 * Input: for each layer, for each language, text id → pooled residual vector (mean over tokens, or last
 * token: the caller pools). Texts with the same id in two languages are translations of each other.
 *
 * For a language pair (a, b) at a layer, let S[i][j] = cos(a_i, b_j) over the texts of a (rows) and b
 * (columns); the cosine of a zero vector is 0.
 * - meanCosine[a][b]: mean of S[i][i] over the ids present in both languages (parallel pairs).
 * - retrieval[a][b]: share of a's texts having a translation in b whose translation is the nearest
 *   neighbour among ALL texts of b: S[i][i] > S[i][j] for every other text j of b (strictly: a tie is a
 *   miss). Not symmetric.
 * - mexa[a][b]: on the square matrix of the shared ids only, the share of ids i for which S[i][i] is
 *   strictly greater than every other entry of its row and of its column (the reference's `mexa()`).
 *   Symmetric. With a single shared text there is nothing to beat and the score is 1 (the reference
 *   would fail on an empty max).
 * Entries are null where a pair shares no id (or a language is missing at a layer).
 * Summary over layers: mean, max and the first layer reaching the max, per pair, ignoring null layers.
 *
 * Cost: per layer and language pair, |a| × |b| dot products of the hidden size (float64).
 */
import { UserError } from '../../shared/errors.js';

/** [layer] language → text id → pooled vector [hidden]. */
export type PooledVectorsByLayer = ReadonlyArray<ReadonlyMap<string, ReadonlyMap<string, Float32Array>>>;

/** A pooled row as the store keeps it: parallel texts share `key`. */
export interface PooledRowLike {
  layer: number;
  lang: string;
  key: string;
  mean: Float32Array;
  last: Float32Array;
}

/** Group pooled rows (any order) into `PooledVectorsByLayer`, taking the mean or the last-token vector. */
export function pooledVectorsByLayer(rows: Iterable<PooledRowLike>, pooling: 'mean' | 'last'): PooledVectorsByLayer {
  const layers: Map<string, Map<string, Float32Array>>[] = [];
  for (const r of rows) {
    if (!(Number.isInteger(r.layer) && r.layer >= 0)) throw new UserError(`alignment: bad layer ${r.layer}`);
    while (layers.length <= r.layer) layers.push(new Map());
    const byLang = layers[r.layer]!;
    let texts = byLang.get(r.lang);
    if (!texts) byLang.set(r.lang, (texts = new Map()));
    if (texts.has(r.key)) throw new UserError(`alignment: text ${r.key} appears twice for ${r.lang} at layer ${r.layer}`);
    texts.set(r.key, pooling === 'mean' ? r.mean : r.last);
  }
  return layers;
}

export interface AlignmentOptions {
  /** Languages and their order in the matrices; default: every language seen, in first-seen order. */
  languages?: string[];
  /** Also report each language's MEXA against this language (the paper uses English). */
  pivot?: string;
}

/** A language × language matrix, rows and columns in `AlignmentResult.languages` order. */
export type PairMatrix = (number | null)[][];

/** Alignment numbers of one layer. */
export interface LayerAlignment {
  layer: number;
  /** [a][b] mean cosine similarity of parallel texts. */
  meanCosine: PairMatrix;
  /** [a][b] retrieval accuracy from a to b (see module comment). */
  retrieval: PairMatrix;
  /** [a][b] MEXA alignment score (symmetric). */
  mexa: PairMatrix;
  /** [a][b] number of ids present in both languages. */
  sharedTexts: number[][];
}

/** Mean and max over layers of a per-layer score. */
export interface PairSummary {
  mean: PairMatrix;
  max: PairMatrix;
  /** Layer index where the max is first reached. */
  maxLayer: PairMatrix;
}

/** Every language against one pivot language, per layer. */
export interface PivotAlignment {
  pivot: string;
  /** language → [layers] MEXA against the pivot (null where undefined). */
  mexa: Record<string, (number | null)[]>;
  mean: Record<string, number | null>;
  max: Record<string, number | null>;
  maxLayer: Record<string, number | null>;
}

/** Cross-lingual alignment per layer (similarities, retrieval, MEXA). */
export interface AlignmentResult {
  languages: string[];
  layers: LayerAlignment[];
  /** Over layers, per pair: MEXA mean/max. */
  mexaSummary: PairSummary;
  /** Over layers, per pair: mean cosine mean/max. */
  meanCosineSummary: PairSummary;
  pivot: PivotAlignment | null;
}

interface Unit {
  ids: string[];
  index: Map<string, number>;
  /** [texts × dim] unit-normalised rows (zero rows stay zero). */
  rows: Float64Array;
  dim: number;
}

function normalise(layer: number, lang: string, texts: ReadonlyMap<string, Float32Array>): Unit {
  const ids = [...texts.keys()];
  let dim = -1;
  for (const [id, v] of texts) {
    if (dim === -1) dim = v.length;
    else if (v.length !== dim) {
      throw new UserError(`alignment: layer ${layer}, ${lang}/${id} has ${v.length} dimensions, others ${dim}`);
    }
  }
  dim = Math.max(dim, 0);
  const rows = new Float64Array(ids.length * dim);
  ids.forEach((id, i) => {
    const v = texts.get(id)!;
    let ss = 0;
    for (let d = 0; d < dim; d++) ss += v[d]! * v[d]!;
    const norm = Math.sqrt(ss);
    if (norm > 0) for (let d = 0; d < dim; d++) rows[i * dim + d] = v[d]! / norm;
  });
  return { ids, index: new Map(ids.map((id, i) => [id, i])), rows, dim };
}

/** S[i][j] = cos(a_i, b_j), [|a| × |b|]. */
function cosineMatrix(a: Unit, b: Unit): Float64Array {
  const s = new Float64Array(a.ids.length * b.ids.length);
  const dim = a.dim;
  for (let i = 0; i < a.ids.length; i++) {
    const ai = i * dim;
    for (let j = 0; j < b.ids.length; j++) {
      const bj = j * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += a.rows[ai + d]! * b.rows[bj + d]!;
      s[i * b.ids.length + j] = dot;
    }
  }
  return s;
}

interface PairScores {
  shared: number;
  meanCosine: number | null;
  retrievalAB: number | null;
  retrievalBA: number | null;
  mexa: number | null;
}

function scorePair(a: Unit, b: Unit): PairScores {
  if (a.dim !== b.dim) throw new UserError(`alignment: languages disagree on the vector size (${a.dim} vs ${b.dim})`);
  const pairs: [number, number][] = [];
  for (const [id, i] of a.index) {
    const j = b.index.get(id);
    if (j !== undefined) pairs.push([i, j]);
  }
  const n = pairs.length;
  if (n === 0) return { shared: 0, meanCosine: null, retrievalAB: null, retrievalBA: null, mexa: null };
  const S = cosineMatrix(a, b);
  const nb = b.ids.length;
  const na = a.ids.length;
  const at = (i: number, j: number) => S[i * nb + j]!;
  let cosSum = 0;
  let hitsAB = 0;
  let hitsBA = 0;
  let mexaHits = 0;
  for (const [i, j] of pairs) {
    const d = at(i, j);
    cosSum += d;
    let rowAll = true;
    for (let jj = 0; jj < nb && rowAll; jj++) if (jj !== j && !(d > at(i, jj))) rowAll = false;
    let colAll = true;
    for (let ii = 0; ii < na && colAll; ii++) if (ii !== i && !(d > at(ii, j))) colAll = false;
    if (rowAll) hitsAB++;
    if (colAll) hitsBA++;
    let rowShared = true;
    let colShared = true;
    for (const [i2, j2] of pairs) {
      if (i2 === i) continue;
      if (!(d > at(i, j2))) rowShared = false;
      if (!(d > at(i2, j))) colShared = false;
      if (!rowShared || !colShared) break;
    }
    if (rowShared && colShared) mexaHits++;
  }
  return { shared: n, meanCosine: cosSum / n, retrievalAB: hitsAB / n, retrievalBA: hitsBA / n, mexa: mexaHits / n };
}

function summarise(perLayer: PairMatrix[], L: number): PairSummary {
  const mk = (): PairMatrix => Array.from({ length: L }, () => Array<number | null>(L).fill(null));
  const mean = mk();
  const max = mk();
  const maxLayer = mk();
  for (let a = 0; a < L; a++) {
    for (let b = 0; b < L; b++) {
      let sum = 0;
      let count = 0;
      perLayer.forEach((m, layer) => {
        const v = m[a]![b]!;
        if (v === null) return;
        sum += v;
        count++;
        const cur = max[a]![b]!;
        if (cur === null || v > cur) {
          max[a]![b] = v;
          maxLayer[a]![b] = layer;
        }
      });
      mean[a]![b] = count ? sum / count : null;
    }
  }
  return { mean, max, maxLayer };
}

/** Cross-lingual alignment per layer: mean cosine, retrieval accuracy and MEXA (see module comment). */
export function alignment(layers: PooledVectorsByLayer, options: AlignmentOptions = {}): AlignmentResult {
  let languages = options.languages;
  if (!languages) {
    const seen = new Set<string>();
    for (const layer of layers) for (const lang of layer.keys()) seen.add(lang);
    languages = [...seen];
  }
  if (new Set(languages).size !== languages.length) throw new UserError('alignment: languages must be distinct');
  const L = languages.length;
  const pivotIndex = options.pivot === undefined ? -1 : languages.indexOf(options.pivot);
  if (options.pivot !== undefined && pivotIndex < 0) {
    throw new UserError(`alignment: pivot ${options.pivot} is not among the languages`, `languages: ${languages.join(', ')}`);
  }
  const mk = <T>(fill: T): T[][] => Array.from({ length: L }, () => Array<T>(L).fill(fill));

  const results: LayerAlignment[] = layers.map((layer, l) => {
    const units = languages.map((lang) => {
      const texts = layer.get(lang);
      return texts && texts.size > 0 ? normalise(l, lang, texts) : null;
    });
    const meanCosine = mk<number | null>(null);
    const retrieval = mk<number | null>(null);
    const mexa = mk<number | null>(null);
    const sharedTexts = mk(0);
    for (let a = 0; a < L; a++) {
      for (let b = a; b < L; b++) {
        const ua = units[a];
        const ub = units[b];
        if (!ua || !ub) continue;
        const s = scorePair(ua, ub);
        sharedTexts[a]![b] = sharedTexts[b]![a] = s.shared;
        meanCosine[a]![b] = meanCosine[b]![a] = s.meanCosine;
        mexa[a]![b] = mexa[b]![a] = s.mexa;
        retrieval[a]![b] = s.retrievalAB;
        retrieval[b]![a] = s.retrievalBA;
      }
    }
    return { layer: l, meanCosine, retrieval, mexa, sharedTexts };
  });

  const mexaSummary = summarise(
    results.map((r) => r.mexa),
    L,
  );
  let pivot: PivotAlignment | null = null;
  if (pivotIndex >= 0) {
    const p: PivotAlignment = { pivot: options.pivot!, mexa: {}, mean: {}, max: {}, maxLayer: {} };
    languages.forEach((lang, a) => {
      p.mexa[lang] = results.map((r) => r.mexa[a]![pivotIndex]!);
      p.mean[lang] = mexaSummary.mean[a]![pivotIndex]!;
      p.max[lang] = mexaSummary.max[a]![pivotIndex]!;
      p.maxLayer[lang] = mexaSummary.maxLayer[a]![pivotIndex]!;
    });
    pivot = p;
  }
  return {
    languages: [...languages],
    layers: results,
    mexaSummary,
    meanCosineSummary: summarise(
      results.map((r) => r.meanCosine),
      L,
    ),
    pivot,
  };
}

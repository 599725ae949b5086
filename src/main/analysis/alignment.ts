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
 * Chance levels, so a score can be read (`LayerAlignment.chance`):
 * - MEXA: 1/(2n − 1) with n shared ids: with similarities that ignore translation, the diagonal
 *   entry is the strict maximum of its row and column (2n − 1 exchangeable entries) with that
 *   probability; 1 for n = 1;
 * - retrieval a → b: 1/|b|, the chance that the translation is the nearest of b's |b| texts;
 * - mean cosine: the mean cosine of NON-translations (S[i][j], i ≠ j, over the shared ids), since
 *   pooled residuals are anisotropic and any two texts can have cosine 0.9; null for n = 1.
 * Summary over layers: mean, max and the first layer reaching the max, per pair, ignoring null layers.
 *
 * Cost: per layer and language pair, |a| × |b| dot products of the hidden size, on unit vectors in
 * float32, a block of rows at a time (a `SimilarityKernel`: the float32 JS one here, or onnxruntime's
 * multi-threaded Gemm from src/main/model): memory is one layer's vectors plus one block of S.
 */
import type { AlignmentResult, LayerAlignment, PairMatrix, PairSummary, PivotAlignment } from '../../shared/result-types.js';
import { UserError } from '../../shared/errors.js';

/** [layer] language → text id → pooled vector [hidden]. */
export type PooledVectorsByLayer = ReadonlyArray<ReadonlyMap<string, ReadonlyMap<string, Float32Array>>>;

/** A pooled row as the store keeps it: parallel texts share `key`; a kind the capture did not keep is null. */
export interface PooledRowLike {
  layer: number;
  lang: string;
  key: string;
  mean: Float32Array | null;
  last: Float32Array | null;
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
    const v = pooling === 'mean' ? r.mean : r.last;
    if (v === null) {
      throw new UserError(
        `alignment: the capture kept no ${pooling === 'mean' ? 'mean' : 'last-token'} vectors`,
        `Use --pool ${pooling === 'mean' ? 'last' : 'mean'}, or capture again with --pool ${pooling} (or mean,last).`,
      );
    }
    texts.set(r.key, v);
  }
  return layers;
}

export interface AlignmentOptions {
  /** Languages and their order in the matrices; default: every language seen, in first-seen order. */
  languages?: string[];
  /** Also report each language's MEXA against this language (the paper uses English). */
  pivot?: string;
  /** Computes the similarity blocks (default: the float32 JS kernel). */
  kernel?: SimilarityKernel;
}

export type { AlignmentResult, LayerAlignment, PairMatrix, PairSummary, PivotAlignment };

/**
 * Computes C = A · Bᵀ for row-major A [m × dim] and B [n × dim] (float32): the similarity block of
 * m rows of one language against all n texts of another.
 */
export type SimilarityKernel = (a: Float32Array, m: number, b: Float32Array, n: number, dim: number) => Float32Array;
export type AsyncSimilarityKernel = (a: Float32Array, m: number, b: Float32Array, n: number, dim: number) => Float32Array | Promise<Float32Array>;

/** The JS kernel: float32 inputs, four accumulators per dot product. */
export const jsSimilarityKernel: SimilarityKernel = (a, m, b, n, dim) => {
  const out = new Float32Array(m * n);
  const tail = dim - (dim % 4);
  for (let i = 0; i < m; i++) {
    const ai = i * dim;
    for (let j = 0; j < n; j++) {
      const bj = j * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let d = 0;
      for (; d < tail; d += 4) {
        s0 += a[ai + d]! * b[bj + d]!;
        s1 += a[ai + d + 1]! * b[bj + d + 1]!;
        s2 += a[ai + d + 2]! * b[bj + d + 2]!;
        s3 += a[ai + d + 3]! * b[bj + d + 3]!;
      }
      for (; d < dim; d++) s0 += a[ai + d]! * b[bj + d]!;
      out[i * n + j] = s0 + s1 + s2 + s3;
    }
  }
  return out;
};

/** One language's texts at one layer. */
export interface Unit {
  ids: string[];
  index: Map<string, number>;
  /** [texts × dim] unit-normalised rows (zero rows stay zero). */
  rows: Float32Array;
  dim: number;
}

export function normalise(layer: number, lang: string, texts: ReadonlyMap<string, Float32Array>): Unit {
  const ids = [...texts.keys()];
  let dim = -1;
  for (const [id, v] of texts) {
    if (dim === -1) dim = v.length;
    else if (v.length !== dim) {
      throw new UserError(`alignment: layer ${layer}, ${lang}/${id} has ${v.length} dimensions, others ${dim}`);
    }
  }
  dim = Math.max(dim, 0);
  const rows = new Float32Array(ids.length * dim);
  ids.forEach((id, i) => {
    const v = texts.get(id)!;
    let ss = 0;
    for (let d = 0; d < dim; d++) ss += v[d]! * v[d]!;
    const norm = Math.sqrt(ss);
    if (norm > 0) for (let d = 0; d < dim; d++) rows[i * dim + d] = v[d]! / norm;
  });
  return { ids, index: new Map(ids.map((id, i) => [id, i])), rows, dim };
}

interface PairScores {
  shared: number;
  meanCosine: number | null;
  retrievalAB: number | null;
  retrievalBA: number | null;
  mexa: number | null;
  nonParallelCosine: number | null;
  chanceRetrievalAB: number | null;
  chanceRetrievalBA: number | null;
  chanceMexa: number | null;
}

/** Elements of S computed at a time (4 MiB of float32). */
const BLOCK_ELEMENTS = 1 << 20;

/**
 * The scores of one language pair from S fed a block of rows at a time: per text, the best rival in its
 * row and column (over all texts, and over the shared ones), never all of S at once.
 */
class PairScorer {
  readonly partnerOfRow: Int32Array;
  readonly partnerOfCol: Int32Array;
  private readonly diag: Float64Array;
  private readonly rowRivalAll: Float64Array;
  private readonly rowRivalShared: Float64Array;
  private readonly colRivalAll: Float64Array;
  private readonly colRivalShared: Float64Array;
  private offSum = 0;
  private offCount = 0;
  readonly shared: number;

  constructor(
    readonly a: Unit,
    readonly b: Unit,
  ) {
    if (a.dim !== b.dim) throw new UserError(`alignment: languages disagree on the vector size (${a.dim} vs ${b.dim})`);
    this.partnerOfRow = new Int32Array(a.ids.length).fill(-1);
    this.partnerOfCol = new Int32Array(b.ids.length).fill(-1);
    let shared = 0;
    for (const [id, i] of a.index) {
      const j = b.index.get(id);
      if (j === undefined) continue;
      this.partnerOfRow[i] = j;
      this.partnerOfCol[j] = i;
      shared++;
    }
    this.shared = shared;
    this.diag = new Float64Array(a.ids.length);
    this.rowRivalAll = new Float64Array(a.ids.length).fill(-Infinity);
    this.rowRivalShared = new Float64Array(a.ids.length).fill(-Infinity);
    this.colRivalAll = new Float64Array(b.ids.length).fill(-Infinity);
    this.colRivalShared = new Float64Array(b.ids.length).fill(-Infinity);
  }

  /** Row blocks [start, end) of a, sized so one block of S holds about BLOCK_ELEMENTS values. */
  *blocks(): Generator<[number, number]> {
    const rows = Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, this.b.ids.length)));
    for (let start = 0; start < this.a.ids.length; start += rows) yield [start, Math.min(this.a.ids.length, start + rows)];
  }

  blockRows(start: number, end: number): Float32Array {
    return this.a.rows.subarray(start * this.a.dim, end * this.a.dim);
  }

  /** S rows [start, start + m) against every text of b, [m × |b|]. */
  add(start: number, S: Float32Array): void {
    const nb = this.b.ids.length;
    const m = S.length / nb;
    for (let r = 0; r < m; r++) {
      const i = start + r;
      const partner = this.partnerOfRow[i]!;
      const rowShared = partner >= 0;
      let rivalAll = this.rowRivalAll[i]!;
      let rivalShared = this.rowRivalShared[i]!;
      for (let j = 0; j < nb; j++) {
        const s = S[r * nb + j]!;
        if (j === partner) {
          this.diag[i] = s;
          continue;
        }
        const colShared = this.partnerOfCol[j]! >= 0;
        if (rowShared) {
          if (s > rivalAll) rivalAll = s;
          if (colShared) {
            if (s > rivalShared) rivalShared = s;
            this.offSum += s;
            this.offCount++;
          }
        }
        if (colShared) {
          if (s > this.colRivalAll[j]!) this.colRivalAll[j] = s;
          if (rowShared && s > this.colRivalShared[j]!) this.colRivalShared[j] = s;
        }
      }
      this.rowRivalAll[i] = rivalAll;
      this.rowRivalShared[i] = rivalShared;
    }
  }

  scores(): PairScores {
    const n = this.shared;
    if (n === 0) {
      return { shared: 0, meanCosine: null, retrievalAB: null, retrievalBA: null, mexa: null, nonParallelCosine: null, chanceRetrievalAB: null, chanceRetrievalBA: null, chanceMexa: null };
    }
    let cosSum = 0;
    let hitsAB = 0;
    let hitsBA = 0;
    let mexaHits = 0;
    for (let i = 0; i < this.partnerOfRow.length; i++) {
      const j = this.partnerOfRow[i]!;
      if (j < 0) continue;
      const d = this.diag[i]!;
      cosSum += d;
      if (d > this.rowRivalAll[i]!) hitsAB++;
      if (d > this.colRivalAll[j]!) hitsBA++;
      if (d > this.rowRivalShared[i]! && d > this.colRivalShared[j]!) mexaHits++;
    }
    return {
      shared: n,
      meanCosine: cosSum / n,
      retrievalAB: hitsAB / n,
      retrievalBA: hitsBA / n,
      mexa: mexaHits / n,
      nonParallelCosine: this.offCount ? this.offSum / this.offCount : null,
      chanceRetrievalAB: 1 / this.b.ids.length,
      chanceRetrievalBA: 1 / this.a.ids.length,
      chanceMexa: 1 / (2 * n - 1),
    };
  }
}

function scorePair(a: Unit, b: Unit, kernel: SimilarityKernel): PairScores {
  const p = new PairScorer(a, b);
  if (p.shared === 0) return p.scores();
  for (const [start, end] of p.blocks()) p.add(start, kernel(p.blockRows(start, end), end - start, b.rows, b.ids.length, b.dim));
  return p.scores();
}

async function scorePairAsync(a: Unit, b: Unit, kernel: AsyncSimilarityKernel): Promise<PairScores> {
  const p = new PairScorer(a, b);
  if (p.shared === 0) return p.scores();
  for (const [start, end] of p.blocks()) p.add(start, await kernel(p.blockRows(start, end), end - start, b.rows, b.ids.length, b.dim));
  return p.scores();
}

function summarise(perLayer: PairMatrix[], layerIds: number[], L: number): PairSummary {
  const mk = (): PairMatrix => Array.from({ length: L }, () => Array<number | null>(L).fill(null));
  const mean = mk();
  const max = mk();
  const maxLayer = mk();
  for (let a = 0; a < L; a++) {
    for (let b = 0; b < L; b++) {
      let sum = 0;
      let count = 0;
      perLayer.forEach((m, k) => {
        const v = m[a]![b]!;
        if (v === null) return;
        sum += v;
        count++;
        const cur = max[a]![b]!;
        if (cur === null || v > cur) {
          max[a]![b] = v;
          maxLayer[a]![b] = layerIds[k]!;
        }
      });
      mean[a]![b] = count ? sum / count : null;
    }
  }
  return { mean, max, maxLayer };
}

function checkLanguages(languages: string[], pivot: string | undefined): number {
  if (new Set(languages).size !== languages.length) throw new UserError('alignment: languages must be distinct');
  if (languages.length < 2) {
    throw new UserError(
      `alignment needs at least two languages, got ${languages.length}${languages.length ? ` (${languages.join(', ')})` : ''}`,
      'Alignment compares translations: capture parallel texts (same id) in two or more languages.',
    );
  }
  const pivotIndex = pivot === undefined ? -1 : languages.indexOf(pivot);
  if (pivot !== undefined && pivotIndex < 0) {
    throw new UserError(`alignment: pivot ${pivot} is not among the languages`, `languages: ${languages.join(', ')}`);
  }
  return pivotIndex;
}

/** One layer's matrices, filled a language pair at a time (b ≥ a; the pair's scores cover both orders). */
class LayerMatrices {
  readonly meanCosine: PairMatrix;
  readonly retrieval: PairMatrix;
  readonly mexa: PairMatrix;
  readonly sharedTexts: number[][];
  readonly chance: { meanCosine: PairMatrix; retrieval: PairMatrix; mexa: PairMatrix };
  readonly units: (Unit | null)[];

  constructor(
    readonly layer: number,
    texts: ReadonlyMap<string, ReadonlyMap<string, Float32Array>>,
    readonly languages: string[],
  ) {
    const L = languages.length;
    const mk = <T>(fill: T): T[][] => Array.from({ length: L }, () => Array<T>(L).fill(fill));
    this.meanCosine = mk<number | null>(null);
    this.retrieval = mk<number | null>(null);
    this.mexa = mk<number | null>(null);
    this.sharedTexts = mk(0);
    this.chance = { meanCosine: mk<number | null>(null), retrieval: mk<number | null>(null), mexa: mk<number | null>(null) };
    this.units = languages.map((lang) => {
      const t = texts.get(lang);
      return t && t.size > 0 ? normalise(layer, lang, t) : null;
    });
  }

  /** The language pairs (a ≤ b) with texts on both sides. */
  *pairs(): Generator<[number, number, Unit, Unit]> {
    const L = this.languages.length;
    for (let a = 0; a < L; a++) for (let b = a; b < L; b++) if (this.units[a] && this.units[b]) yield [a, b, this.units[a]!, this.units[b]!];
  }

  set(a: number, b: number, s: PairScores): void {
    this.sharedTexts[a]![b] = this.sharedTexts[b]![a] = s.shared;
    this.meanCosine[a]![b] = this.meanCosine[b]![a] = s.meanCosine;
    this.mexa[a]![b] = this.mexa[b]![a] = s.mexa;
    this.retrieval[a]![b] = s.retrievalAB;
    this.retrieval[b]![a] = s.retrievalBA;
    this.chance.meanCosine[a]![b] = this.chance.meanCosine[b]![a] = s.nonParallelCosine;
    this.chance.mexa[a]![b] = this.chance.mexa[b]![a] = s.chanceMexa;
    this.chance.retrieval[a]![b] = s.chanceRetrievalAB;
    this.chance.retrieval[b]![a] = s.chanceRetrievalBA;
  }

  result(): LayerAlignment {
    return { layer: this.layer, meanCosine: this.meanCosine, retrieval: this.retrieval, mexa: this.mexa, sharedTexts: this.sharedTexts, chance: this.chance };
  }
}

function assemble(languages: string[], results: LayerAlignment[], pivotName: string | undefined, pivotIndex: number): AlignmentResult {
  const L = languages.length;
  const layerIds = results.map((r) => r.layer);
  const mexaSummary = summarise(
    results.map((r) => r.mexa),
    layerIds,
    L,
  );
  let pivot: PivotAlignment | null = null;
  if (pivotIndex >= 0) {
    const p: PivotAlignment = { pivot: pivotName!, mexa: {}, mean: {}, max: {}, maxLayer: {}, chanceMexa: {}, meanCosine: {}, nonParallelCosine: {}, retrieval: {}, chanceRetrieval: {} };
    languages.forEach((lang, a) => {
      const perLayer = (m: (r: LayerAlignment) => PairMatrix) => results.map((r) => m(r)[a]![pivotIndex]!);
      p.mexa[lang] = perLayer((r) => r.mexa);
      p.chanceMexa[lang] = perLayer((r) => r.chance.mexa).filter((v) => v !== null).at(-1) ?? null;
      p.meanCosine[lang] = perLayer((r) => r.meanCosine);
      p.nonParallelCosine[lang] = perLayer((r) => r.chance.meanCosine);
      p.retrieval[lang] = perLayer((r) => r.retrieval);
      p.chanceRetrieval[lang] = perLayer((r) => r.chance.retrieval);
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
      layerIds,
      L,
    ),
    pivot,
  };
}

/** Cross-lingual alignment per layer: mean cosine, retrieval accuracy and MEXA (see module comment). */
export function alignment(layers: PooledVectorsByLayer, options: AlignmentOptions = {}): AlignmentResult {
  let languages = options.languages;
  if (!languages) {
    const seen = new Set<string>();
    for (const layer of layers) for (const lang of layer.keys()) seen.add(lang);
    languages = [...seen];
  }
  const pivotIndex = checkLanguages(languages, options.pivot);
  const kernel = options.kernel ?? jsSimilarityKernel;
  const results = layers.map((texts, l) => {
    const m = new LayerMatrices(l, texts, languages);
    for (const [a, b, ua, ub] of m.pairs()) m.set(a, b, scorePair(ua, ub, kernel));
    return m.result();
  });
  return assemble(languages, results, options.pivot, pivotIndex);
}

/** One layer's pooled vectors: language → text id → vector. */
export interface PooledLayer {
  layer: number;
  texts: ReadonlyMap<string, ReadonlyMap<string, Float32Array>>;
}

/**
 * `alignment` over layers that arrive one at a time (read from a store, say), so memory holds one
 * layer's vectors and one block of similarities; the kernel may be asynchronous (onnxruntime).
 * `onLayer` is called after each layer (it may throw to stop).
 */
export async function alignmentByLayer(
  layers: AsyncIterable<PooledLayer> | Iterable<PooledLayer>,
  options: { languages: string[]; pivot?: string; kernel?: AsyncSimilarityKernel; onLayer?: (layersDone: number) => void },
): Promise<AlignmentResult> {
  const { languages } = options;
  const pivotIndex = checkLanguages(languages, options.pivot);
  const kernel = options.kernel ?? jsSimilarityKernel;
  const results: LayerAlignment[] = [];
  for await (const { layer, texts } of layers) {
    const m = new LayerMatrices(layer, texts, languages);
    for (const [a, b, ua, ub] of m.pairs()) m.set(a, b, await scorePairAsync(ua, ub, kernel));
    results.push(m.result());
    options.onLayer?.(results.length);
  }
  return assemble(languages, results, options.pivot, pivotIndex);
}

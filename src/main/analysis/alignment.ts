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
 * Chance levels, so a score can be read (`LayerAlignment.chance`, `chanceBand`):
 * - retrieval and MEXA: a permutation baseline. The pairing of the n shared ids is shuffled
 *   (`permutations` times, default 200, seeded: the same shuffles for a pair at every layer) and the
 *   score recomputed with text i's "translation" being text π(i), on the same similarities; the chance
 *   level is the mean over shuffles and the band their 2.5–97.5 % quantiles. (1/(2n − 1) for MEXA
 *   and 1/|b| for retrieval hold only for exchangeable similarities; pooled residuals are anisotropic.)
 *   A row's and a column's two best entries are kept, so a shuffle costs O(n) lookups of S over the
 *   shared ids, which is kept for up to 4096 of them (recomputed beyond);
 * - mean cosine: the mean cosine of NON-translations (S[i][j], i ≠ j, over the shared ids), since
 *   pooled residuals are anisotropic and any two texts can have cosine 0.9; null for n = 1.
 * Intervals (`LayerAlignment.intervals`): 95 % percentile bootstrap over texts of each text's hit
 * (its row and column rivals held fixed), for retrieval and MEXA.
 * Against the reference: on the same embeddings, MEXA equals `compute_mexa.py` and retrieval its similarity
 * matrix's row/column hits to 1e-6 (test/main/analysis/alignment-reference.test.ts). Differences: texts
 * pair by corpus id over every shared text, where `compute_mexa.py` pairs the first `num_sents` (100)
 * sentences of each file by position; cosines are float32 (the reference's are float64), so a diagonal
 * within ~1e-6 of its best rival can differ; the pooling (MEXA's position-weighted mean by default) is
 * the capture's, as `embed_extractor.py` (src/main/pipelines/pooling.ts).
 * Summary over layers: mean, max and the first layer reaching the max, per pair, ignoring null layers.
 *
 * Cost: per layer and language pair, |a| × |b| dot products of the hidden size, on unit vectors in
 * float32, a block of rows at a time (a `SimilarityKernel`: the float32 JS one here, or onnxruntime's
 * multi-threaded Gemm from src/main/model): memory is one layer's vectors plus one block of S.
 */
import type { AlignmentResult, LayerAlignment, PairIntervals, PairMatrix, PairSummary, PivotAlignment } from '../../shared/result-types.js';
import { UserError } from '../../shared/errors.js';
import { sortedQuantile, type Interval } from '../../shared/intervals.js';
import { mulberry32 } from '../../shared/random.js';
import type { PoolingKind } from '../../shared/result-types.js';

/** [layer] language → text id → pooled vector [hidden]. */
export type PooledVectorsByLayer = ReadonlyArray<ReadonlyMap<string, ReadonlyMap<string, Float32Array>>>;

/** A pooled row as the store keeps it: parallel texts share `key`; a kind the capture did not keep is null. */
export interface PooledRowLike {
  layer: number;
  lang: string;
  key: string;
  mean: Float32Array | null;
  last: Float32Array | null;
  wmean?: Float32Array | null;
}

export type { PoolingKind };
const KIND_NAMES: Record<PoolingKind, string> = { wmean: 'position-weighted mean', mean: 'mean', last: 'last-token' };

/** Group pooled rows of one layer (any order) into language → text id → vector of the kind asked for. */
export function pooledTexts(rows: Iterable<PooledRowLike>, pooling: PoolingKind): Map<string, Map<string, Float32Array>> {
  const byLang = new Map<string, Map<string, Float32Array>>();
  for (const r of rows) {
    let texts = byLang.get(r.lang);
    if (!texts) byLang.set(r.lang, (texts = new Map()));
    if (texts.has(r.key)) throw new UserError(`alignment: text ${r.key} appears twice for ${r.lang} at layer ${r.layer}`);
    const v = r[pooling] ?? null;
    if (v === null) {
      const other = (['wmean', 'mean', 'last'] as const).find((k) => k !== pooling && (r[k] ?? null) !== null);
      throw new UserError(
        `alignment: the capture kept no ${KIND_NAMES[pooling]} vectors`,
        `${other ? `Use --pool ${other}, or c` : 'C'}apture again with --pool ${pooling} (the default keeps wmean, mean and last).`,
      );
    }
    texts.set(r.key, v);
  }
  return byLang;
}

/** Group pooled rows (any order, layers ≥ 0) into `PooledVectorsByLayer`, taking the vectors of one kind. */
export function pooledVectorsByLayer(rows: Iterable<PooledRowLike>, pooling: PoolingKind): PooledVectorsByLayer {
  const byLayer: PooledRowLike[][] = [];
  for (const r of rows) {
    if (!(Number.isInteger(r.layer) && r.layer >= 0)) throw new UserError(`alignment: bad layer ${r.layer}`);
    while (byLayer.length <= r.layer) byLayer.push([]);
    byLayer[r.layer]!.push(r);
  }
  return byLayer.map((rs) => pooledTexts(rs, pooling));
}

export interface AlignmentOptions {
  /** Languages and their order in the matrices; default: every language seen, in first-seen order. */
  languages?: string[];
  /** Also report each language's MEXA against this language (the paper uses English). */
  pivot?: string;
  /** Computes the similarity blocks (default: the float32 JS kernel). */
  kernel?: SimilarityKernel;
  /** Shuffles of the pairing for the chance levels of retrieval and MEXA; default 200 (at least 100). */
  permutations?: number;
  /** Seed of the shuffles and of the bootstrap; default 1. */
  seed?: number;
  /** Bootstrap resamples of the intervals; default 2000. */
  bootstrapResamples?: number;
}

/** How the chance levels and intervals are drawn. */
export interface ChanceOptions {
  permutations: number;
  seed: number;
  resamples: number;
}

export const DEFAULT_PERMUTATIONS = 200;

function chanceOptions(o: { permutations?: number; seed?: number; bootstrapResamples?: number }): ChanceOptions {
  const permutations = o.permutations ?? DEFAULT_PERMUTATIONS;
  if (!Number.isInteger(permutations) || permutations < 100) {
    throw new UserError(`alignment: permutations must be an integer ≥ 100, got ${permutations}`, 'The 2.5–97.5 % band of the chance level needs at least 100 shuffles.');
  }
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed)) throw new UserError(`alignment: seed must be an integer, got ${seed}`);
  const resamples = o.bootstrapResamples ?? 2000;
  if (!Number.isInteger(resamples) || resamples < 100) throw new UserError(`alignment: bootstrap resamples must be an integer ≥ 100, got ${resamples}`);
  return { permutations, seed, resamples };
}

export type { AlignmentResult, LayerAlignment, PairIntervals, PairMatrix, PairSummary, PivotAlignment };

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
  chance: PairChance | null;
  intervals: { retrievalAB: Interval; retrievalBA: Interval; mexa: Interval } | null;
}

/** Elements of S computed at a time (4 MiB of float32). */
const BLOCK_ELEMENTS = 1 << 20;
/** Shared texts up to which S over the shared ids is kept for the permutations (64 MiB); beyond, entries are recomputed. */
const KEEP_SHARED_UP_TO = 4096;

/** The two largest values of a row or column of S and where the largest is, to find "the best other than j" in O(1). */
class TopTwo {
  readonly first: Float64Array;
  readonly second: Float64Array;
  readonly at: Int32Array;
  constructor(n: number) {
    this.first = new Float64Array(n).fill(-Infinity);
    this.second = new Float64Array(n).fill(-Infinity);
    this.at = new Int32Array(n).fill(-1);
  }
  add(k: number, s: number, where: number): void {
    if (s > this.first[k]!) {
      this.second[k] = this.first[k]!;
      this.first[k] = s;
      this.at[k] = where;
    } else if (s > this.second[k]!) this.second[k] = s;
  }
  /** The largest value of line k outside position `where`. */
  rival(k: number, where: number): number {
    return this.at[k] === where ? this.second[k]! : this.first[k]!;
  }
}

/**
 * The scores of one language pair from S fed a block of rows at a time: per text, the two best entries
 * of its row and column (over all texts, and over the shared ones), never all of S at once; S over the
 * shared ids is kept (up to KEEP_SHARED_UP_TO of them) for the permutation baseline.
 */
class PairScorer {
  readonly partnerOfRow: Int32Array;
  readonly partnerOfCol: Int32Array;
  /** Shared ids in a's row order: their row in a and column in b. */
  readonly sharedRows: Int32Array;
  readonly sharedCols: Int32Array;
  private readonly sharedOfCol: Int32Array;
  private readonly rowAll: TopTwo;
  private readonly rowShared: TopTwo;
  private readonly colAll: TopTwo;
  private readonly colShared: TopTwo;
  /** S[sharedRows[k]][sharedCols[k']] at k·n + k' (null beyond KEEP_SHARED_UP_TO). */
  private readonly sharedS: Float32Array | null;
  /** S of each shared id with its own translation, as the kernel computed it. */
  private readonly diag: Float64Array;
  private offSum = 0;
  private offCount = 0;
  readonly shared: number;

  constructor(
    readonly a: Unit,
    readonly b: Unit,
    readonly options: ChanceOptions,
  ) {
    if (a.dim !== b.dim) throw new UserError(`alignment: languages disagree on the vector size (${a.dim} vs ${b.dim})`);
    this.partnerOfRow = new Int32Array(a.ids.length).fill(-1);
    this.partnerOfCol = new Int32Array(b.ids.length).fill(-1);
    const rows: number[] = [];
    const cols: number[] = [];
    for (const [id, i] of a.index) {
      const j = b.index.get(id);
      if (j === undefined) continue;
      this.partnerOfRow[i] = j;
      this.partnerOfCol[j] = i;
      rows.push(i);
      cols.push(j);
    }
    this.shared = rows.length;
    this.sharedRows = Int32Array.from(rows);
    this.sharedCols = Int32Array.from(cols);
    this.sharedOfCol = new Int32Array(b.ids.length).fill(-1);
    cols.forEach((j, k) => (this.sharedOfCol[j] = k));
    this.rowAll = new TopTwo(a.ids.length);
    this.rowShared = new TopTwo(a.ids.length);
    this.colAll = new TopTwo(b.ids.length);
    this.colShared = new TopTwo(b.ids.length);
    this.sharedS = this.shared <= KEEP_SHARED_UP_TO ? new Float32Array(this.shared * this.shared) : null;
    this.diag = new Float64Array(this.shared);
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
    const n = this.shared;
    const m = S.length / nb;
    for (let r = 0; r < m; r++) {
      const i = start + r;
      const partner = this.partnerOfRow[i]!;
      const rowShared = partner >= 0;
      const k = rowShared ? this.sharedOfCol[partner]! : -1;
      for (let j = 0; j < nb; j++) {
        const s = S[r * nb + j]!;
        const colShared = this.partnerOfCol[j]! >= 0;
        if (rowShared) {
          this.rowAll.add(i, s, j);
          if (colShared) {
            this.rowShared.add(i, s, j);
            if (this.sharedS) this.sharedS[k * n + this.sharedOfCol[j]!] = s;
            if (j === partner) this.diag[k] = s;
            else {
              this.offSum += s;
              this.offCount++;
            }
          }
        }
        if (colShared) {
          this.colAll.add(j, s, i);
          if (rowShared) this.colShared.add(j, s, i);
        }
      }
    }
  }

  /** S between shared row k and shared column k'. */
  private entry(k: number, kk: number): number {
    if (k === kk) return this.diag[k]!;
    if (this.sharedS) return this.sharedS[k * this.shared + kk]!;
    const { a, b } = this;
    const ai = this.sharedRows[k]! * a.dim;
    const bj = this.sharedCols[kk]! * b.dim;
    let s = 0;
    for (let d = 0; d < a.dim; d++) s += a.rows[ai + d]! * b.rows[bj + d]!;
    return s;
  }

  /** Hits when shared row k is paired with shared column kk: retrieval a→b, b→a, MEXA. */
  private hits(k: number, kk: number, v: number): [boolean, boolean, boolean] {
    const i = this.sharedRows[k]!;
    const j = this.sharedCols[kk]!;
    return [v > this.rowAll.rival(i, j), v > this.colAll.rival(j, i), v > this.rowShared.rival(i, j) && v > this.colShared.rival(j, i)];
  }

  scores(): PairScores {
    const n = this.shared;
    if (n === 0) return { shared: 0, meanCosine: null, retrievalAB: null, retrievalBA: null, mexa: null, nonParallelCosine: null, chance: null, intervals: null };
    let cosSum = 0;
    let hitsAB = 0;
    let hitsBA = 0;
    let mexaHits = 0;
    for (let k = 0; k < n; k++) {
      const d = this.diag[k]!;
      cosSum += d;
      const [ab, ba, mx] = this.hits(k, k, d);
      hitsAB += +ab;
      hitsBA += +ba;
      mexaHits += +mx;
    }
    const { seed, resamples } = this.options;
    const rate = (hits: number) => bootstrapRateInterval(hits, n, { resamples, seed, units: 'texts' });
    return {
      shared: n,
      meanCosine: cosSum / n,
      retrievalAB: hitsAB / n,
      retrievalBA: hitsBA / n,
      mexa: mexaHits / n,
      nonParallelCosine: this.offCount ? this.offSum / this.offCount : null,
      chance: this.permutationChance(),
      intervals: { retrievalAB: rate(hitsAB), retrievalBA: rate(hitsBA), mexa: rate(mexaHits) },
    };
  }

  /** Retrieval and MEXA with the pairing of the shared ids shuffled (see module comment). */
  private permutationChance(): PairChance {
    const n = this.shared;
    const P = this.options.permutations;
    const rand = mulberry32(pairSeed(this.options.seed, this.a.ids.length, this.b.ids.length, n));
    const perm = Int32Array.from({ length: n }, (_, k) => k);
    const ab = new Float64Array(P);
    const ba = new Float64Array(P);
    const mx = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      for (let k = n - 1; k > 0; k--) {
        const r = Math.floor(rand() * (k + 1));
        const t = perm[k]!;
        perm[k] = perm[r]!;
        perm[r] = t;
      }
      let hAB = 0;
      let hBA = 0;
      let hMX = 0;
      for (let k = 0; k < n; k++) {
        const kk = perm[k]!;
        const [x, y, z] = this.hits(k, kk, this.entry(k, kk));
        hAB += +x;
        hBA += +y;
        hMX += +z;
      }
      ab[p] = hAB / n;
      ba[p] = hBA / n;
      mx[p] = hMX / n;
    }
    const method = `permutation (${P} shuffles of the pairing, seed ${this.options.seed}), 2.5–97.5 %`;
    return { retrievalAB: summarisePermutations(ab, method), retrievalBA: summarisePermutations(ba, method), mexa: summarisePermutations(mx, method) };
  }
}

/** One permutation null: its mean (the chance level) and its central 95 % band. */
interface PermutationNull {
  mean: number;
  band: Interval;
}

interface PairChance {
  retrievalAB: PermutationNull;
  retrievalBA: PermutationNull;
  mexa: PermutationNull;
}

function summarisePermutations(values: Float64Array, method: string): PermutationNull {
  let s = 0;
  for (const v of values) s += v;
  const sorted = values.slice().sort();
  return { mean: s / values.length, band: { low: sortedQuantile(sorted, 0.025), high: sortedQuantile(sorted, 0.975), level: 0.95, method } };
}

/** A seed per pair, from the pair's sizes: the same pair gets the same shuffles at every layer. */
function pairSeed(seed: number, na: number, nb: number, shared: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const x of [na, nb, shared]) h = Math.imul(h ^ x, 0x85ebca6b) >>> 0;
  return h;
}

/**
 * Percentile bootstrap over texts of a hit rate (hits of n texts, each text's hit held fixed): the
 * resampled hit count is Binomial(n, hits/n), drawn by inverting its CDF, which is the same
 * distribution as resampling the n indicators (bootstrapMeanInterval) at O(log n) per resample.
 */
export function bootstrapRateInterval(hits: number, n: number, options: { resamples: number; seed: number; units?: string; level?: number }): Interval {
  const level = options.level ?? 0.95;
  const method = `bootstrap-percentile (${options.resamples} resamples over ${options.units ?? 'units'})`;
  const p = hits / n;
  if (n < 2 || hits === 0 || hits === n) return { low: p, high: p, level, method };
  const cdf = new Float64Array(n + 1);
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let logChoose = 0;
  let acc = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logChoose += Math.log(n - k + 1) - Math.log(k);
    acc += Math.exp(logChoose + k * logP + (n - k) * logQ);
    cdf[k] = acc;
  }
  const rand = mulberry32(options.seed);
  const values = new Float64Array(options.resamples);
  for (let r = 0; r < options.resamples; r++) {
    const u = rand() * acc;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! >= u) hi = mid;
      else lo = mid + 1;
    }
    values[r] = lo / n;
  }
  values.sort();
  const alpha = (1 - level) / 2;
  return { low: sortedQuantile(values, alpha), high: sortedQuantile(values, 1 - alpha), level, method };
}

function scorePair(a: Unit, b: Unit, kernel: SimilarityKernel, chance: ChanceOptions): PairScores {
  const p = new PairScorer(a, b, chance);
  if (p.shared === 0) return p.scores();
  for (const [start, end] of p.blocks()) p.add(start, kernel(p.blockRows(start, end), end - start, b.rows, b.ids.length, b.dim));
  return p.scores();
}

async function scorePairAsync(a: Unit, b: Unit, kernel: AsyncSimilarityKernel, chance: ChanceOptions): Promise<PairScores> {
  const p = new PairScorer(a, b, chance);
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
  readonly chanceBand: { retrieval: PairIntervals; mexa: PairIntervals };
  readonly intervals: { retrieval: PairIntervals; mexa: PairIntervals };
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
    this.chanceBand = { retrieval: mk<Interval | null>(null), mexa: mk<Interval | null>(null) };
    this.intervals = { retrieval: mk<Interval | null>(null), mexa: mk<Interval | null>(null) };
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
    if (s.chance) {
      this.chance.mexa[a]![b] = this.chance.mexa[b]![a] = s.chance.mexa.mean;
      this.chance.retrieval[a]![b] = s.chance.retrievalAB.mean;
      this.chance.retrieval[b]![a] = s.chance.retrievalBA.mean;
      this.chanceBand.mexa[a]![b] = this.chanceBand.mexa[b]![a] = s.chance.mexa.band;
      this.chanceBand.retrieval[a]![b] = s.chance.retrievalAB.band;
      this.chanceBand.retrieval[b]![a] = s.chance.retrievalBA.band;
    }
    if (s.intervals) {
      this.intervals.mexa[a]![b] = this.intervals.mexa[b]![a] = s.intervals.mexa;
      this.intervals.retrieval[a]![b] = s.intervals.retrievalAB;
      this.intervals.retrieval[b]![a] = s.intervals.retrievalBA;
    }
  }

  result(): LayerAlignment {
    return {
      layer: this.layer,
      meanCosine: this.meanCosine,
      retrieval: this.retrieval,
      mexa: this.mexa,
      sharedTexts: this.sharedTexts,
      chance: this.chance,
      chanceBand: this.chanceBand,
      intervals: this.intervals,
    };
  }
}

function assemble(languages: string[], results: LayerAlignment[], pivotName: string | undefined, pivotIndex: number, chance: ChanceOptions): AlignmentResult {
  const L = languages.length;
  const layerIds = results.map((r) => r.layer);
  const mexaSummary = summarise(
    results.map((r) => r.mexa),
    layerIds,
    L,
  );
  let pivot: PivotAlignment | null = null;
  if (pivotIndex >= 0) {
    const p: PivotAlignment = {
      pivot: pivotName!,
      mexa: {},
      mean: {},
      max: {},
      maxLayer: {},
      chanceMexa: {},
      chanceMexaByLayer: {},
      mexaChanceBand: {},
      mexaInterval: {},
      meanCosine: {},
      nonParallelCosine: {},
      retrieval: {},
      chanceRetrieval: {},
      retrievalChanceBand: {},
      retrievalInterval: {},
    };
    languages.forEach((lang, a) => {
      const perLayer = <T>(m: (r: LayerAlignment) => T[][]) => results.map((r) => m(r)[a]![pivotIndex]!);
      p.mexa[lang] = perLayer((r) => r.mexa);
      p.chanceMexaByLayer[lang] = perLayer((r) => r.chance.mexa);
      p.chanceMexa[lang] = p.chanceMexaByLayer[lang].filter((v) => v !== null).at(-1) ?? null;
      p.mexaChanceBand[lang] = perLayer((r) => r.chanceBand.mexa);
      p.mexaInterval[lang] = perLayer((r) => r.intervals.mexa);
      p.meanCosine[lang] = perLayer((r) => r.meanCosine);
      p.nonParallelCosine[lang] = perLayer((r) => r.chance.meanCosine);
      p.retrieval[lang] = perLayer((r) => r.retrieval);
      p.chanceRetrieval[lang] = perLayer((r) => r.chance.retrieval);
      p.retrievalChanceBand[lang] = perLayer((r) => r.chanceBand.retrieval);
      p.retrievalInterval[lang] = perLayer((r) => r.intervals.retrieval);
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
    chanceMethod: { permutations: chance.permutations, seed: chance.seed, bootstrapResamples: chance.resamples },
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
  const chance = chanceOptions(options);
  const results = layers.map((texts, l) => {
    const m = new LayerMatrices(l, texts, languages);
    for (const [a, b, ua, ub] of m.pairs()) m.set(a, b, scorePair(ua, ub, kernel, chance));
    return m.result();
  });
  return assemble(languages, results, options.pivot, pivotIndex, chance);
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
  options: { languages: string[]; pivot?: string; kernel?: AsyncSimilarityKernel; onLayer?: (layersDone: number) => void; permutations?: number; seed?: number; bootstrapResamples?: number },
): Promise<AlignmentResult> {
  const { languages } = options;
  const pivotIndex = checkLanguages(languages, options.pivot);
  const kernel = options.kernel ?? jsSimilarityKernel;
  const chance = chanceOptions(options);
  const results: LayerAlignment[] = [];
  for await (const { layer, texts } of layers) {
    const m = new LayerMatrices(layer, texts, languages);
    for (const [a, b, ua, ub] of m.pairs()) m.set(a, b, await scorePairAsync(ua, ub, kernel, chance));
    results.push(m.result());
    options.onLayer?.(results.length);
  }
  return assemble(languages, results, options.pivot, pivotIndex, chance);
}

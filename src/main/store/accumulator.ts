import type { NeuronStatsDelta } from './types.js';

interface Sums {
  tokens: number;
  positiveCounts: Float64Array;
  sums: Float64Array;
  sumSquares: Float64Array;
}

/**
 * Per-neuron statistics of MLP activations, accumulated in memory (no database): for each layer ×
 * language, the number of tokens, and per neuron the count of activations > 0, their sum and sum of
 * squares (float64). `commit(write)` hands what was added since the last commit to `write` (e.g.
 * `Store.commitBatch`, together with the texts it came from) and forgets it only when `write` returns:
 * a transaction that fails (a full disk) leaves everything pending for the next try.
 */
export class NeuronStatsAccumulator {
  private readonly languages: ReadonlySet<string>;
  private pending = new Map<string, Sums>();

  constructor(
    readonly numLayers: number,
    readonly width: number,
    languages: readonly string[],
  ) {
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new Error(`numLayers must be a positive integer, not ${numLayers}`);
    if (!Number.isInteger(width) || width < 1) throw new Error(`width must be a positive integer, not ${width}`);
    this.languages = new Set(languages);
  }

  /**
   * Adds the activations of `tokens` positions: `acts` is [tokens, width] row-major (a subarray of an
   * engine tensor works without copying); positions whose `tokenMask` entry is falsy (padding) are skipped.
   */
  add(layer: number, lang: string, acts: Float32Array, tokenMask?: ArrayLike<number | boolean>): void {
    const { width } = this;
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.numLayers) throw new Error(`layer ${layer} is outside 0..${this.numLayers - 1}`);
    if (!this.languages.has(lang)) throw new Error(`language "${lang}" is not one of ${[...this.languages].join(', ')}`);
    if (acts.length % width !== 0) throw new Error(`${acts.length} activations are not whole rows of width ${width}`);
    const tokens = acts.length / width;
    if (tokenMask && tokenMask.length !== tokens) throw new Error(`tokenMask has ${tokenMask.length} entries for ${tokens} tokens`);

    const acc = this.sumsFor(layer, lang);
    const { positiveCounts, sums, sumSquares } = acc;
    for (let t = 0; t < tokens; t++) {
      if (tokenMask && !tokenMask[t]) continue;
      acc.tokens++;
      const row = t * width;
      for (let j = 0; j < width; j++) {
        const v = acts[row + j]!;
        if (v > 0) positiveCounts[j]!++;
        sums[j]! += v;
        sumSquares[j]! += v * v;
      }
    }
  }

  /**
   * Adds statistics already reduced over `tokens` positions (e.g. inside the ONNX graph): per neuron
   * the count of activations > 0, their sum and sum of squares.
   */
  addReduced(layer: number, lang: string, tokens: number, positive: ArrayLike<number>, sums: ArrayLike<number>, sumSquares: ArrayLike<number>): void {
    if (positive.length !== this.width || sums.length !== this.width || sumSquares.length !== this.width) throw new Error(`reduced statistics must have width ${this.width}`);
    const acc = this.sumsFor(layer, lang);
    acc.tokens += tokens;
    for (let j = 0; j < this.width; j++) {
      acc.positiveCounts[j]! += positive[j]!;
      acc.sums[j]! += sums[j]!;
      acc.sumSquares[j]! += sumSquares[j]!;
    }
  }

  private sumsFor(layer: number, lang: string): Sums {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.numLayers) throw new Error(`layer ${layer} is outside 0..${this.numLayers - 1}`);
    if (!this.languages.has(lang)) throw new Error(`language "${lang}" is not one of ${[...this.languages].join(', ')}`);
    const key = `${layer}\u0000${lang}`;
    let acc = this.pending.get(key);
    if (!acc) {
      acc = { tokens: 0, positiveCounts: new Float64Array(this.width), sums: new Float64Array(this.width), sumSquares: new Float64Array(this.width) };
      this.pending.set(key, acc);
    }
    return acc;
  }

  /** Tokens added since the last flush, summed over layers and languages. */
  get pendingTokens(): number {
    let total = 0;
    for (const acc of this.pending.values()) total += acc.tokens;
    return total;
  }

  /** What was added since the last commit: one delta per layer × language that saw tokens. */
  deltas(): NeuronStatsDelta[] {
    const deltas: NeuronStatsDelta[] = [];
    for (const [key, acc] of this.pending) {
      if (acc.tokens === 0) continue;
      const [layer, lang] = key.split('\u0000') as [string, string];
      deltas.push({ layer: Number(layer), lang, tokens: acc.tokens, positiveCounts: acc.positiveCounts.slice(), sums: acc.sums.slice(), sumSquares: acc.sumSquares.slice() });
    }
    return deltas.sort((a, b) => a.layer - b.layer || (a.lang < b.lang ? -1 : a.lang > b.lang ? 1 : 0));
  }

  /** Gives the pending deltas to `write`; starts afresh only if it returns (if it throws, they stay pending). */
  commit<T>(write: (deltas: NeuronStatsDelta[]) => T): T {
    const result = write(this.deltas());
    this.pending = new Map();
    return result;
  }

  /** The pending deltas, forgotten at once (for writers that cannot fail; else use `commit`). */
  flush(): NeuronStatsDelta[] {
    return this.commit((d) => d);
  }
}

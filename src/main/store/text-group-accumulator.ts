import type { TextGroupDelta } from './types.js';

/**
 * Per-text-group activation counts accumulated in memory until the next flush (see text-groups.ts):
 * each text adds its per-layer count of activations > 0 per neuron to its language's group. Deltas leave
 * it only when the transaction that writes them has committed (`commit`).
 */
export class TextGroupAccumulator {
  private pending = new Map<string, TextGroupDelta>();

  constructor(readonly width: number) {}

  /** Adds one text's counts at one layer: `positive` per neuron over its `tokens` tokens. */
  addText(layer: number, lang: string, group: number, tokens: number, positive: ArrayLike<number>): void {
    if (positive.length !== this.width) throw new Error(`text-group counts must have width ${this.width}, not ${positive.length}`);
    const key = `${layer}\u0000${lang}\u0000${group}`;
    let d = this.pending.get(key);
    if (!d) {
      d = { layer, lang, group, texts: 0, tokens: 0, positiveCounts: new Uint32Array(this.width) };
      this.pending.set(key, d);
    }
    d.texts++;
    d.tokens += tokens;
    for (let n = 0; n < this.width; n++) d.positiveCounts[n]! += Math.round(positive[n]!);
  }

  /**
   * Gives the pending deltas to `write` (read-only: not copies, which took about a tenth of capture's last
   * write); starts afresh only if it returns (if it throws, they stay pending), as NeuronStatsAccumulator.
   */
  commit<T>(write: (deltas: readonly Readonly<TextGroupDelta>[]) => T): T {
    const sorted = [...this.pending.values()].sort((a, b) => a.layer - b.layer || (a.lang < b.lang ? -1 : a.lang > b.lang ? 1 : 0) || a.group - b.group);
    const result = write(sorted);
    this.pending = new Map();
    return result;
  }
}

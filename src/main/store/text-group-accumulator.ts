import type { TextGroupDelta } from './types.js';

/**
 * Per-text-group activation counts accumulated in memory until the next flush (see text-groups.ts):
 * each text adds its per-layer count of activations > 0 per neuron to its language's group.
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

  /** What was added since the last flush, then starts afresh. */
  flush(): TextGroupDelta[] {
    const out = [...this.pending.values()];
    this.pending = new Map();
    return out.sort((a, b) => a.layer - b.layer || (a.lang < b.lang ? -1 : a.lang > b.lang ? 1 : 0) || a.group - b.group);
  }
}

/** Groups tokenized texts into batches of similar length, so right padding wastes little compute. */
export interface TokenizedText<T> {
  item: T;
  ids: number[];
}

export function lengthSortedBatches<T>(texts: TokenizedText<T>[], batchSize: number): TokenizedText<T>[][] {
  const sorted = [...texts].sort((a, b) => a.ids.length - b.ids.length);
  const batches: TokenizedText<T>[][] = [];
  for (let i = 0; i < sorted.length; i += batchSize) batches.push(sorted.slice(i, i + batchSize));
  return batches;
}

export interface BatchBudget {
  /** Padded tokens per forward pass (texts × longest text): what the activations' memory follows. */
  maxBatchTokens: number;
  /** Texts per forward pass at most, however short they are. */
  maxBatchSize: number;
}

/**
 * Length-sorted batches whose padded size (texts × longest) stays within `maxBatchTokens`, so memory
 * is bounded by the budget rather than by the longest text times a fixed count. A text longer than
 * the budget goes alone.
 */
export function budgetBatches<T>(texts: TokenizedText<T>[], budget: BatchBudget): TokenizedText<T>[][] {
  const sorted = [...texts].sort((a, b) => a.ids.length - b.ids.length);
  const batches: TokenizedText<T>[][] = [];
  let current: TokenizedText<T>[] = [];
  for (const t of sorted) {
    // Sorted ascending, so the newcomer is the longest: the batch would cost (n + 1) × its length.
    if (current.length > 0 && (current.length >= budget.maxBatchSize || (current.length + 1) * t.ids.length > budget.maxBatchTokens)) {
      batches.push(current);
      current = [];
    }
    current.push(t);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Mean next-token negative log-likelihood pieces of one text from its logits [len, vocab]. */
export function nextTokenNll(logits: Float32Array, vocab: number, ids: number[], offset = 0): { sum: number; count: number } {
  let sum = 0;
  let count = 0;
  for (let t = 0; t + 1 < ids.length; t++) {
    const row = logits.subarray(offset + t * vocab, offset + (t + 1) * vocab);
    let max = -Infinity;
    for (const x of row) if (x > max) max = x;
    let z = 0;
    for (const x of row) z += Math.exp(x - max);
    sum += max + Math.log(z) - row[ids[t + 1]!]!;
    count++;
  }
  return { sum, count };
}

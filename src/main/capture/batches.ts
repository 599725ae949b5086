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

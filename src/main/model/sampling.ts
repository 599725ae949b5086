/** Next-token choice from logits: greedy at temperature 0, else temperature + nucleus (top-p) sampling. */
export interface SamplingOptions {
  temperature: number;
  topP: number;
  /** Uniform random numbers in [0, 1); seeded by the caller for reproducible runs. */
  random: () => number;
}

export function softmax(logits: Float32Array, temperature = 1): Float64Array {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp((logits[i]! - max) / temperature);
  for (let i = 0; i < p.length; i++) p[i]! /= sum;
  return p;
}

export function sampleToken(logits: Float32Array, o: SamplingOptions): { id: number; prob: number } {
  const plain = softmax(logits);
  if (o.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    return { id: best, prob: plain[best]! };
  }
  const p = softmax(logits, o.temperature);
  const order = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
  let keep = order.length;
  if (o.topP < 1) {
    let cum = 0;
    for (let i = 0; i < order.length; i++) {
      cum += p[order[i]!]!;
      if (cum >= o.topP) {
        keep = i + 1;
        break;
      }
    }
  }
  const kept = order.slice(0, keep);
  const total = kept.reduce((s, i) => s + p[i]!, 0);
  let r = o.random() * total;
  for (const i of kept) {
    r -= p[i]!;
    if (r <= 0) return { id: i, prob: plain[i]! };
  }
  const lastId = kept[kept.length - 1]!;
  return { id: lastId, prob: plain[lastId]! };
}

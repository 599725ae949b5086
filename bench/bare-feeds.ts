import * as ort from 'onnxruntime-node';

/** The bare forward's feeds for a right-padded batch, as Optimum's graph takes them (empty past). */
export function bareFeeds(session: ort.InferenceSession, ids: number[][], numKvHeads: number, headDim: number): Record<string, ort.Tensor> {
  const B = ids.length;
  const T = Math.max(...ids.map((x) => x.length));
  const grid = (f: (row: number[], t: number) => bigint) => BigInt64Array.from(ids.flatMap((x) => [...Array(T).keys()].map((t) => f(x, t))));
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', grid((x, t) => BigInt(x[t] ?? 0)), [B, T]),
    attention_mask: new ort.Tensor('int64', grid((x, t) => (t < x.length ? 1n : 0n)), [B, T]),
    position_ids: new ort.Tensor('int64', grid((_, t) => BigInt(t)), [B, T]),
  };
  for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values'))) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [B, numKvHeads, 0, headDim]);
  return feeds;
}

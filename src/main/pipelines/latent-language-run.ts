/**
 * The latent-language protocol's forward passes: each prompt through the in-graph logit lens, reading at
 * its last position, per layer, the mass on its target and latent token sets (two indicator columns per
 * prompt of the batch) and the entropy.
 */
import type { LatentPrompt } from '../analysis/latent-language.js';
import type { Model } from '../model/model.js';
import { lengthSortedBatches } from './batches.js';

/** What the lens gives for one prompt, per layer (the residual after block l). */
export interface LatentPromptLens {
  inputIds: number[];
  targetProb: number[];
  latentProb: number[];
  /** Entropy in bits. */
  entropy: number[];
  /** The lens's most probable next token per layer. */
  top1: number[];
}

export async function latentLanguageLens(
  model: Model,
  prompts: readonly LatentPrompt[],
  o: { batchSize: number; onProgress?: (done: number, total: number) => void },
): Promise<LatentPromptLens[]> {
  const V = model.info.vocabSize;
  const enc = await model.tokenizer.encodeBatchIds(prompts.map((p) => p.prompt));
  const items = prompts.map((p, index) => ({ item: { p, index }, ids: enc[index]! }));
  const out: LatentPromptLens[] = new Array(prompts.length);
  let done = 0;
  for (const batch of lengthSortedBatches(items, o.batchSize)) {
    const numSets = 2 * batch.length;
    const data = new Float32Array(V * numSets);
    batch.forEach(({ item: { p } }, i) => {
      for (const id of p.targetTokens) data[id * numSets + 2 * i] = 1;
      for (const id of p.latentTokens) data[id * numSets + 2 * i + 1] = 1;
    });
    // This batch's own sets: moved to the worker, not copied.
    const r = await model.lens({ inputIds: batch.map((b) => b.ids), topK: 1, tokenSets: { data, numSets } }, { transferTokenSets: true });
    batch.forEach(({ item: { index }, ids }, i) => {
      const t = r.texts[i]!;
      const last = ids.length - 1;
      const res: LatentPromptLens = { inputIds: ids, targetProb: [], latentProb: [], entropy: [], top1: [] };
      for (let l = 0; l < model.info.numLayers; l++) {
        res.targetProb.push(t.setMass![l]![last]![2 * i]!);
        res.latentProb.push(t.setMass![l]![last]![2 * i + 1]!);
        res.entropy.push(t.entropy[l]![last]! / Math.LN2);
        res.top1.push(t.topIds[l]![last]![0]!);
      }
      out[index] = res;
    });
    done += batch.length;
    o.onProgress?.(done, prompts.length);
  }
  return out;
}

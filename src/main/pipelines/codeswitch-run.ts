/**
 * Generations for the code-switching analysis: per prompt one greedy continuation and N sampled ones
 * (each with its own seed derived from --seed, the prompt and the sample number, so a run is
 * reproducible and one response can be regenerated alone); `tokenIndexAtChar` (continuation.ts) leads
 * back from a character of a response to the generated token that produced it.
 */
import type { CorpusText } from '../../shared/corpus-text.js';
import type { Model } from '../model/model.js';
import type { NeuronIntervention } from '../model/types.js';
import { continuationText } from './continuation.js';

export { tokenIndexAtChar } from './continuation.js';

export interface GenerationPlan {
  /** Sampled generations per prompt, besides the greedy one. */
  samples: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  /** Prompts longer than this (in tokens, BOS included) keep their first tokens. */
  maxPromptTokens: number;
  interventions?: NeuronIntervention[];
}

export interface GeneratedResponse {
  promptId: string;
  lang: string;
  mode: 'greedy' | 'sample';
  /** 1…samples for sampled responses, null for the greedy one. */
  sample: number | null;
  /** Seed of a sampled response (pass it to `babelscope generate --seed`), null for the greedy one. */
  seed: number | null;
  /** Prompt length in tokens after the cut (the first generated token sits at this position). */
  promptTokens: number;
  /** The prompt's token ids after the cut. */
  promptIds: number[];
  /** Generated token ids only (not the prompt). */
  ids: number[];
  /** The generated text as it follows the prompt (continuation.ts), special tokens skipped. */
  text: string;
  stoppedBy: 'eos' | 'length' | 'context';
}

/** FNV-1a 32-bit hash of a string: a seed for each (prompt, sample) that does not depend on prompt order. */
export function sampleSeed(seed: number, prompt: Pick<CorpusText, 'lang' | 'id'>, sample: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}\u0000${prompt.lang}\u0000${prompt.id}\u0000${sample}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Runs the plan over every prompt: greedy first, then samples 1…N. */
export async function generateResponses(
  model: Model,
  prompts: readonly CorpusText[],
  plan: GenerationPlan,
  onProgress?: (done: number, total: number) => void,
): Promise<GeneratedResponse[]> {
  const total = prompts.length * (1 + plan.samples);
  const out: GeneratedResponse[] = [];
  onProgress?.(0, total);
  for (const prompt of prompts) {
    const inputIds = (await model.tokenizer.encode(prompt.text)).ids.slice(0, plan.maxPromptTokens);
    for (let sample = 0; sample <= plan.samples; sample++) {
      const seed = sample === 0 ? null : sampleSeed(plan.seed, prompt, sample);
      const r = await model.generate({
        inputIds,
        maxNewTokens: plan.maxNewTokens,
        temperature: sample === 0 ? 0 : plan.temperature,
        topP: sample === 0 ? 1 : plan.topP,
        seed: seed ?? 0,
        ...(plan.interventions?.length ? { interventions: plan.interventions } : {}),
      });
      out.push({
        promptId: prompt.id,
        lang: prompt.lang,
        mode: sample === 0 ? 'greedy' : 'sample',
        sample: sample === 0 ? null : sample,
        seed,
        promptTokens: inputIds.length,
        promptIds: inputIds,
        ids: r.ids,
        text: (await continuationText(model.tokenizer, inputIds, r.ids)).text,
        stoppedBy: r.stoppedBy,
      });
      onProgress?.(out.length, total);
    }
  }
  return out;
}

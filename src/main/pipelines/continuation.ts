/**
 * The text a model generated, as it reads after its prompt: decode prompt + generated ids together and
 * keep what follows the prompt's own decoding. Decoding the generated ids alone loses the first
 * token's leading space (SentencePiece strips it at the start of a text: "the rightto freedom") and
 * breaks a character whose bytes started in the prompt.
 */
import type { Tokenizer } from '../model/tokenizer.js';

function commonPrefixLength(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a.charCodeAt(n) === b.charCodeAt(n)) n++;
  return n;
}

export interface Continuation {
  /** The generated text as it follows the prompt. */
  text: string;
  /** Where `text` starts in `decode(prompt + ids)` (UTF-16). */
  cut: number;
}

export async function continuationText(tokenizer: Tokenizer, promptIds: readonly number[], ids: readonly number[]): Promise<Continuation> {
  const [prompt, full] = await tokenizer.decodeBatch([[...promptIds], [...promptIds, ...ids]]);
  const cut = commonPrefixLength(prompt!, full!);
  return { text: full!.slice(cut), cut };
}

/**
 * Index (into `ids`) of the generated token that produced character `charOffset` (UTF-16) of the
 * continuation text: the first prefix of the ids whose decoding (after the prompt) agrees with the
 * whole continuation beyond that offset. Agreement, not length: a prefix that ends inside a multi-byte
 * character decodes its pieces to U+FFFD, one per byte, and would otherwise look longer than it is.
 * null when no prefix reaches it.
 */
export async function tokenIndexAtChar(tokenizer: Tokenizer, promptIds: readonly number[], ids: readonly number[], charOffset: number): Promise<number | null> {
  const { text, cut } = await continuationText(tokenizer, promptIds, ids);
  const prefixes = await tokenizer.decodeBatch(ids.map((_, k) => [...promptIds, ...ids.slice(0, k + 1)]));
  for (let k = 0; k < prefixes.length; k++) {
    if (commonPrefixLength(prefixes[k]!.slice(cut), text) > charOffset) return k;
  }
  return null;
}

/** The model's tokenizer, from its tokenizer.json, through the Hugging Face `tokenizers` binding. */
import { createRequire } from 'node:module';
import { UserError } from '../../shared/errors.js';

const require = createRequire(import.meta.url);
const { Tokenizer: HfTokenizer } = require('tokenizers') as typeof import('tokenizers');

/** A tokenized text. */
export interface Encoded {
  ids: number[];
  tokens: string[];
  /** [start, end) character offsets of each token in the input text (special tokens: [0, 0]). */
  offsets: [number, number][];
}

/** A model's tokenizer (Hugging Face `tokenizers`): encode, decode, vocabulary. */
export class Tokenizer {
  private constructor(private readonly tk: InstanceType<typeof HfTokenizer>) {}

  static fromFile(path: string): Tokenizer {
    try {
      return new Tokenizer(HfTokenizer.fromFile(path));
    } catch (e) {
      throw new UserError(`cannot load tokenizer ${path}: ${(e as Error).message}`, 'tokenizer.json must be a Hugging Face tokenizers file (tokenizer.json from the model repository).');
    }
  }

  async encode(text: string, addSpecialTokens = true): Promise<Encoded> {
    const e = await this.tk.encode(text, null, { addSpecialTokens });
    return { ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets() as [number, number][] };
  }

  /**
   * Token ids only, of many texts at once: no token strings or offsets are made, which for a whole corpus
   * was most of the tokenizing time and of the garbage on the calling thread.
   */
  async encodeBatchIds(texts: string[], addSpecialTokens = true): Promise<number[][]> {
    if (texts.length === 0) return [];
    const es = await this.tk.encodeBatch(texts, { addSpecialTokens });
    return es.map((e) => e.getIds());
  }

  async encodeBatch(texts: string[], addSpecialTokens = true): Promise<Encoded[]> {
    if (texts.length === 0) return [];
    const es = await this.tk.encodeBatch(texts, { addSpecialTokens });
    return es.map((e) => ({ ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets() as [number, number][] }));
  }

  decode(ids: number[], skipSpecialTokens = true): Promise<string> {
    return this.tk.decode(ids, skipSpecialTokens);
  }

  /** Decodes each id sequence on its own (one native call). */
  decodeBatch(ids: number[][], skipSpecialTokens = true): Promise<string[]> {
    return ids.length ? this.tk.decodeBatch(ids, skipSpecialTokens) : Promise.resolve([]);
  }

  idToToken(id: number): string {
    return this.tk.idToToken(id) ?? `<${id}>`;
  }

  vocabSize(): number {
    return this.tk.getVocabSize(true);
  }

  /** token string → id for the whole vocabulary (added tokens included). */
  vocab(): Record<string, number> {
    return this.tk.getVocab(true);
  }
}

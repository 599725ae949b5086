/** Tokenizers named on the command line, and the token spans of whole texts for the fertility analysis. */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import type { TokenizeText } from '../analysis/fertility.js';
import { Tokenizer } from '../model/tokenizer.js';

export interface NamedTokenizerFile {
  /** The folder name for a folder (or a file called tokenizer.json), else the file name without `.json`; repeats get `-2`, `-3`, … */
  name: string;
  path: string;
}

/** Each argument is a tokenizer.json file or a model folder holding one. */
export function resolveTokenizerFiles(args: readonly string[]): NamedTokenizerFile[] {
  const used = new Set<string>();
  return args.map((arg) => {
    if (!existsSync(arg)) throw new UserError(`no such tokenizer file or folder: ${arg}`, 'Pass a tokenizer.json file or a model folder that holds one.');
    const isDir = statSync(arg).isDirectory();
    const path = isDir ? join(arg, 'tokenizer.json') : arg;
    if (isDir && !existsSync(path)) throw new UserError(`no tokenizer.json in ${arg}`, 'Pass a tokenizer.json file or a model folder that holds one.');
    const base = isDir || basename(path) === 'tokenizer.json' ? basename(resolve(dirname(path))) : basename(path).replace(/\.json$/i, '');
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    return { name, path };
  });
}

/**
 * Tokenizes every distinct text of `texts` whole, once (without special tokens, as the model sees it),
 * and returns the lookup of token spans the fertility analysis calls.
 */
export async function textTokenSpans(tokenizer: Tokenizer, texts: readonly { text: string }[]): Promise<TokenizeText> {
  const distinct = [...new Set(texts.map((t) => t.text))];
  const spans = new Map<string, [number, number][]>();
  const batch = 256;
  for (let i = 0; i < distinct.length; i += batch) {
    const chunk = distinct.slice(i, i + batch);
    const encoded = await tokenizer.encodeBatch(chunk, false);
    chunk.forEach((t, k) => spans.set(t, encoded[k]!.offsets));
  }
  return (text) => {
    const s = spans.get(text);
    if (s === undefined) throw new Error(`text not tokenized in advance: ${JSON.stringify(text.slice(0, 40))}`);
    return s;
  };
}

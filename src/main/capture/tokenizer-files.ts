/** Tokenizers named on the command line, and per-word token counts for the fertility analysis. */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import type { TokenizeWords } from '../analysis/fertility.js';
import { splitWords } from '../analysis/words.js';
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
 * Tokenizes every distinct word of `texts` once (without special tokens) and returns the lookup the
 * fertility analysis calls.
 */
export async function wordTokenCounter(tokenizer: Tokenizer, texts: readonly { text: string }[]): Promise<TokenizeWords> {
  const words = [...new Set(texts.flatMap((t) => splitWords(t.text)))];
  const counts = new Map<string, number>();
  const batch = 1024;
  for (let i = 0; i < words.length; i += batch) {
    const chunk = words.slice(i, i + batch);
    const encoded = await tokenizer.encodeBatch(chunk, false);
    chunk.forEach((w, k) => counts.set(w, encoded[k]!.ids.length));
  }
  return (ws) =>
    ws.map((w) => {
      const c = counts.get(w);
      if (c === undefined) throw new Error(`word not counted in advance: ${JSON.stringify(w)}`);
      return c;
    });
}

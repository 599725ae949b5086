import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { UserError } from '../../shared/errors.js';
import type { CorpusText } from './types.js';

const LINE_HINT = 'Each line must be one JSON object like {"lang":"eng","id":"1.1","text":"…"}.';

/**
 * Streams a JSONL corpus: one `{"lang","id","text"}` object per line, blank lines ignored.
 * A malformed line, a duplicate (lang, id) or an empty file is a UserError naming `file:line`.
 */
export async function* readJsonlCorpus(path: string): AsyncGenerator<CorpusText> {
  await assertReadableFile(path);
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  const firstLineOf = new Map<string, number>();
  let lineNo = 0;
  let count = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      const text = parseLine(line, `${path}:${lineNo}`);
      const key = `${text.lang}\u0000${text.id}`;
      const first = firstLineOf.get(key);
      if (first !== undefined) {
        throw new UserError(
          `${path}:${lineNo}: duplicate id "${text.id}" for language "${text.lang}" (first at line ${first}).`,
          'Ids must be unique within a language; translations share an id across languages.',
        );
      }
      firstLineOf.set(key, lineNo);
      count++;
      yield text;
    }
  } finally {
    lines.close();
    input.destroy(); // when the consumer stops early
  }
  if (count === 0) throw new UserError(`${path} has no texts.`, LINE_HINT);
}

async function assertReadableFile(path: string): Promise<void> {
  try {
    if ((await stat(path)).isFile()) return;
  } catch {
    throw new UserError(`Corpus file ${path} does not exist.`, 'Check the path, or use a built-in source such as udhr:eng,rus.');
  }
  throw new UserError(`Corpus path ${path} is not a file.`, LINE_HINT);
}

function parseLine(line: string, where: string): CorpusText {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new UserError(`${where}: not valid JSON (${(e as Error).message}).`, LINE_HINT);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${where}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}.`, LINE_HINT);
  }
  const record = value as Record<string, unknown>;
  const lang = record['lang'];
  const id = record['id'];
  const text = record['text'];
  if (typeof lang !== 'string' || lang.trim() === '') {
    throw new UserError(`${where}: "lang" must be a non-empty string.`, LINE_HINT);
  }
  if (!(typeof id === 'string' && id !== '') && !(typeof id === 'number' && Number.isFinite(id))) {
    throw new UserError(`${where}: "id" must be a non-empty string or a number.`, LINE_HINT);
  }
  if (typeof text !== 'string' || text.trim() === '') {
    throw new UserError(`${where}: "text" must be a non-empty string.`, LINE_HINT);
  }
  return { lang, id: String(id), text };
}

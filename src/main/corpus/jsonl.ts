import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { UserError } from '../../shared/errors.js';
import type { CorpusText } from '../../shared/corpus-text.js';

const LINE_HINT = 'Each line must be one JSON object like {"lang":"eng","id":"1.1","text":"…"}.';

/**
 * Streams a JSONL corpus: one `{"lang","id","text"}` object per line (`\n` or `\r\n`), blank lines
 * ignored, UTF-8 with or without a BOM. Invalid UTF-8 (which would otherwise silently become U+FFFD and
 * change every number computed from the text), a malformed line, a duplicate (lang, id) or an empty file
 * is a UserError naming `file:line`.
 */
export async function* readJsonlCorpus(path: string): AsyncGenerator<CorpusText> {
  await assertReadableFile(path);
  const input = createReadStream(path);
  const firstLineOf = new Map<string, number>();
  let lineNo = 0;
  let count = 0;
  try {
    for await (const bytes of byteLines(input)) {
      lineNo++;
      const line = decodeLine(bytes, lineNo === 1, `${path}:${lineNo}`);
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
    input.destroy(); // when the consumer stops early
  }
  if (count === 0) throw new UserError(`${path} has no texts.`, LINE_HINT);
}

/** The file's lines as bytes, without their `\n` (decoded per line so an error can name its line). */
async function* byteLines(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of input) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      yield pending.length ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length) yield Buffer.concat(pending);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeLine(bytes: Buffer, first: boolean, where: string): string {
  let line: string;
  try {
    line = utf8.decode(bytes);
  } catch {
    throw new UserError(`${where}: not valid UTF-8.`, 'Save the corpus as UTF-8 (e.g. `iconv -f latin1 -t utf-8`), or fix the bytes on that line.');
  }
  if (first && line.startsWith('\uFEFF')) line = line.slice(1);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
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

/**
 * Completions files as the Language Confusion Benchmark releases them: CSV with a header
 * (`id,model,completion,task,source,language`; RFC 4180 quoting, fields may span lines, as Python's
 * `csv` writes them) or JSON Lines with the same fields.
 */
import { UserError } from '../../shared/errors.js';
import type { CompletionRow } from './lcb.js';
import { parseCsv } from '../../shared/csv.js';

const REQUIRED = ['completion', 'language'] as const;
const FIELDS = ['id', 'model', 'completion', 'task', 'source', 'language'] as const;

function toRow(get: (k: (typeof FIELDS)[number]) => unknown, where: string): CompletionRow {
  for (const k of REQUIRED) {
    if (typeof get(k) !== 'string') throw new UserError(`${where} has no ${k}`, 'Each completion needs id, model, completion, task, source and language (LCB\'s columns).');
  }
  const row: CompletionRow = { completion: get('completion') as string, language: get('language') as string };
  for (const k of ['id', 'model', 'task', 'source'] as const) {
    const v = get(k);
    if (v !== undefined && v !== null) row[k] = String(v);
  }
  return row;
}

/** Completions from a CSV (by its header) or JSONL text; `name` is for messages. */
export function parseCompletions(text: string, name: string): CompletionRow[] {
  const first = text.replace(/^\uFEFF/, '').trimStart();
  if (first.startsWith('{')) {
    const rows: CompletionRow[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (e) {
        throw new UserError(`${name}:${i + 1} is not JSON: ${(e as Error).message}`, 'A JSONL file holds one JSON object a line.');
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new UserError(`${name}:${i + 1} is not a JSON object`);
      rows.push(toRow((k) => (obj as Record<string, unknown>)[k], `${name}:${i + 1}`));
    });
    return rows;
  }
  // Read as LCB's compute_metrics.py opens it (Python's universal newlines): "\r\n" and "\r" become "\n", inside fields too.
  const records = parseCsv(text.replace(/\r\n?/g, '\n'));
  if (records.length === 0) return [];
  const header = records[0]!.map((h) => h.trim());
  for (const k of REQUIRED) {
    if (!header.includes(k)) {
      throw new UserError(`${name} has no "${k}" column (header: ${header.join(',')})`, 'LCB\'s CSV header is id,model,completion,task,source,language; JSONL files hold the same fields.');
    }
  }
  return records.slice(1).map((rec, r) => {
    if (rec.length > header.length) throw new UserError(`${name}: record ${r + 2} has ${rec.length} fields, the header ${header.length}`, 'Quote fields that hold commas or line breaks.');
    return toRow((k) => {
      const j = header.indexOf(k);
      return j < 0 || j >= rec.length ? undefined : rec[j];
    }, `${name}: record ${r + 2}`);
  });
}

/** Reads src/main/store/SCHEMA.md into what it claims: tables and their columns, result kinds and their keys. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface DocumentedKind {
  /** Keys; a trailing `?` in the document marks an optional one (listed in `optional`). */
  params: string[];
  optionalParams: string[];
  inputs: string[];
  result: string[];
  optionalResult: string[];
  /** `language → …`: the result is keyed by language and `result` lists the keys of each value. */
  keyedByLanguage: boolean;
}

export interface SchemaDoc {
  version: number;
  /** table → columns in documented order. */
  tables: Map<string, string[]>;
  /** view → columns. */
  views: Map<string, string[]>;
  kinds: Map<string, DocumentedKind>;
}

export const schemaDocPath = join(repoRoot, 'src', 'main', 'store', 'SCHEMA.md');

/** Backticked names outside parentheses: the listed keys, not the remarks about them. */
function keysOf(line: string): string[] {
  let depth = 0;
  let outside = '';
  for (const ch of line) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0) outside += ch;
  }
  return [...outside.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

export function readSchemaDoc(): SchemaDoc {
  const text = readFileSync(schemaDocPath, 'utf8');
  const version = Number(/currently \*\*(\d+)\*\*/.exec(text)?.[1]);
  const tables = new Map<string, string[]>();
  const views = new Map<string, string[]>();
  const kinds = new Map<string, DocumentedKind>();
  const lines = text.split('\n');
  // Several lines of a list item belong together ("- result: … ,\n  …").
  const items = (from: number): string[] => {
    const out: string[] = [];
    for (let k = from; k < lines.length && !lines[k]!.startsWith('#'); k++) {
      if (lines[k]!.startsWith('- ')) out.push(lines[k]!);
      else if (lines[k]!.startsWith('  ') && out.length) out[out.length - 1] += ' ' + lines[k]!.trim();
    }
    return out;
  };
  lines.forEach((line, i) => {
    const table = /^### `(\w+)`(?!\s*\(view\))/.exec(line);
    if (table) {
      const cols: string[] = [];
      for (let k = i + 1; k < lines.length && !lines[k]!.startsWith('#'); k++) {
        const col = /^\| `(\w+)` \|/.exec(lines[k]!);
        if (col) cols.push(col[1]!);
      }
      tables.set(table[1]!, cols);
    }
    const view = /^### `(\w+)` \(view\)/.exec(line);
    if (view) views.set(view[1]!, (/^`([^`]+)`/m.exec(lines.slice(i + 1).join('\n'))?.[1] ?? '').split(',').map((c) => c.trim()));
    const kind = /^#### `([\w-]+)`/.exec(line);
    if (kind) {
      const field = (name: string) => items(i + 1).find((l) => l.startsWith(`- ${name}:`))?.slice(`- ${name}:`.length) ?? '';
      const params = keysOf(field('params'));
      const result = field('result');
      kinds.set(kind[1]!, {
        params: params.map((p) => p.replace(/\?$/, '')),
        optionalParams: params.filter((p) => p.endsWith('?')).map((p) => p.slice(0, -1)),
        inputs: keysOf(field('inputs')),
        result: keysOf(result).map((k) => k.replace(/\?$/, '')),
        optionalResult: keysOf(result).filter((k) => k.endsWith('?')).map((k) => k.slice(0, -1)),
        keyedByLanguage: result.trim().startsWith('language →'),
      });
    }
  });
  return { version, tables, views, kinds };
}

/**
 * JSON re-writing that keeps a file its writer's: the layout is read from the text (indent, newline,
 * key order, ASCII escapes, separators, what surrounds the value), and a re-write copies the original
 * text of every value that did not change, so only what was edited differs. Floats such as `1.0`,
 * escapes such as `\u00e9` and other writers' quirks survive because unchanged values are never
 * re-serialized. No Node, no DOM.
 */

export interface JsonLayout {
  /** One level of indentation, or null when the file is on one line. */
  indent: string | null;
  newline: '\n' | '\r\n';
  /** Every object's keys were in sorted order (Jupyter's `sort_keys=True`): new objects are sorted too. */
  sortKeys: boolean;
  /** Non-ASCII characters were written as `\uXXXX` (Python's `ensure_ascii=True`). */
  asciiOnly: boolean;
  colon: string;
  /** Between items on one line (compact files only). */
  comma: string;
  /** Text before and after the top-level value (a byte-order mark, the final newline). */
  before: string;
  after: string;
}

/** What Jupyter writes: `json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)` and a final newline. */
export const JUPYTER_LAYOUT: JsonLayout = { indent: ' ', newline: '\n', sortKeys: true, asciiOnly: false, colon: ': ', comma: ', ', before: '', after: '\n' };

/** The most levels of nesting a document may have (our writers recurse; a hostile file must not overflow the stack). */
export const MAX_JSON_DEPTH = 256;

/** How deeply arrays and objects nest in a JSON text (strings skipped), without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = stringEnd(text, i) - 1;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Reads the layout of a JSON text whose parsed value is `value`. */
export function detectLayout(text: string, value: unknown): JsonLayout {
  const start = text.search(/[^\s\uFEFF]/);
  const end = start < 0 ? text.length : valueEnd(text, start);
  const body = text.slice(start, end);
  const firstBreak = /^[[{](\r?\n)([ \t]*)/.exec(body);
  const colon = /"\s*:( ?)/.exec(body);
  const comma = /,( ?)["\d[{tfn-]/.exec(body);
  return {
    indent: firstBreak ? firstBreak[2]! : null,
    newline: firstBreak?.[1] === '\r\n' || (!firstBreak && body.includes('\r\n')) ? '\r\n' : '\n',
    sortKeys: keysSorted(value, 4),
    // eslint-disable-next-line no-control-regex
    asciiOnly: !/[^\x00-\x7f]/.test(body) && /\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})/.test(body),
    colon: colon ? `:${colon[1]}` : ': ',
    comma: comma ? `,${comma[1]}` : ', ',
    before: start < 0 ? '' : text.slice(0, start),
    after: text.slice(end),
  };
}

function keysSorted(v: unknown, levels: number): boolean {
  if (levels < 0 || v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.every((x) => keysSorted(x, levels - 1));
  const keys = Object.keys(v);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return keys.every((k) => keysSorted((v as Record<string, unknown>)[k], levels - 1));
}

/** Writes a value in a layout, as if it sat `depth` levels deep. */
export function stringifyIn(value: unknown, layout: JsonLayout, depth = 0): string {
  const nl = (d: number) => (layout.indent === null ? '' : layout.newline + layout.indent.repeat(d));
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value ?? null);
    return layout.asciiOnly && typeof value === 'string' ? escapeNonAscii(s) : s;
  }
  const sep = layout.indent === null ? layout.comma : ',';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${nl(depth + 1)}${value.map((x) => stringifyIn(x === undefined ? null : x, layout, depth + 1)).join(sep + nl(depth + 1))}${nl(depth)}]`;
  }
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  if (layout.sortKeys) keys.sort();
  if (keys.length === 0) return '{}';
  const members = keys.map((k) => `${keyText(k, layout)}${layout.colon}${stringifyIn((value as Record<string, unknown>)[k], layout, depth + 1)}`);
  return `{${nl(depth + 1)}${members.join(sep + nl(depth + 1))}${nl(depth)}}`;
}

const keyText = (k: string, layout: JsonLayout) => (layout.asciiOnly ? escapeNonAscii(JSON.stringify(k)) : JSON.stringify(k));
const escapeNonAscii = (s: string) => s.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The original a re-write starts from: its text and its parsed value. */
export interface JsonOriginal {
  text: string;
  value: unknown;
  layout: JsonLayout;
}

/**
 * Writes `next` in the original's layout, copying the original text of every unchanged value.
 * `origin` tells which original array element an element of `next` came from (cells matched by
 * identity, not position, so inserting one does not rewrite the others); elsewhere arrays match by index.
 */
export function rewriteJson(original: JsonOriginal, next: unknown, origin?: WeakMap<object, number>): string {
  const { text, layout } = original;
  const at = layout.before.length;
  const emit = (value: unknown, orig: unknown, from: number, to: number, depth: number): string => {
    if (jsonEqual(value, orig)) return text.slice(from, to);
    const nl = (d: number) => (layout.indent === null ? '' : layout.newline + layout.indent.repeat(d));
    const sep = layout.indent === null ? layout.comma : ',';
    if (isObject(value) && isObject(orig)) {
      const members = objectMembers(text, from);
      const byKey = new Map(members.map((m) => [m.key, m]));
      const keys = Object.keys(value).filter((k) => value[k] !== undefined);
      const known = [...new Set(members.map((m) => m.key))].filter((k) => value[k] !== undefined);
      const added = keys.filter((k) => !byKey.has(k));
      const order = layout.sortKeys ? [...known, ...added].sort() : [...known, ...added];
      if (order.length === 0) return '{}';
      const parts = order.map((k) => {
        const m = byKey.get(k);
        return m ? `${text.slice(m.keyFrom, m.valueFrom)}${emit(value[k], orig[k], m.valueFrom, m.valueTo, depth + 1)}` : `${keyText(k, layout)}${layout.colon}${stringifyIn(value[k], layout, depth + 1)}`;
      });
      return `{${nl(depth + 1)}${parts.join(sep + nl(depth + 1))}${nl(depth)}}`;
    }
    if (Array.isArray(value) && Array.isArray(orig)) {
      if (value.length === 0) return '[]';
      const spans = arrayElements(text, from);
      const parts = value.map((x, i) => {
        const k = x !== null && typeof x === 'object' && origin?.has(x) ? origin.get(x)! : i;
        const span = spans[k];
        return span && k < orig.length ? emit(x, orig[k], span[0], span[1], depth + 1) : stringifyIn(x, layout, depth + 1);
      });
      return `[${nl(depth + 1)}${parts.join(sep + nl(depth + 1))}${nl(depth)}]`;
    }
    return stringifyIn(value, layout, depth);
  };
  return layout.before + emit(next, original.value, at, valueEnd(text, at), 0) + layout.after;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

// ---- scanning a JSON text that is known to be valid ----

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** The index after the string starting at `i` (a `"`). */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) return text.length;
    let backslashes = 0;
    for (let k = q - 1; text[k] === '\\'; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** The index after the value starting at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = stringEnd(text, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if ((d === '}' || d === ']') && --depth === 0) return j + 1;
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !/[\s,\]}]/.test(text[j]!)) j++;
  return j;
}

interface Member {
  key: string;
  keyFrom: number;
  valueFrom: number;
  valueTo: number;
}

function objectMembers(text: string, from: number): Member[] {
  const members: Member[] = [];
  let i = skipSpace(text, from + 1);
  if (text[i] === '}') return members;
  for (;;) {
    const keyFrom = i;
    const keyTo = stringEnd(text, i);
    const key = JSON.parse(text.slice(keyFrom, keyTo)) as string;
    const valueFrom = skipSpace(text, skipSpace(text, keyTo) + 1);
    const valueTo = valueEnd(text, valueFrom);
    members.push({ key, keyFrom, valueFrom, valueTo });
    i = skipSpace(text, valueTo);
    if (text[i] !== ',') return members;
    i = skipSpace(text, i + 1);
  }
}

function arrayElements(text: string, from: number): [number, number][] {
  const spans: [number, number][] = [];
  let i = skipSpace(text, from + 1);
  if (text[i] === ']') return spans;
  for (;;) {
    const to = valueEnd(text, i);
    spans.push([i, to]);
    i = skipSpace(text, to);
    if (text[i] !== ',') return spans;
    i = skipSpace(text, i + 1);
  }
}

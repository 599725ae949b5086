import { UserError } from '../../shared/errors.js';
import { readJsonlCorpus } from './jsonl.js';
import { limitPerLang } from './limits.js';
import type { CorpusText } from '../../shared/corpus-text.js';
import type { CorpusLimits } from './types.js';
import { DEFAULT_LABEL_LANGUAGES, readUdhr } from './udhr.js';

export type CorpusSpec = { kind: 'udhr'; langs: string[] } | { kind: 'jsonl'; path: string };

const SPEC_HINT = 'Use udhr:LANG,LANG (e.g. udhr:eng,rus,cmn), udhr alone (all of its short codes) or a path to a .jsonl file of {"lang","id","text"} lines.';

/** `udhr:eng,rus` → the built-in UDHR in those languages (`udhr` alone: every short code); anything ending in `.jsonl` → that file. */
export function parseCorpusSpec(spec: string): CorpusSpec {
  const trimmed = spec.trim();
  if (trimmed === 'udhr') return { kind: 'udhr', langs: [...DEFAULT_LABEL_LANGUAGES] };
  if (trimmed.startsWith('udhr:')) {
    const langs = trimmed
      .slice('udhr:'.length)
      .split(',')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    if (langs.length === 0) throw new UserError(`Corpus "${spec}" names no languages.`, SPEC_HINT);
    const repeated = langs.find((l, i) => langs.indexOf(l) !== i);
    if (repeated) throw new UserError(`Corpus "${spec}" names ${repeated} twice.`, SPEC_HINT);
    return { kind: 'udhr', langs };
  }
  if (/\.(jsonl|ndjson)$/i.test(trimmed)) return { kind: 'jsonl', path: trimmed };
  throw new UserError(`Unknown corpus source "${spec}".`, SPEC_HINT);
}

/** Opens a corpus source as a stream of texts, with optional per-language budgets. */
export function openCorpus(spec: string | CorpusSpec, limits: CorpusLimits = {}): AsyncIterable<CorpusText> {
  const parsed = typeof spec === 'string' ? parseCorpusSpec(spec) : spec;
  if (parsed.kind === 'udhr') return readUdhr(parsed.langs, limits);
  return limitPerLang(readJsonlCorpus(parsed.path), limits);
}

/** The whole corpus in memory (fine for UDHR-sized corpora; stream with openCorpus otherwise). */
export async function readCorpus(spec: string | CorpusSpec, limits: CorpusLimits = {}): Promise<CorpusText[]> {
  const texts: CorpusText[] = [];
  for await (const text of openCorpus(spec, limits)) texts.push(text);
  return texts;
}

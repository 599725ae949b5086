import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { CorpusText } from '../../shared/corpus-text.js';
import { now, statement } from './statements.js';
import type { StoredCorpus, StoredText } from './types.js';

/** Stores a corpus once per distinct content: saving the same texts again returns the stored rows. */
export function saveCorpus(db: Database, spec: string, texts: readonly CorpusText[]): StoredCorpus {
  const contentHash = corpusHash(texts);
  const existing = statement(db, 'SELECT id FROM corpora WHERE content_hash = ?').get(contentHash) as { id: number } | undefined;
  if (existing) return { corpusId: existing.id, created: false, texts: readCorpusTexts(db, existing.id) };
  const corpusId = Number(
    statement(db, 'INSERT INTO corpora (spec, content_hash, n_texts, created_at) VALUES (?, ?, ?, ?)').run(spec, contentHash, texts.length, now())
      .lastInsertRowid,
  );
  const insert = statement(db, 'INSERT INTO texts (corpus_id, lang, key, text) VALUES (?, ?, ?, ?)');
  const stored = texts.map(({ lang, id, text }) => ({
    textId: Number(insert.run(corpusId, lang, id, text).lastInsertRowid),
    lang,
    id,
    text,
  }));
  return { corpusId, created: true, texts: stored };
}

export function readCorpusTexts(db: Database, corpusId: number): StoredText[] {
  // `ORDER BY t.id`: a bare `id` would mean the output column `key AS id` and sort by key.
  return statement(db, 'SELECT t.id AS textId, t.lang, t.key AS id, t.text FROM texts t WHERE t.corpus_id = ? ORDER BY t.id').all(corpusId) as StoredText[];
}

function corpusHash(texts: readonly CorpusText[]): string {
  const hash = createHash('sha256');
  for (const { lang, id, text } of texts) hash.update(`${lang}\u0000${id}\u0000${text}\u0001`);
  return hash.digest('hex');
}

/** A stored corpus's identity: its source spec, content hash and size. */
export function corpusInfo(db: Database, corpusId: number): { corpusId: number; spec: string; contentHash: string; nTexts: number } | undefined {
  const row = statement(db, 'SELECT id, spec, content_hash, n_texts FROM corpora WHERE id = ?').get(corpusId) as
    | { id: number; spec: string; content_hash: string; n_texts: number }
    | undefined;
  return row && { corpusId: row.id, spec: row.spec, contentHash: row.content_hash, nTexts: row.n_texts };
}

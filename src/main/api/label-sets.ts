/**
 * The token languages `lens({ languages })` labels against, kept per model. The lens is called again and
 * again with the same labels (the workbench's lens page, a cell in a loop), and reading, tokenizing and
 * counting the label corpus is most of its time; so is sending the [vocab, labels] matrix to the worker.
 * A cached entry is found without reading the corpus: its key is what the corpus is (a UDHR spec or a
 * file, with each file's identity, size and change times; or the hash of an array's texts), the limits
 * and the rule. A file written since gets another key, so it is read again; the engine keeps each
 * entry's matrix until the entry leaves the cache and no lens call is using it.
 */
import { resolve } from 'node:path';
import { fileStamp } from '../fs/file-stamp.js';
import { parseCorpusSpec, udhrFile } from '../corpus/index.js';
import type { TokenLanguages } from '../analysis/token-language.js';
import type { CorpusText } from '../../shared/corpus-text.js';
import type { Model as Engine } from '../model/model.js';
import type { KeptTokenSets } from '../model/onnx-engine.js';
import { tokenLanguagesOfCorpus } from '../pipelines/working-language-run.js';
import { corpusLabel, loadCorpus, type CorpusLimitOptions, type CorpusSource, type LoadCorpusOptions } from './corpus.js';

/** A label corpus's token languages, and their indicator columns kept by the model's engine. */
export interface LabelSets {
  tokens: TokenLanguages;
  sets: KeptTokenSets;
}

/** The token→language rule's options (`analysis/token-language.ts`). */
export interface LabelRule {
  minShare: number;
  minCount: number;
}

/** How a cache reads a corpus (`loadCorpus`; a test counts the reads). */
export type ReadCorpus = (source: CorpusSource, options: LoadCorpusOptions) => Promise<CorpusText[]>;

interface Entry {
  sets: Promise<LabelSets>;
  /** Lens calls using the sets now: they are released when the entry has left the cache and this is 0. */
  users: number;
  evicted: boolean;
  released: boolean;
}

/**
 * What a corpus source is, told without reading its texts: null when that cannot be said (a missing
 * file, an array that is not one of texts), and the corpus is read, and refused, every time.
 */
export async function labelCorpusKey(source: CorpusSource): Promise<string | null> {
  try {
    if (typeof source !== 'string') return corpusLabel(source);
    const spec = parseCorpusSpec(source);
    if (spec.kind === 'jsonl') {
      const path = resolve(spec.path);
      return `jsonl:${path} ${await fileStamp(path)}`;
    }
    const files = await Promise.all(spec.langs.map(async (lang) => `${lang}=${await fileStamp(udhrFile(lang))}`));
    return `udhr:${files.join(',')}`;
  } catch {
    return null;
  }
}

/** Label sets per model, at most `size` per model, the least recently used leaving first. */
export class LabelSetCache {
  private readonly byModel = new WeakMap<Engine, Map<string, Entry>>();

  constructor(
    private readonly read: ReadCorpus = loadCorpus,
    private readonly size = 8,
  ) {}

  /** Runs `use` with the label sets of this corpus, limits and rule; the corpus is read only when no entry matches. */
  async use<T>(model: Engine, source: CorpusSource, limits: CorpusLimitOptions, rule: LabelRule, use: (sets: LabelSets) => Promise<T>): Promise<T> {
    const corpus = await labelCorpusKey(source);
    const make = async (): Promise<LabelSets> => {
      const texts = await this.read(source, { ...limits, model });
      const { tokens, sets } = await tokenLanguagesOfCorpus(model, texts, rule);
      return { tokens, sets: await model.keepTokenSets(sets) };
    };
    const entry = corpus === null ? this.uncached(make()) : this.entry(model, JSON.stringify([corpus, limits.maxTextsPerLang ?? null, limits.maxTokensPerLang ?? null, rule.minShare, rule.minCount]), make);
    entry.users++;
    try {
      return await use(await entry.sets);
    } finally {
      entry.users--;
      this.releaseIfUnused(model, entry);
    }
  }

  private uncached(sets: Promise<LabelSets>): Entry {
    return { sets, users: 0, evicted: true, released: false };
  }

  private entry(model: Engine, key: string, make: () => Promise<LabelSets>): Entry {
    let cached = this.byModel.get(model);
    if (!cached) this.byModel.set(model, (cached = new Map()));
    const hit = cached.get(key);
    if (hit) {
      cached.delete(key); // most recently used last
      cached.set(key, hit);
      return hit;
    }
    const entry: Entry = { sets: make(), users: 0, evicted: false, released: false };
    entry.sets.catch(() => this.evict(model, cached, key, entry));
    cached.set(key, entry);
    if (cached.size > this.size) {
      const [oldestKey, oldest] = cached.entries().next().value!;
      this.evict(model, cached, oldestKey, oldest);
    }
    return entry;
  }

  private evict(model: Engine, cached: Map<string, Entry>, key: string, entry: Entry): void {
    if (cached.get(key) === entry) cached.delete(key);
    entry.evicted = true;
    this.releaseIfUnused(model, entry);
  }

  private releaseIfUnused(model: Engine, entry: Entry): void {
    if (!entry.evicted || entry.users > 0 || entry.released) return;
    entry.released = true;
    // Sets that failed to be made hold nothing; a model disposed since has released them all.
    entry.sets.then((s) => model.releaseTokenSets(s.sets)).catch(() => {});
  }
}

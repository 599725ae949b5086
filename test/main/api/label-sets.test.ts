/**
 * The lens's label-set cache: a hit reads no corpus; a changed file, array, limit or rule is a miss;
 * the kept sets give what the corpus's own matrix gives and are released once evicted and unused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCorpus, type CorpusSource, type LoadCorpusOptions } from '../../../src/main/api/corpus.js';
import { LabelSetCache, type LabelSets } from '../../../src/main/api/label-sets.js';
import { Model } from '../../../src/main/model/model.js';
import { tokenLanguagesOfCorpus } from '../../../src/main/pipelines/working-language-run.js';
import type { CorpusText } from '../../../src/shared/corpus-text.js';
import { tinyModelDir } from '../../helpers/paths.js';

const RULE = { minShare: 0.8, minCount: 5 };
const jsonl = (texts: CorpusText[]) => texts.map((t) => JSON.stringify(t)).join('\n') + '\n';

describe('label-set cache', () => {
  let model: Model;
  let tmp: string;
  let udhr: CorpusText[];
  before(async () => {
    model = await Model.open(tinyModelDir, { device: 'cpu', log: () => {} });
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-label-sets-'));
    udhr = await loadCorpus('udhr:eng,rus', { maxTextsPerLang: 6 });
  });
  after(async () => {
    await model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A cache whose reads are counted, and a call that returns the sets' labels and their lens. */
  function counted(size?: number) {
    const reads: CorpusSource[] = [];
    const cache = new LabelSetCache(async (source: CorpusSource, o: LoadCorpusOptions) => {
      reads.push(source);
      return loadCorpus(source, o);
    }, size);
    const ids = [[1, 40, 41, 42]];
    const call = (source: CorpusSource, limits = {}, rule = RULE) =>
      cache.use(model, source, limits, rule, async (s: LabelSets) => ({ sets: s.sets, tokensPerLabel: s.tokens.tokensPerLabel, lens: await model.lens({ inputIds: ids, topK: 1, tokenSets: s.sets }) }));
    return { reads, cache, call, ids };
  }

  it('a JSONL corpus is read once while it is unchanged, and again once rewritten or touched', async () => {
    const { reads, call, ids } = counted();
    const file = join(tmp, 'labels.jsonl');
    writeFileSync(file, jsonl(udhr));
    const first = await call(file);
    const second = await call(file);
    assert.equal(reads.length, 1, 'the hit read no corpus');
    assert.deepEqual(second, first);

    // The kept sets give what the corpus's own matrix gives.
    const own = await tokenLanguagesOfCorpus(model, udhr, RULE);
    assert.deepEqual(first.tokensPerLabel, own.tokens.tokensPerLabel);
    assert.deepEqual(first.lens, await model.lens({ inputIds: ids, topK: 1, tokenSets: own.sets }));

    writeFileSync(file, jsonl(udhr.filter((t) => t.lang === 'eng')));
    const rewritten = await call(file);
    assert.equal(reads.length, 2);
    assert.deepEqual(Object.keys(rewritten.tokensPerLabel).filter((l) => l === 'rus'), []);

    // Same bytes, a new modification time: read again rather than trust the size.
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    await call(file);
    assert.equal(reads.length, 3);
  });

  it('UDHR sources and arrays hit without a read; other texts, limits or rule miss', async () => {
    const { reads, call } = counted();
    await call('udhr:eng,rus', { maxTextsPerLang: 4 });
    await call('udhr:eng,rus', { maxTextsPerLang: 4 });
    assert.equal(reads.length, 1);
    await call('udhr:eng,rus', { maxTextsPerLang: 5 });
    await call('udhr:eng,rus', { maxTextsPerLang: 4 }, { minShare: 0.9, minCount: 5 });
    assert.equal(reads.length, 3);

    const texts = udhr.map((t) => ({ ...t }));
    await call(texts);
    await call(udhr.map((t) => ({ ...t })));
    assert.equal(reads.length, 4, 'an equal array is a hit');
    texts[0]!.text = 'Something else entirely';
    await call(texts);
    assert.equal(reads.length, 5, 'a changed array is a miss');
  });

  it('an evicted entry is released once no lens call uses it; failed reads are not kept', async () => {
    const { reads, cache, call } = counted(2);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let started!: (sets: LabelSets['sets']) => void;
    const keptSets = new Promise<LabelSets['sets']>((resolve) => (started = resolve));
    const inUse = cache.use(model, 'udhr:eng', { maxTextsPerLang: 2 }, RULE, async (s) => {
      started(s.sets);
      await finished;
      return model.lens({ inputIds: [[1, 40]], topK: 1, tokenSets: s.sets });
    });
    const keptA = await keptSets;
    await call('udhr:rus', { maxTextsPerLang: 2 });
    await call('udhr:cmn', { maxTextsPerLang: 2 });
    finish();
    assert.ok((await inUse).texts[0]!.setMass, 'evicted while in use, still kept for its call');
    // The release was sent when the call ended, so before this request.
    await assert.rejects(model.lens({ inputIds: [[1, 40]], topK: 1, tokenSets: keptA }), /are not kept/, 'released after');
    assert.equal(reads.length, 3);

    const missing = join(tmp, 'missing.jsonl');
    await assert.rejects(call(missing), /missing\.jsonl/);
    writeFileSync(missing, jsonl(udhr));
    await call(missing);
    assert.equal(reads.length, 5);
  });
});

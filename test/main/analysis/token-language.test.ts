import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LANGUAGE_SCRIPTS } from '../../../src/main/analysis/script.js';
import { scriptEvidence, tokenLanguages, type TokenEvidence } from '../../../src/main/analysis/token-language.js';

const names = (t: ReturnType<typeof tokenLanguages>) => t.tokenLabel.map((i) => t.labels[i]);

describe('tokenLanguages', () => {
  // Token ids: 0 '▁', 1 ',', 2 '.', 3 '▁the', 4 '▁и', 5 '的', 6 '2024'. Punctuation and the space marker
  // are equally frequent per word in every language, but the Russian corpus is three times as large.
  const texts = ['\u2581', ',', '.', '\u2581the', '\u2581и', '的', '2024'];
  const counts = new Map<string, Uint32Array>([
    ['eng', Uint32Array.from([100, 10, 5, 40, 0, 0, 2])],
    ['rus', Uint32Array.from([300, 30, 15, 1, 120, 0, 6])],
    ['cmn', Uint32Array.from([100, 10, 5, 0, 0, 45, 2])],
  ]);

  it('does not give punctuation, digits or the space marker to the largest corpus', () => {
    const t = tokenLanguages(counts, { tokenTexts: texts, languageScripts: DEFAULT_LANGUAGE_SCRIPTS });
    assert.deepEqual(names(t), ['shared', 'shared', 'shared', 'eng', 'rus', 'cmn', 'shared']);
    assert.deepEqual(t.options, { minShare: 0.8, minCount: 5, evidence: ['script'] });
  });

  it('normalises counts per language, so volume alone wins nothing even without script evidence', () => {
    const t = tokenLanguages(counts);
    assert.deepEqual(names(t), ['shared', 'shared', 'shared', 'eng', 'rus', 'cmn', 'shared']);
    // The old rule (raw share ≥ 0.5) gave '▁' (300 of 500), ',' and '.' to Russian.
    assert.equal(300 / 500 >= 0.5, true);
  });

  it('needs a language to be distinctive: a token used in two languages at similar rates is shared', () => {
    const two = new Map<string, Uint32Array>([
      ['eng', Uint32Array.from([60, 40, 100])],
      ['deu', Uint32Array.from([50, 50, 2])],
    ]);
    // rates (per 200 eng / 102 deu tokens): token 0 0.30 vs 0.49 → deu share 0.62; token 1 0.20 vs 0.49 →
    // deu share 0.71; token 2 0.50 vs 0.02 → eng share 0.96
    assert.deepEqual(names(tokenLanguages(two)), ['shared', 'shared', 'eng']);
    assert.deepEqual(names(tokenLanguages(two, { minShare: 0.65 })), ['shared', 'deu', 'eng']);
  });

  it('lets script veto a count owner it covers, and decide tokens too rare for counts', () => {
    const c = new Map<string, Uint32Array>([
      ['eng', Uint32Array.from([0, 1, 0, 0, 0, 50])],
      ['rus', Uint32Array.from([20, 0, 1, 0, 0, 50])],
      ['python', Uint32Array.from([0, 0, 0, 0, 30, 50])],
    ]);
    const t = tokenLanguages(c, { tokenTexts: ['UN', 'cat', 'мир', '!', ':', 'x'], languageScripts: DEFAULT_LANGUAGE_SCRIPTS });
    // 'UN' counted only in Russian texts is Latin, so not Russian; 'cat' and 'мир' are too rare for counts:
    // their script decides (Latin: eng only among the corpus's natural languages); rare '!' has no script;
    // ':' is distinctive for python, which script does not cover.
    assert.deepEqual(names(t), ['shared', 'eng', 'rus', 'shared', 'python', 'shared']);
    assert.deepEqual(t.source, ['script', 'script', 'script', 'script', 'counts', 'counts']);
  });

  it('takes other evidence without scripts: keyword lists for programming languages', () => {
    const keywords: Record<string, string[]> = { python: ['def', 'if', 'elif'], go: ['func', 'if'] };
    const kw: TokenEvidence = {
      name: 'keywords',
      covers: Object.keys(keywords),
      allowed: (_id, text) => {
        const langs = Object.keys(keywords).filter((l) => keywords[l]!.includes(text ?? ''));
        return langs.length ? langs : undefined;
      },
    };
    const c = new Map<string, Uint32Array>([
      ['python', Uint32Array.from([1, 1, 2, 40, 0])],
      ['go', Uint32Array.from([0, 2, 1, 0, 1])],
    ]);
    const t = tokenLanguages(c, { tokenTexts: ['elif', 'func', 'if', 'self', 'zz'], evidence: [kw] });
    assert.deepEqual(names(t), ['python', 'go', 'unknown', 'python', 'unknown']);
    assert.deepEqual(t.source, ['keywords', 'keywords', 'none', 'counts', 'none']);
    assert.deepEqual(t.options.evidence, ['keywords']);
  });

  it('script evidence has no opinion on tokens without text (byte pieces, special tokens)', () => {
    const e = scriptEvidence(['eng', 'rus']);
    assert.equal(e.allowed(0, null), undefined);
    assert.deepEqual(e.allowed(0, ' 12,'), []);
    assert.deepEqual(e.covers, ['eng', 'rus']);
  });

  it('honours minCount and rejects reserved labels, mismatched vocabularies and a bad minShare', () => {
    assert.deepEqual(names(tokenLanguages(counts, { minCount: 50 })), ['shared', 'shared', 'unknown', 'unknown', 'rus', 'unknown', 'unknown']);
    assert.throws(() => tokenLanguages(new Map([['shared', new Uint32Array(2)]])), /reserved/);
    assert.throws(() => tokenLanguages(new Map([['eng', new Uint32Array(2)], ['rus', new Uint32Array(3)]])), /vocabulary size/);
    assert.throws(() => tokenLanguages(counts, { minShare: 0 }), /minShare/);
  });
});

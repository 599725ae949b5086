/** Wendler et al.'s prompts and token sets on hand-made vocabularies and word lists. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectVocabScheme, languageAutonym, latentPrompts, layerSeries, wordTokenSet, type WordList } from '../../../src/main/analysis/latent-language.js';
import { parseWordList } from '../../../src/main/corpus/word-list.js';
import { parseCsv } from '../../../src/shared/csv.js';
import { isUserError } from '../../../src/shared/errors.js';

const vocab: Record<string, number> = { '<unk>': 0, '<0xE8>': 1, '<0xE5>': 2, 'f': 3, '▁f': 4, '▁fl': 5, 'fle': 6, '▁fleur': 7, '▁flower': 8, 'flo': 9, '花': 10, '▁花': 11, '▁b': 12, 'c': 13, 'ch': 14, '▁chat': 15, '▁cat': 16, '猫': 17 };

describe('latent-language token sets', () => {
  it('prefixes with and without ▁, and the first byte for a non-Latin word', () => {
    assert.deepEqual(wordTokenSet('fleur', vocab), [3, 4, 5, 6, 7]);
    assert.deepEqual(wordTokenSet('flower', vocab), [3, 4, 5, 8, 9]);
    assert.deepEqual(wordTokenSet('花', vocab), [1, 10, 11]); // 花 = E8 8A B1
    assert.deepEqual(wordTokenSet('猫', vocab), [17]); // 猫 = E7 8C AB: no <0xE7> in this vocabulary
    assert.deepEqual(wordTokenSet('été', { '<0xC3>': 1, 'é': 2 }), [2], 'Latin script: no byte token, as the paper for fr/de');
  });

  it('byte-level vocabularies use Ġ and byte-level strings', () => {
    const bl: Record<string, number> = { 'Ġf': 1, 'Ġfl': 2, 'f': 3, 'Ġthe': 4, 'Ġa': 5, 'Ã©': 6, 'Ã': 7 };
    assert.equal(detectVocabScheme(bl), 'byte-level');
    assert.equal(detectVocabScheme(vocab), 'metaspace');
    assert.deepEqual(wordTokenSet('fleur', bl), [1, 2, 3]);
    assert.deepEqual(wordTokenSet('été', bl), [6, 7]);
  });

  it('languages are named in their own language, capitalised', () => {
    assert.equal(languageAutonym('fra'), 'Français');
    assert.equal(languageAutonym('cmn'), '中文');
    assert.equal(languageAutonym('rus'), 'Русский');
    assert.equal(languageAutonym('deu'), 'Deutsch');
  });
});

describe('latent-language prompts', () => {
  const list: WordList = {
    languages: ['eng', 'fra', 'cmn'],
    concepts: [
      { id: 'flower', words: { eng: 'flower', fra: 'fleur', cmn: '花' }, cloze: {} },
      { id: 'cat', words: { eng: 'cat', fra: 'chat', cmn: '猫' }, cloze: {} },
      { id: 'chat', words: { eng: 'chat', fra: 'bavarder', cmn: 'chat' }, cloze: {} },
      { id: 'nope', words: { eng: 'b', fra: 'b', cmn: '' }, cloze: {} },
    ],
  };

  it('translation: few-shot lines, the query ends at the opening quote, drops say why', () => {
    const { prompts, dropped } = latentPrompts(list, { task: 'translation', from: 'fra', to: 'cmn', shots: 1, seed: 3, vocab });
    assert.deepEqual(prompts.map((p) => p.concept), ['flower', 'cat']);
    assert.equal(prompts[0]!.prompt, 'Français: "chat" - 中文: "猫"\nFrançais: "fleur" - 中文: "');
    assert.equal(prompts[1]!.prompt, 'Français: "fleur" - 中文: "花"\nFrançais: "chat" - 中文: "');
    assert.deepEqual(prompts[0]!.targetTokens, [1, 10, 11]);
    assert.deepEqual(prompts[0]!.latentTokens, [3, 4, 5, 8, 9]);
    assert.deepEqual(dropped.map((d) => d.concept).sort(), ['chat', 'nope']);
    assert.match(dropped.find((d) => d.concept === 'chat')!.reason, /inside the cmn word/);
    assert.match(dropped.find((d) => d.concept === 'nope')!.reason, /no word in cmn/);
  });

  it('shared tokens between the target and latent sets drop the concept', () => {
    const l: WordList = { languages: ['eng', 'fra'], concepts: [{ id: 'f', words: { eng: 'flower', fra: 'fleur' }, cloze: {} }, { id: 'c', words: { eng: 'cat', fra: 'chat' }, cloze: {} }] };
    const { prompts, dropped } = latentPrompts(l, { task: 'repetition', to: 'fra', shots: 1, vocab });
    assert.equal(prompts.length, 0);
    assert.match(dropped[0]!.reason, /share a token/);
  });

  it('repetition repeats the word; cloze cuts its sentence at the first colon', () => {
    const { prompts } = latentPrompts(list, { task: 'repetition', to: 'cmn', shots: 0, vocab, latent: 'eng' });
    assert.equal(prompts.find((p) => p.concept === 'flower')!.prompt, '中文: "花" - 中文: "');
    const cl = parseWordList('eng,cmn,cmn_cloze\nflower,花,"""___""开在花园里。答案：""花""。"\ncat,猫,"""___""会喵喵叫。答案：""猫""。"\n');
    const c = latentPrompts(cl, { task: 'cloze', to: 'cmn', shots: 1, vocab });
    assert.equal(c.prompts[0]!.prompt, '"___"会喵喵叫。答案："猫"。\n"___"开在花园里。答案: "');
  });

  it('the same seed gives the same prompts, another seed may not', () => {
    const many: WordList = { languages: ['eng', 'fra'], concepts: [...Array(12).keys()].map((i) => ({ id: String(i), words: { eng: `w${i}`, fra: `m${i}` }, cloze: {} })) };
    const a = latentPrompts(many, { task: 'translation', from: 'eng', to: 'fra', vocab: { ...vocab, m: 40, w: 41 }, seed: 5 });
    const b = latentPrompts(many, { task: 'translation', from: 'eng', to: 'fra', vocab: { ...vocab, m: 40, w: 41 }, seed: 5 });
    const c = latentPrompts(many, { task: 'translation', from: 'eng', to: 'fra', vocab: { ...vocab, m: 40, w: 41 }, seed: 6 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.prompts.map((p) => p.prompt), c.prompts.map((p) => p.prompt));
    for (const p of a.prompts) assert.equal(p.prompt.split('\n').length, 5, '4 shots and the query');
  });
});

describe('latent-language summaries and word lists', () => {
  it('per-layer mean, the paper\'s normal band and a bootstrap interval', () => {
    const s = layerSeries([[0, 1], [1, 1], [2, 1]], { resamples: 500 });
    assert.deepEqual(s.mean, [1, 1]);
    const half = (1.96 / Math.sqrt(3)) * 1; // sd = 1 (n − 1)
    assert.ok(Math.abs(s.normalInterval[0]!.low - (1 - half)) < 1e-12 && Math.abs(s.normalInterval[0]!.high - (1 + half)) < 1e-12);
    assert.deepEqual([s.interval[1]!.low, s.interval[1]!.high], [1, 1]);
    assert.ok(s.interval[0]!.low >= 0 && s.interval[0]!.high <= 2 && s.interval[0]!.low < s.interval[0]!.high);
  });

  it('CSV: quotes, CRLF, BOM; headers must be ISO 639-3', () => {
    assert.deepEqual(parseCsv('\uFEFFa,"b ""c"", d"\r\n1,2\n'), [['a', 'b "c", d'], ['1', '2']]);
    const l = parseWordList('concept,eng,fra\nx,flower,fleur\n,cat,\n');
    assert.deepEqual(l.languages, ['eng', 'fra']);
    assert.deepEqual(l.concepts[1], { id: '2', words: { eng: 'cat' }, cloze: {} });
    const bad = (text: string, re: RegExp) => assert.throws(() => parseWordList(text), (e: unknown) => isUserError(e) && re.test((e as Error).message));
    bad('english,fra\na,b\n', /"english" is not an ISO 639-3 code/);
    bad('eng,fra\na,b,c\n', /3 fields, the header has 2/);
    bad('eng,fra\n"a,b\n', /inside a quoted field/);
    bad('', /empty/);
  });
});

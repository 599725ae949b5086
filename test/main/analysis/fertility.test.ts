import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fertility, measureText, type TokenizeWords } from '../../../src/main/analysis/fertility.js';
import { segmentWords, splitWords } from '../../../src/main/analysis/words.js';

describe('word segmentation', () => {
  it('splits on Unicode whitespace and keeps punctuation with its word', () => {
    assert.deepEqual(splitWords('Hello,  world!\tHow\u00a0are\u3000you?\n'), ['Hello,', 'world!', 'How', 'are', 'you?']);
    assert.deepEqual(splitWords(''), []);
    assert.deepEqual(splitWords('   '), []);
  });
  it('counts characters as words in scripts without spaces', () => {
    assert.deepEqual(splitWords('我爱NLP。'), ['我', '爱', 'NLP。']);
    assert.deepEqual(splitWords('2024年「你好」'), ['2024', '年', '「你', '好」']);
    assert.deepEqual(splitWords('日本語です'), ['日', '本', '語', 'で', 'す']);
    // Thai: combining vowel and tone marks stay with their base consonant
    assert.deepEqual(splitWords('ที่นี่'), ['ที่', 'นี่']);
    assert.deepEqual(splitWords('안녕 하세요'), ['안녕', '하세요'], 'Hangul uses spaces');
  });
  it('gives UTF-16 offsets of each word', () => {
    const text = 'a 😀b 中文';
    const words = segmentWords(text);
    assert.deepEqual(
      words.map((w) => [w.text, w.start]),
      [
        ['a', 0],
        ['😀b', 2],
        ['中', 6],
        ['文', 7],
      ],
    );
    for (const w of words) assert.equal(text.slice(w.start, w.start + w.text.length), w.text);
  });
});

/** A fake tokenizer: a word becomes ceil(code points / size) tokens. */
const chunked =
  (size: number): TokenizeWords =>
  (words) =>
    words.map((w) => Math.ceil([...w].length / size));

describe('fertility', () => {
  const texts = [
    { id: 's1', lang: 'eng', text: 'the cat sat' }, // 3 words, 9 chars
    { id: 's2', lang: 'eng', text: 'hello world' }, // 2 words, 10 chars
    { id: 's1', lang: 'rus', text: 'кошка сидела' }, // 2 words, 11 chars
    { id: 's2', lang: 'rus', text: 'привет мир' }, // 2 words, 9 chars
    { id: 's3', lang: 'rus', text: 'да' }, // no English counterpart
    { id: 's1', lang: 'cmn', text: '猫坐着' }, // 3 words, 3 chars
  ];

  it('measures one text', () => {
    assert.deepEqual(measureText('the cat sat', chunked(2)), { words: 3, chars: 9, tokens: 6, splitWords: 3 });
    assert.deepEqual(measureText('', chunked(2)), { words: 0, chars: 0, tokens: 0, splitWords: 0 });
  });

  it('reports fertility, split share, tokens per char and premium per tokenizer', () => {
    const r = fertility(texts, { char3: chunked(3), char5: chunked(5) });
    assert.deepEqual(r.tokenizers, ['char3', 'char5']);
    assert.deepEqual(r.languages, ['eng', 'rus', 'cmn']);
    assert.equal(r.pivot, 'eng');
    // char3: eng the(1) cat(1) sat(1) hello(2) world(2) = 7 tokens over 5 words, 19 chars, 2 split
    const e3 = r.byTokenizer['char3']!['eng']!;
    assert.deepEqual(e3, {
      texts: 2,
      words: 5,
      chars: 19,
      tokens: 7,
      splitWords: 2,
      tokensPerWord: 7 / 5,
      splitWordShare: 2 / 5,
      tokensPerChar: 7 / 19,
      premium: 1,
      premiumMeanOfRatios: 1,
      pairedTexts: 2,
    });
    // rus: кошка(2) сидела(2) | привет(2) мир(1) | да(1) = 8 tokens; paired s1: 4 vs 3, s2: 3 vs 4
    const r3 = r.byTokenizer['char3']!['rus']!;
    assert.equal(r3.tokens, 8);
    assert.equal(r3.words, 5);
    assert.equal(r3.splitWords, 3);
    assert.equal(r3.pairedTexts, 2);
    assert.equal(r3.premium, 7 / 7);
    assert.equal(r3.premiumMeanOfRatios, (4 / 3 + 3 / 4) / 2);
    // cmn: each character one token; s1 English has 3 tokens
    const c3 = r.byTokenizer['char3']!['cmn']!;
    assert.equal(c3.tokensPerWord, 1);
    assert.equal(c3.tokensPerChar, 1);
    assert.equal(c3.premium, 3 / 3);
    // char5: every word one token
    const e5 = r.byTokenizer['char5']!['eng']!;
    assert.equal(e5.tokensPerWord, 1);
    assert.equal(e5.splitWordShare, 0);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'serialises to JSON unchanged');
  });

  it('gives null premium without a pivot counterpart, and honours another pivot', () => {
    const r = fertility(texts, { t: chunked(3) }, { pivot: 'rus' });
    assert.equal(r.byTokenizer['t']!['eng']!.premium, 7 / 7);
    const noPivot = fertility([{ id: 'x', lang: 'deu', text: 'Hallo' }], { t: chunked(3) });
    assert.equal(noPivot.byTokenizer['t']!['deu']!.premium, null);
    assert.equal(noPivot.byTokenizer['t']!['deu']!.pairedTexts, 0);
  });

  it('rejects tokenizers that miscount and duplicate ids', () => {
    assert.throws(() => fertility(texts, { bad: () => [1] }), /returned 1 counts for 3 words/);
    assert.throws(
      () =>
        fertility(
          [
            { id: 'a', lang: 'eng', text: 'x' },
            { id: 'a', lang: 'eng', text: 'y' },
          ],
          { t: chunked(1) },
        ),
      /appears twice/,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fertility, measureText, type TokenizeText } from '../../../src/main/analysis/fertility.js';
import { icuWordAndPunctuationSegmenter, icuWordSegmenter, segmentWords, splitWords, type WordSegmenter } from '../../../src/main/analysis/words.js';

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

/** Words split on whitespace (a deterministic stand-in for ICU in the arithmetic tests). */
const spaced: WordSegmenter = {
  name: 'whitespace',
  locale: (l) => l,
  words: (text) => {
    const out: { start: number; end: number }[] = [];
    let start = -1;
    const cps = [...text];
    cps.forEach((ch, i) => {
      if (/\s/u.test(ch)) {
        if (start >= 0) out.push({ start, end: i });
        start = -1;
      } else if (start < 0) start = i;
    });
    if (start >= 0) out.push({ start, end: cps.length });
    return out;
  },
};

/** A fake tokenizer of whole texts: each whitespace-separated run falls into pieces of `size` code points. */
const chunked =
  (size: number): TokenizeText =>
  (text) =>
    spaced.words(text, '').flatMap(({ start, end }) => {
      const spans: [number, number][] = [];
      for (let s = start; s < end; s += size) spans.push([s, Math.min(end, s + size)]);
      return spans;
    });

describe('fertility', () => {
  const texts = [
    { id: 's1', lang: 'eng', text: 'the cat sat' }, // 3 words, 9 chars
    { id: 's2', lang: 'eng', text: 'hello world' }, // 2 words, 10 chars
    { id: 's1', lang: 'rus', text: 'кошка сидела' }, // 2 words, 11 chars
    { id: 's2', lang: 'rus', text: 'привет мир' }, // 2 words, 9 chars
    { id: 's3', lang: 'rus', text: 'да' }, // no English counterpart
    { id: 's1', lang: 'cmn', text: '猫坐着' }, // 1 whitespace word, 3 chars
  ];
  const opts = { segmenter: spaced };

  it('measures one text: the whole text\'s tokens on each word, or each word tokenized alone', () => {
    assert.deepEqual(measureText('the cat sat', 'eng', chunked(2), spaced), { words: 3, wordTokens: 6, continuedWords: 3, chars: 9, tokens: 6 });
    assert.deepEqual(measureText('', 'eng', chunked(2), spaced), { words: 0, wordTokens: 0, continuedWords: 0, chars: 0, tokens: 0 });
    // In context: one token across two words counts once and continues neither; a token of spaces counts nowhere.
    assert.deepEqual(measureText('ab cd', 'eng', () => [[0, 5]], spaced), { words: 2, wordTokens: 1, continuedWords: 0, chars: 4, tokens: 1 });
    assert.deepEqual(measureText('a  b', 'eng', () => [[0, 1], [1, 3], [3, 4]], spaced), { words: 2, wordTokens: 2, continuedWords: 0, chars: 2, tokens: 3 });
    // Three byte pieces of one character continue its word.
    assert.deepEqual(measureText('a 中', 'cmn', () => [[0, 1], [2, 3], [2, 3], [2, 3]], spaced), { words: 2, wordTokens: 4, continuedWords: 1, chars: 2, tokens: 4 });
    assert.throws(() => measureText('ab', 'eng', () => [[0, 3]], spaced), /outside the text/);
    // Alone (the reference's procedure): each word tokenized by itself; a word that gives no token is in neither count.
    const dropsX: TokenizeText = (t) => (t === 'x' ? [] : [[0, [...t].length]]);
    assert.deepEqual(measureText('ab x cd', 'eng', dropsX, spaced, 'alone'), { words: 2, wordTokens: 2, continuedWords: 0, chars: 5, tokens: 1 });
    assert.deepEqual(measureText('ab x cd', 'eng', dropsX, spaced), { words: 3, wordTokens: 1, continuedWords: 0, chars: 5, tokens: 1 });
  });

  it('reports fertility, continued words, tokens per char and premium per tokenizer', () => {
    const r = fertility(texts, { char3: chunked(3), char5: chunked(5) }, opts);
    assert.deepEqual(r.tokenizers, ['char3', 'char5']);
    assert.deepEqual(r.languages, ['eng', 'rus', 'cmn']);
    assert.equal(r.pivot, 'eng');
    assert.equal(r.segmentation, 'whitespace');
    // char3: eng the(1) cat(1) sat(1) hello(2) world(2) = 7 subwords over 5 words, 19 chars, 2 continued
    const e3 = r.byTokenizer['char3']!['eng']!;
    const { fertilityInterval, continuedWordShareInterval, ...rest } = e3;
    assert.deepEqual(rest, {
      texts: 2,
      words: 5,
      wordTokens: 7,
      continuedWords: 2,
      chars: 19,
      tokens: 7,
      fertility: 7 / 5,
      continuedWordShare: 2 / 5,
      tokensPerChar: 7 / 19,
      premium: 1,
      premiumMeanOfRatios: 1,
      pairedTexts: 2,
    });
    // Two texts: 3 words/3 subwords and 2 words/4 subwords; resamples give 1, 7/5 or 2.
    assert.match(fertilityInterval!.method, /bootstrap-percentile \(1000 resamples over texts\)/);
    assert.ok(fertilityInterval!.low >= 1 && fertilityInterval!.high <= 2 && fertilityInterval!.low < fertilityInterval!.high);
    assert.ok(continuedWordShareInterval!.low >= 0 && continuedWordShareInterval!.high <= 1);
    // rus: кошка(2) сидела(2) | привет(2) мир(1) | да(1) = 8 tokens; paired s1: 4 vs 3, s2: 3 vs 4
    const r3 = r.byTokenizer['char3']!['rus']!;
    assert.equal(r3.tokens, 8);
    assert.equal(r3.words, 5);
    assert.equal(r3.continuedWords, 3);
    assert.equal(r3.pairedTexts, 2);
    assert.equal(r3.premium, 7 / 7);
    assert.equal(r3.premiumMeanOfRatios, (4 / 3 + 3 / 4) / 2);
    // cmn: one token for the three characters; s1 English has 3 tokens
    const c3 = r.byTokenizer['char3']!['cmn']!;
    assert.equal(c3.fertility, 1);
    assert.equal(c3.tokensPerChar, 1 / 3);
    assert.equal(c3.premium, 1 / 3);
    // char5: every word one token
    const e5 = r.byTokenizer['char5']!['eng']!;
    assert.equal(e5.fertility, 1);
    assert.equal(e5.continuedWordShare, 0);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'serialises to JSON unchanged');
  });

  it('gives null premium without a pivot counterpart, and honours another pivot', () => {
    const r = fertility(texts, { t: chunked(3) }, { pivot: 'rus', segmenter: spaced });
    assert.equal(r.byTokenizer['t']!['eng']!.premium, 7 / 7);
    const noPivot = fertility([{ id: 'x', lang: 'deu', text: 'Hallo' }], { t: chunked(3) }, opts);
    assert.equal(noPivot.byTokenizer['t']!['deu']!.premium, null);
    assert.equal(noPivot.byTokenizer['t']!['deu']!.pairedTexts, 0);
  });

  it('rejects duplicate ids', () => {
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

describe('ICU word segmentation', () => {
  const words = (text: string, lang: string) => icuWordSegmenter.words(text, lang).map((w) => [...text].slice(w.start, w.end).join(''));

  it('finds words, not characters, in Chinese, Japanese and Thai, and leaves punctuation out', () => {
    for (const [lang, text] of [
      ['cmn', '人人生而自由，在尊严和权利上一律平等。'],
      ['jpn', 'すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。'],
      ['tha', 'มนุษย์ทั้งหลายเกิดมามีอิสระและเสมอภาคกันในเกียรติศักดิ์และสิทธิ'],
    ] as const) {
      const w = words(text, lang);
      const letters = [...text].filter((c) => /\p{L}/u.test(c)).length;
      assert.ok(w.length > 3 && w.length < letters * 0.8, `${lang}: ${w.length} words for ${letters} letters: ${w.join('|')}`);
      assert.ok(w.every((x) => !/[，。、]/u.test(x)), `${lang}: punctuation is no word`);
      assert.equal(w.join(''), [...text].filter((c) => !/[\p{P}\s]/u.test(c)).join(''), `${lang}: words cover every letter`);
    }
    assert.equal(icuWordSegmenter.locale('cmn'), 'zh');
    assert.match(icuWordSegmenter.name, /^Intl\.Segmenter word \(ICU /);
  });

  it('gives spans in code points, across characters outside the BMP', () => {
    assert.deepEqual(words('a 😀 𠀀bc, d', 'eng'), ['a', '𠀀', 'bc', 'd']);
    const spans = icuWordSegmenter.words('😀 hello', 'eng');
    assert.deepEqual(spans, [{ start: 2, end: 7 }]);
    assert.ok(icuWordSegmenter.words('x', 'c++').length === 1, 'a label that is no locale falls back to the root locale');
  });

  it('with punctuation as words (Rust et al.), every non-space segment is a word', () => {
    const text = 'Hello, world! 人人生而自由，平等。';
    const w = icuWordAndPunctuationSegmenter.words(text, 'eng').map((x) => [...text].slice(x.start, x.end).join(''));
    assert.ok(w.includes(',') && w.includes('!') && w.includes('，') && w.includes('。'), w.join('|'));
    assert.ok(w.every((x) => x.trim() !== ''));
    assert.equal(w.join(''), text.replace(/\s/gu, ''));
  });
});

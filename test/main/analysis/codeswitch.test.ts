import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  codeMixingIndex,
  codeSwitchReport,
  harmonicMean,
  lcbNormalize,
  switchPoints,
  type CodeSwitchResponse,
} from '../../../src/main/analysis/codeswitch.js';
import {
  createFastTextIdentifier,
  createLexiconIdentifier,
  fastTextLabelToLang,
} from '../../../src/main/analysis/language-id.js';
import { MACROLANGUAGE_CHOICES, toIso6393 } from '../../../src/main/analysis/language-codes.js';

const close = (a: number | null | undefined, b: number, msg?: string) =>
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-12, `${msg ?? ''} ${a} ≉ ${b}`);

const lexicon = createLexiconIdentifier({
  eng: ['the', 'cat', 'is', 'on', 'mat', 'hello', 'world', 'computer'],
  fra: ['le', 'chat', 'est', 'sur', 'tapis', 'une', 'phrase', 'en', 'français', 'très', 'bien'],
  rus: ['привет', 'как', 'дела', 'у', 'тебя', 'сегодня'],
  kor: ['안녕하세요', '저는', '학생', '입니다', '감사합니다'],
  ukr: ['привіт', 'як', 'справи', 'у', 'тебе', 'сьогодні'],
});

describe('code-mixing helpers', () => {
  it('computes CMI = 100 × (1 − max/(n − u)), 0 when every word is language-independent', () => {
    close(codeMixingIndex(['eng', 'eng', 'hin', 'univ']), 100 * (1 - 2 / 3));
    assert.equal(codeMixingIndex(['univ', 'univ']), 0);
    assert.equal(codeMixingIndex([]), 0);
    assert.equal(codeMixingIndex(['rus', 'rus']), 0);
  });
  it('finds switch points, skipping language-independent words', () => {
    assert.deepEqual(switchPoints(['eng', 'univ', 'hin', 'hin', 'eng']), [2, 4]);
    assert.deepEqual(switchPoints(['eng', 'univ', 'eng']), []);
  });
  it('normalises like LCB and takes harmonic means', () => {
    assert.equal(lcbNormalize('Hello, world — #1 «ok»، (x)'), 'Hello world   1 «ok» x');
    assert.equal(harmonicMean(1, 0.5), 2 / 3);
    assert.equal(harmonicMean(0, 0), 0);
  });
  it('maps fastText labels to ISO 639-3', () => {
    const pairs: [string, string][] = [
      ['__label__en', 'eng'], ['__label__de', 'deu'], ['__label__fr', 'fra'], ['__label__es', 'spa'],
      ['__label__ru', 'rus'], ['__label__el', 'ell'], ['__label__ar', 'arb'], ['__label__hi', 'hin'],
      ['__label__ko', 'kor'], ['__label__zh', 'cmn'], ['__label__ja', 'jpn'], ['__label__tr', 'tur'],
      ['__label__uk', 'ukr'], ['en', 'eng'],
      // every label in ISO 639-3: no bare ISO 639-1 codes beside 639-3 ones
      ['__label__bg', 'bul'], ['__label__it', 'ita'], ['__label__nn', 'nno'], ['__label__arz', 'arz'],
      // macrolanguages become the stated individual language
      ['__label__sw', 'swh'], ['__label__fa', 'pes'], ['__label__no', 'nob'], ['__label__ms', 'zsm'],
      // Wikipedia codes that are not ISO codes
      ['__label__als', 'gsw'], ['__label__sh', 'hbs'],
    ];
    for (const [label, lang] of pairs) assert.equal(fastTextLabelToLang(label), lang, label);
    assert.equal(toIso6393('zho'), 'cmn', 'a corpus labelled with the macrolanguage reads the same');
    assert.equal(toIso6393('ara'), 'arb');
    assert.equal(toIso6393('python'), 'python', 'labels that are no language code stay');
    assert.equal(MACROLANGUAGE_CHOICES['zho'], 'cmn');
  });
});

describe('codeSwitchReport (deterministic identifier)', () => {
  const responses: CodeSwitchResponse[] = [
    { id: 'f1', expected: 'fra', text: 'le chat est sur le tapis\nune phrase en français très bien' },
    { id: 'f2', expected: 'fra', text: 'le chat est sur le tapis\nthe cat is on the mat' },
    { id: 'f3', expected: 'fra', text: 'oui' },
    { id: 'k1', expected: 'kor', text: '안녕하세요 저는 학생 입니다 감사합니다' },
    { id: 'k2', expected: 'kor', text: '안녕하세요 저는 computer 학생 입니다 감사합니다' },
    { id: 'k3', expected: 'kor', text: '안녕하세요 저는 API 학생 입니다 감사합니다' },
    { id: 'r1', expected: 'rus', text: 'Привет, как дела у тебя сегодня?' },
    { id: 'r2', expected: 'rus', text: 'Привіт, як справи у тебе сьогодні?' },
  ];
  // LCB's word check looks words up in its English list: a small one here.
  const englishWords = new Set(['computer', 'house']);
  const r = codeSwitchReport(responses, lexicon, { englishWords, resamples: 100 });
  const get = (id: string) => r.responses.find((a) => a.id === id)!;

  it('passes clean responses', () => {
    const f1 = get('f1');
    assert.equal(f1.lineError, false);
    assert.equal(f1.codeSwitch, false);
    assert.equal(f1.cmi, 0);
    assert.deepEqual(f1.lines.map((l) => [l.lang, l.method, l.skipped]), [
      ['fra', 'model', false],
      ['fra', 'model', false],
    ]);
    const k1 = get('k1');
    assert.deepEqual([k1.lines[0]!.lang, k1.lines[0]!.method, k1.lines[0]!.prob], ['kor', 'script', 1]);
    assert.equal(k1.wordError, false);
  });

  it('flags a line in another language, with CMI, switch points and the first off-target word', () => {
    const f2 = get('f2');
    assert.equal(f2.lineError, true);
    assert.equal(f2.offTargetLine, true);
    assert.deepEqual(f2.lcb.labels, ['fra', 'eng']);
    assert.equal(f2.wordError, null, 'WPR does not apply to Latin-script French');
    assert.deepEqual(f2.switchedTo, ['eng']);
    assert.equal(f2.codeSwitch, true);
    assert.equal(f2.cmi, 50);
    assert.deepEqual(f2.switchPoints, [6]);
    assert.deepEqual(f2.firstOffTarget, { wordIndex: 6, charOffset: 25, lang: 'eng', basis: 'line' });
    assert.equal(f2.words[6]!.text, 'the');
    assert.equal(responses[1]!.text.slice(25, 28), 'the');
  });

  it('skips responses whose lines are all shorter than 5 words', () => {
    const f3 = get('f3');
    assert.equal(f3.skipped, true);
    assert.equal(f3.lineError, null);
    assert.equal(f3.codeSwitch, false);
    assert.deepEqual(f3.words.map((w) => w.lang), ['fra'], 'inherits the expected language');
  });

  it('finds English words in Korean responses (LCB WPR) and foreign lower-case words (Babelscope) but not acronyms', () => {
    const k2 = get('k2');
    assert.equal(k2.lineError, false);
    close(k2.lines[0]!.prob, 17 / 25, 'share of letters in Hangul');
    assert.equal(k2.wordError, true);
    assert.equal(k2.lcb.englishWord, 'computer');
    assert.equal(k2.foreignWord, true);
    assert.deepEqual(k2.switchedTo, ['eng']);
    close(k2.cmi, 100 * (1 - 5 / 6));
    assert.deepEqual(k2.switchPoints, [2, 3]);
    assert.deepEqual(k2.firstOffTarget, { wordIndex: 2, charOffset: 9, lang: 'eng', basis: 'word' });
    const k3 = get('k3');
    assert.equal(k3.wordError, false, 'API is an acronym');
    assert.equal(k3.foreignWord, false, 'API is an acronym');
    assert.deepEqual(k3.switchedTo, ['und']);
    assert.equal(k3.codeSwitch, false, 'an undetermined foreign word alone is not a switch');
    assert.equal(k3.firstOffTarget?.lang, 'und');
  });

  it('tells same-script languages apart with the identifier', () => {
    const r1 = get('r1');
    assert.equal(r1.lines[0]!.lang, 'rus');
    assert.equal(r1.lineError, false);
    assert.equal(r1.wordError, false);
    const r2 = get('r2');
    assert.equal(r2.lines[0]!.lang, 'ukr');
    assert.equal(r2.lineError, true);
    assert.deepEqual(r2.switchedTo, ['ukr']);
    assert.equal(r2.cmi, 0, 'all Ukrainian: off target but not mixed');
    assert.deepEqual(r2.firstOffTarget, { wordIndex: 0, charOffset: 0, lang: 'ukr', basis: 'line' });
  });

  it('summarises LPR, WPR and LCPR per language and overall as LCB does', () => {
    const fra = r.byLanguage['fra']!;
    assert.deepEqual([fra.responses, fra.nonSkipped, fra.lineErrors], [3, 2, 1]);
    assert.equal(fra.lpr, 0.5);
    assert.equal(fra.wpr, null);
    assert.equal(fra.lcpr, null, 'no WPR for French: no LCPR');
    assert.equal(fra.foreignWordRate, null);
    assert.equal(fra.intervals.lpr.method, 'wilson');
    close(fra.codeSwitchRate, 1 / 3);
    const kor = r.byLanguage['kor']!;
    assert.equal(kor.lpr, 1);
    close(kor.wpr, 2 / 3);
    close(kor.lcpr, 0.8);
    close(kor.foreignWordRate, 1 / 3);
    const rus = r.byLanguage['rus']!;
    assert.equal(rus.lpr, 0.5);
    assert.equal(rus.wpr, 1);
    close(rus.lcpr, 2 / 3);
    close(r.overall.lpr, 2 / 3);
    close(r.overall.wpr, 5 / 6);
    close(r.overall.lcpr, 20 / 27);
    close(r.overall.codeSwitchRate, 3 / 8);
    assert.equal(r.overall.responses, 8);
  });

  it('builds the prompt-language × switched-to matrix', () => {
    assert.deepEqual(r.matrix.rows, ['fra', 'kor', 'rus']);
    assert.deepEqual(r.matrix.columns, ['eng', 'ukr', 'und']);
    assert.deepEqual(r.matrix.counts, [
      [1, 0, 0],
      [1, 0, 1],
      [0, 1, 0],
    ]);
    close(r.matrix.rates[0]![0], 1 / 3);
    assert.equal(r.matrix.rates[2]![1], 0.5);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'serialises to JSON unchanged');
  });

  it("with wordLevel 'model' sees same-script switches inside a line", () => {
    const text = 'le chat est sur le tapis hello world';
    const inherit = codeSwitchReport([{ expected: 'fra', text }], lexicon).responses[0]!;
    assert.equal(inherit.cmi, 0);
    assert.equal(inherit.codeSwitch, false);
    const model = codeSwitchReport([{ expected: 'fra', text }], lexicon, { wordLevel: 'model' }).responses[0]!;
    assert.equal(model.lines[0]!.lang, 'fra');
    close(model.cmi, 25);
    assert.deepEqual(model.switchPoints, [6]);
    assert.deepEqual(model.switchedTo, ['eng']);
  });

  it('with a foreign word list, only listed words are foreign words; LCB looks in its English list', () => {
    const text = '안녕하세요 저는 computer 학생 입니다 감사합니다';
    const rep = codeSwitchReport([{ expected: 'kor', text }], lexicon, { foreignWords: new Set(['house']), englishWords: new Set(['house']) });
    assert.equal(rep.responses[0]!.foreignWord, false);
    assert.equal(rep.responses[0]!.wordError, false);
    const glued = codeSwitchReport([{ expected: 'kor', text: '안녕하세요 저는 학생 입니다 감사합니다 漢字' }], lexicon, { englishWords });
    assert.equal(glued.responses[0]!.foreignWord, true, 'Han inside Korean: Babelscope flags it');
    assert.equal(glued.responses[0]!.wordError, false, 'LCB does not');
  });
});

describe('Han, kana and the first off-target word', () => {
  // An identifier that, like lid.176 on short text, takes any Han text for Japanese.
  const saysJapanese = {
    identify: (text: string) => (/\p{Script=Han}/u.test(text) ? [{ lang: 'jpn', prob: 0.9 }] : [{ lang: 'eng', prob: 0.9 }]),
  };

  it('does not take Han-only text for Japanese; kana make Japanese possible', () => {
    const zh = codeSwitchReport([{ expected: 'cmn', text: '人人生而自由在尊严和权利上一律平等' }], saysJapanese).responses[0]!;
    assert.deepEqual([zh.lines[0]!.lang, zh.lines[0]!.method], ['cmn', 'script']);
    assert.equal(zh.offTargetLine, false);
    assert.equal(zh.lineError, true, "LCB takes the labeler's word for it");
    assert.equal(zh.firstOffTarget, null);
    const ja = codeSwitchReport([{ expected: 'jpn', text: 'すべての人間は生まれながらにして自由である' }], saysJapanese).responses[0]!;
    assert.equal(ja.lines[0]!.lang, 'jpn');
    assert.equal(ja.offTargetLine, false);
    assert.ok(ja.words.every((w) => w.lang === 'jpn'), 'kanji inside a line with kana stay Japanese');
  });

  it('finds the real first off-target word, not the first word of a mislabelled line', () => {
    const text = '人人生而自由 在尊严和权利上 hello world 一律平等';
    const a = codeSwitchReport([{ expected: 'cmn', text }], saysJapanese).responses[0]!;
    const hello = a.words.findIndex((w) => w.text === 'hello');
    assert.ok(hello > 0);
    assert.deepEqual(a.firstOffTarget, { wordIndex: hello, charOffset: text.indexOf('hello'), lang: 'eng', basis: 'word' });
    assert.deepEqual(a.switchedTo, ['eng']);
  });

  it('labels expected languages in ISO 639-3 too', () => {
    const a = codeSwitchReport([{ expected: 'zh', text: '人人生而自由在尊严和权利上一律平等' }], saysJapanese);
    assert.equal(a.responses[0]!.expected, 'cmn');
    assert.deepEqual(a.matrix.rows, ['cmn']);
  });
});

describe('fastText language identification (bundled lid.176, offline)', () => {
  it('identifies common languages and maps them to ISO 639-3', async () => {
    const ft = await createFastTextIdentifier();
    const cases: [string, string][] = [
      ['The weather is very nice today, is it not?', 'eng'],
      ['Guten Tag, wie geht es dir heute?', 'deu'],
      ['Bonjour tout le monde, comment allez-vous?', 'fra'],
      ['Hola mundo, ¿cómo estás hoy?', 'spa'],
      ['Привет, как у тебя дела сегодня?', 'rus'],
      ['Привіт, як у тебе справи сьогодні?', 'ukr'],
      ['今天天气很好，我们去公园散步吧。', 'cmn'],
      ['今日はとても良い天気ですね。', 'jpn'],
    ];
    for (const [text, lang] of cases) {
      const preds = ft.identify(text);
      assert.equal(preds[0]?.lang, lang, text);
      assert.ok(preds[0]!.prob > 0.5 && preds[0]!.prob <= 1);
      for (let i = 1; i < preds.length; i++) assert.ok(preds[i - 1]!.prob >= preds[i]!.prob);
    }
    assert.deepEqual(ft.identify('  \n '), []);
    assert.equal(ft.identify('Guten Tag,\nwie geht es dir heute?')[0]?.lang, 'deu', 'newlines are spaces');
  });

  it('drives the report end to end', async () => {
    const ft = await createFastTextIdentifier();
    const rep = codeSwitchReport(
      [
        { expected: 'rus', text: 'Сегодня хорошая погода, и мы пойдём гулять в парк.' },
        { expected: 'rus', text: 'Сегодня хорошая погода.\nThe weather is really nice today, so we will go for a walk.' },
      ],
      ft,
    );
    assert.deepEqual(rep.responses.map((a) => a.lineError), [false, true]);
    assert.deepEqual(rep.responses[1]!.switchedTo, ['eng']);
    assert.equal(rep.byLanguage['rus']!.lpr, 0.5);
  });
});

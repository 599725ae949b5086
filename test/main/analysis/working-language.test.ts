import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scriptCounts, scriptOf } from '../../../src/main/analysis/script.js';
import {
  tokenLanguages,
  workingLanguage,
  WorkingLanguageAccumulator,
} from '../../../src/main/analysis/working-language.js';

const close = (a: number | undefined, b: number, msg?: string) =>
  assert.ok(a !== undefined && Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} ≉ ${b}`);

describe('scriptOf', () => {
  it('names the script of text by Unicode script property', () => {
    const cases: [string, string][] = [
      ['Hello', 'Latin'],
      ['Straße', 'Latin'],
      ['Привет', 'Cyrillic'],
      ['Привіт', 'Cyrillic'],
      ['Γειά', 'Greek'],
      ['مرحبا', 'Arabic'],
      ['नमस्ते', 'Devanagari'],
      ['안녕하세요', 'Hangul'],
      ['你好', 'Han'],
      ['ひらがな', 'Hiragana'],
      ['カタカナ', 'Katakana'],
      ['สวัสดี', 'Thai'],
      ['שלום', 'Hebrew'],
      ['ქართული', 'Georgian'],
      ['Հայերեն', 'Armenian'],
      ['ሰላም', 'Ethiopic'],
      ['123 !?', 'Common'],
      ['', 'Common'],
      ['ᚠᚢᚦ', 'Other'], // Runic: a script we do not name
    ];
    for (const [text, script] of cases) assert.equal(scriptOf(text), script, text);
  });
  it('ignores digits, punctuation and combining marks, and picks the dominant script', () => {
    assert.equal(scriptOf('«Привет», 2024!'), 'Cyrillic');
    assert.equal(scriptOf('e\u0301'), 'Latin');
    assert.equal(scriptOf('Python по-русски'), 'Cyrillic'); // 6 Latin vs 8 Cyrillic letters
    assert.equal(scriptOf('日本語のテキスト'), 'Katakana'); // 3 Han, 1 Hiragana, 4 Katakana
    assert.deepEqual(scriptCounts('日本語のテキスト'), { Han: 3, Hiragana: 1, Katakana: 4 });
  });
});

describe('working language per layer', () => {
  // vocab: 0,1 eng; 2,3 rus; 4 shared (by counts)
  const tokens = tokenLanguages(
    new Map([
      ['eng', Uint32Array.from([10, 10, 0, 0, 5])],
      ['rus', Uint32Array.from([0, 0, 10, 10, 5])],
    ]),
  );
  const L = tokens.labels; // eng rus shared unknown

  it('accumulates top-1 shares and probability mass per layer and per text language', () => {
    const acc = new WorkingLanguageAccumulator(tokens, 2);
    // a Russian text read by an English-thinking model: layer 0 English, layer 1 Russian
    acc.add(0, [0.5, 0.2, 0.1, 0.1, 0.1], 0, 'rus');
    acc.add(0, [0.1, 0.6, 0.1, 0.1, 0.1], 1, 'rus');
    acc.add(1, [0.1, 0.1, 0.4, 0.3, 0.1], 2, 'rus');
    acc.add(1, null, 4, 'rus'); // top-1 only
    acc.add(0, [0, 0, 0, 0, 1], 4, 'eng');
    const r = acc.result();
    assert.deepEqual(r.labels, L);
    const rus = r.byTextLanguage['rus']!;
    assert.deepEqual(rus.positions, [2, 2]);
    assert.deepEqual(rus.massPositions, [2, 1]);
    assert.deepEqual(rus.top1Share['eng'], [1, 0]);
    assert.deepEqual(rus.top1Share['rus'], [0, 0.5]);
    assert.deepEqual(rus.top1Share['shared'], [0, 0.5]);
    close(rus.meanMass['eng']![0], 0.7);
    close(rus.meanMass['rus']![0], 0.2);
    close(rus.meanMass['shared']![0], 0.1);
    close(rus.meanMass['rus']![1], 0.7);
    assert.deepEqual(rus.meanMass['unknown'], [0, 0]);
    const all = r.overall;
    assert.deepEqual(all.positions, [3, 2]);
    close(all.top1Share['shared']![0], 1 / 3);
    close(all.meanMass['shared']![0], (0.1 + 0.1 + 1) / 3);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'serialises to JSON unchanged');
  });

  it('accepts precomputed mass per label and whole texts', () => {
    const r = workingLanguage(
      [
        {
          language: 'eng',
          layers: [
            { top1: [0, 2], probs: Float32Array.from([0.25, 0.25, 0.25, 0.25, 0, 0, 0, 1, 0, 0]) },
            { top1: [3], mass: Float64Array.from([0.1, 0.9, 0, 0]) },
          ],
        },
      ],
      tokens,
    );
    const eng = r.byTextLanguage['eng']!;
    assert.deepEqual(eng.top1Share['eng'], [0.5, 0]);
    assert.deepEqual(eng.top1Share['rus'], [0.5, 1]);
    close(eng.meanMass['eng']![0], 0.25);
    close(eng.meanMass['rus']![0], 0.75);
    close(eng.meanMass['rus']![1], 0.9);
  });

  it('rejects out-of-range layers, token ids and vector sizes', () => {
    const acc = new WorkingLanguageAccumulator(tokens, 2);
    assert.throws(() => acc.add(2, null, 0), /layer 2/);
    assert.throws(() => acc.add(0, null, 99), /top-1/);
    assert.throws(() => acc.add(0, [1, 0], 0), /vocabulary has 5/);
    assert.throws(() => acc.addMass(0, [1], 0), /one per label/);
  });
});

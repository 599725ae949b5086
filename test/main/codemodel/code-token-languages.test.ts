/**
 * The token → language rule on code: the code model's tokenizer over the held-out code split and the
 * parallel programs, with keyword lists as extra evidence. Python keywords that no other language of the model reserves and
 * that never occur in the other languages' texts are python; tokens every language uses are shared.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CODE_KEYWORDS, exclusiveKeywords, keywordEvidence } from '../../../src/main/analysis/code-keywords.js';
import { tokenLanguages, type TokenLanguages } from '../../../src/main/analysis/token-language.js';
import { tokenLanguagesOfCorpus } from '../../../src/main/pipelines/working-language-run.js';
import type { CorpusText } from '../../../src/shared/corpus-text.js';
import { readCorpus } from '../../../src/main/corpus/index.js';
import { Model } from '../../../src/main/model/model.js';
import { CODE_LANGS, codeModelDir, repoRoot } from '../../helpers/paths.js';

describe('token languages on code (tiny-babel-code, held-out split + parallel programs)', () => {
  let model: Model;
  let texts: CorpusText[];
  let tokens: TokenLanguages;
  const counts = new Map<string, Uint32Array>();
  let vocab: Record<string, number>;

  before(async () => {
    model = await Model.open(codeModelDir, { device: 'cpu' });
    texts = [...(await readCorpus(join(codeModelDir, 'heldout.jsonl'))), ...(await readCorpus(join(repoRoot, 'assets', 'code-parallel', 'programs.jsonl')))];
    ({ tokens } = await tokenLanguagesOfCorpus(model, texts));
    vocab = model.tokenizer.vocab();
    for (const t of texts) {
      let c = counts.get(t.lang);
      if (!c) counts.set(t.lang, (c = new Uint32Array(model.info.vocabSize)));
      for (const id of (await model.tokenizer.encode(t.text)).ids) c[id]!++;
    }
  });
  after(() => model.dispose());

  const label = (id: number) => tokens.labels[tokens.tokenLabel[id]!]!;
  /** Token ids whose piece is the word itself, with or without the leading space marker. */
  const idsOf = (word: string) => [vocab[word], vocab['\u2581' + word]].filter((id): id is number => id !== undefined);
  const occurrences = (lang: string, id: number) => counts.get(lang)![id]!;

  it('python keywords absent from the other languages are labelled python (by counts, or by the keyword list when rare)', () => {
    const pythonOnly = [...exclusiveKeywords(CODE_LANGS)].filter(([, lang]) => lang === 'python').map(([k]) => k);
    assert.ok(pythonOnly.includes('def') && pythonOnly.includes('elif') && !pythonOnly.includes('return'));
    const checked: string[] = [];
    for (const k of pythonOnly)
      for (const id of idsOf(k)) {
        const elsewhere = CODE_LANGS.filter((l) => l !== 'python').reduce((s, l) => s + occurrences(l, id), 0);
        if (occurrences('python', id) === 0 || elsewhere > 0) continue;
        assert.equal(label(id), 'python', `${JSON.stringify(k)} (id ${id}, source ${tokens.source[id]})`);
        checked.push(`${k}:${tokens.source[id]}`);
      }
    console.log('python-only keyword tokens:', checked.join(' '));
    assert.ok(checked.length >= 2, `only ${checked.length} python-only keyword tokens checked`);
    assert.ok(checked.some((c) => c.endsWith(':keywords')), 'no rare keyword token was decided by the keyword list');
    // `def` also turns up in other languages' identifiers now and then; it is still distinctive for Python.
    assert.equal(label(vocab['\u2581def']!), 'python');
    assert.equal(tokens.source[vocab['\u2581def']!], 'counts');
  });

  it('tokens used by every language (keywords like return/if, brackets, the space marker) are shared', () => {
    const common = [...idsOf('return'), ...idsOf('if'), ...idsOf('for'), vocab['(']!, vocab[')']!, vocab['\u2581']!].filter((id) => id !== undefined);
    let checked = 0;
    for (const id of common) {
      if (CODE_LANGS.filter((l) => occurrences(l, id) > 0).length < 3) continue;
      assert.equal(label(id), 'shared', `${model.tokenizer.idToToken(id)} (id ${id})`);
      checked++;
    }
    assert.ok(checked >= 4, `only ${checked} common tokens checked`);
  });

  it('a python-only keyword never goes to another language: the list vetoes such an owner', () => {
    const def = vocab['\u2581def']!;
    const fake = new Map(CODE_LANGS.map((l) => [l, new Uint32Array(model.info.vocabSize)] as const));
    fake.get('go')![def] = 50; // counts alone would say go
    fake.get('go')![vocab['\u2581func']!] = 50;
    const texts = [...Array(model.info.vocabSize).keys()].map((id) => model.tokenizer.idToToken(id).replaceAll('\u2581', ' '));
    const withKeywords = tokenLanguages(fake, { tokenTexts: texts, evidence: [keywordEvidence(CODE_LANGS)] });
    const countsOnly = tokenLanguages(fake, { tokenTexts: texts });
    assert.equal(countsOnly.labels[countsOnly.tokenLabel[def]!], 'go');
    assert.equal(withKeywords.labels[withKeywords.tokenLabel[def]!], 'shared');
    assert.equal(withKeywords.labels[withKeywords.tokenLabel[vocab['\u2581func']!]!], 'go');
  });

  it('keyword lists only speak about languages that have one, and every language of the model has one', () => {
    for (const l of CODE_LANGS) assert.ok(CODE_KEYWORDS[l]!.length > 20, l);
    const e = keywordEvidence(['eng', 'python']);
    assert.deepEqual(e.covers, ['python']);
    assert.deepEqual(e.allowed(0, ' def'), ['python']);
    assert.equal(e.allowed(0, 'definitely'), undefined);
    assert.equal(e.allowed(0, null), undefined);
  });
});

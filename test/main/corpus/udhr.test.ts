import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUdhrHtml, readCorpus, readUdhr, UDHR_SHORT_CODES, udhrCodes } from '../../../src/main/corpus/index.js';
import { isUserError } from '../../../src/shared/errors.js';

test('eng and cmn give the same paragraph ids, article by article', async () => {
  const texts = await readCorpus('udhr:eng,cmn');
  const ids = (lang: string) => texts.filter((t) => t.lang === lang).map((t) => t.id);
  const eng = ids('eng');
  const cmn = ids('cmn');
  assert.equal(new Set(eng).size, eng.length, 'ids are unique within a language');
  assert.deepEqual(cmn, eng);
  // Preamble (7 recitals + proclamation) and 30 articles, some with several paragraphs.
  assert.ok(eng.length >= 55 && eng.length <= 70, `${eng.length} paragraphs`);
  assert.equal(eng[0], '0.1');
  assert.ok(eng.includes('25.2') && eng.includes('30.1'));
  const article1 = (lang: string) => texts.find((t) => t.lang === lang && t.id === '1.1')!.text;
  assert.match(article1('eng'), /^All human beings are born free and equal in dignity and rights\./);
  assert.match(article1('cmn'), /^人人生而自由,在尊严和权利上一律平等。/);
});

test('every short code resolves, and their ids line up with English', async () => {
  const texts = await readCorpus(`udhr:${Object.keys(UDHR_SHORT_CODES).join(',')}`);
  const english = new Set(texts.filter((t) => t.lang === 'eng').map((t) => t.id));
  for (const lang of Object.keys(UDHR_SHORT_CODES)) {
    const ids = texts.filter((t) => t.lang === lang).map((t) => t.id);
    const shared = ids.filter((id) => english.has(id)).length;
    assert.ok(shared >= english.size - 2, `${lang}: ${shared} of ${english.size} ids shared`);
    assert.ok(texts.filter((t) => t.lang === lang).every((t) => t.text.trim() !== '' && !t.text.includes('<')), `${lang}: clean text`);
  }
});

test('raw udhr codes work and keep the code given as the language label', async () => {
  assert.ok(udhrCodes().has('cmn_hant'));
  const texts = await readCorpus('udhr:cmn_hant', { maxTextsPerLang: 2 });
  assert.deepEqual(
    texts.map((t) => [t.lang, t.id]),
    [
      ['cmn_hant', '0.1'],
      ['cmn_hant', '0.2'],
    ],
  );
});

test('an unknown language is a UserError listing valid codes, raised before reading', () => {
  assert.throws(
    () => readUdhr(['eng', 'xx']),
    (e: unknown) => {
      assert.ok(isUserError(e));
      assert.match(e.message, /Unknown UDHR language "xx"/);
      assert.match(e.hint ?? '', /eng, deu, fra/);
      return true;
    },
  );
  assert.throws(() => readUdhr(['../package']), /Unknown UDHR language/);
  assert.throws(() => readUdhr(['cmn_xyz']), (e: unknown) => isUserError(e) && /cmn_hans/.test(e.hint ?? ''));
});

test('maxTextsPerLang and maxTokensPerLang cap each language', async () => {
  const capped = await readCorpus('udhr:eng,rus', { maxTextsPerLang: 3 });
  assert.deepEqual(
    capped.map((t) => `${t.lang}:${t.id}`),
    ['eng:0.1', 'eng:0.2', 'eng:0.3', 'rus:0.1', 'rus:0.2', 'rus:0.3'],
  );
  const words = (text: string) => text.split(/\s+/).length;
  const budget = 200;
  const all = await readCorpus('udhr:eng,rus');
  const limited = await readCorpus('udhr:eng,rus', { maxTokensPerLang: budget, countTokens: async (text) => words(text) });
  for (const lang of ['eng', 'rus']) {
    const kept = limited.filter((t) => t.lang === lang);
    const total = kept.reduce((n, t) => n + words(t.text), 0);
    const next = all.filter((t) => t.lang === lang)[kept.length]!;
    assert.ok(kept.length > 0 && total <= budget && total + words(next.text) > budget, `${lang}: ${kept.length} texts, ${total} words`);
  }
});

test('the HTML parser reads <li> without <p>, decodes entities, and joins a split proclamation', () => {
  const recitals = Array.from({ length: 7 }, (_, i) => `<p>Whereas ${i + 1}</p>`).join('');
  const html = `<html><body><h1>Title</h1>
    <header><h2>Preamble</h2>${recitals}<p>Now,</p><p>the Assembly</p><p>proclaims.</p></header>
    <article data-number="1"><h2>Article 1</h2><p>Rights &#x26; duties &lt;here&gt;</p></article>
    <article data-number="2"><h2>Article 2</h2><ol><li>First
      item.</li><li><p>Second</p></li></ol></article></body></html>`;
  assert.deepEqual(parseUdhrHtml(html), [
    ...Array.from({ length: 7 }, (_, i) => ({ id: `0.${i + 1}`, text: `Whereas ${i + 1}` })),
    { id: '0.8', text: 'Now, the Assembly proclaims.' },
    { id: '1.1', text: 'Rights & duties <here>' },
    { id: '2.1', text: 'First item.' },
    { id: '2.2', text: 'Second' },
  ]);
});

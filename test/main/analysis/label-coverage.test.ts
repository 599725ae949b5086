import assert from 'node:assert/strict';
import { it } from 'node:test';
import { labelCoverage } from '../../../src/main/analysis/label-coverage.js';
import { createLexiconIdentifier } from '../../../src/main/analysis/language-id.js';

const identifier = createLexiconIdentifier({ deu: ['jeder', 'hat', 'das', 'recht', 'auf'], eng: ['everyone', 'has', 'the', 'right'] });

it('labels that include the text\'s language and script: no warning', () => {
  const c = labelCoverage('Jeder hat das Recht auf Bildung.', ['eng', 'deu', 'shared', 'unknown'], { identifier });
  assert.equal(c.script, 'Latin');
  assert.equal(c.language?.lang, 'deu');
  assert.deepEqual(c.warnings, []);
});

it('the text\'s language missing but its script covered: the language warning', () => {
  const c = labelCoverage('Jeder hat das Recht auf Bildung.', ['eng', 'rus', 'cmn', 'shared', 'unknown'], { identifier });
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0]!, /looks like deu \(language ID 83 %\), which is not among the labels \(eng, rus, cmn\)/);
});

it('no label written in the text\'s script: the script warning only', () => {
  const c = labelCoverage('Jeder hat das Recht auf Bildung.', ['rus', 'cmn'], { identifier });
  assert.deepEqual(c.warnings, ['The text is written in Latin script, and no label (rus, cmn) is a language written in it: its tokens count for "shared", "unknown" or a wrong language.']);
  assert.match(labelCoverage('Все люди', ['eng'])?.warnings[0] ?? '', /Cyrillic script/);
});

it('a guess below minProb is no evidence; programming-language labels get no natural-language warnings', () => {
  assert.deepEqual(labelCoverage('Jeder hat das Recht auf Bildung.', ['eng'], { identifier, minProb: 0.9 }).warnings, []);
  assert.deepEqual(labelCoverage('Jeder hat das Recht auf Bildung.', ['python', 'go', 'shared'], { identifier }).warnings, []);
  assert.equal(labelCoverage('1 + 2 = 3', ['eng']).script, null);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iso6393 } from 'iso-639-3';
import { iso6393Codes, MACROLANGUAGE_CHOICES, toIso6393 } from '../../../src/main/analysis/language-codes.js';

test('the ISO 639-3 codes read from the package table are exactly the codes the module exports', () => {
  const fromModule = new Set(iso6393.map((l) => l.iso6393));
  assert.equal(iso6393Codes().size, fromModule.size);
  assert.deepEqual([...iso6393Codes()].sort(), [...fromModule].sort());
});

test('toIso6393 lowers the case of a known three-letter code only, and maps macrolanguages whatever the case', () => {
  assert.equal(toIso6393('ENG'), 'eng');
  assert.equal(toIso6393(' Rus '), 'rus');
  assert.equal(toIso6393('ZHO'), 'cmn');
  assert.equal(toIso6393('XQZ'), 'XQZ', 'no such code: the label stays as given');
  assert.equal(toIso6393('xqz'), 'xqz');
  assert.equal(toIso6393('PY'), 'PY', 'no ISO 639-1 code either');
  assert.equal(toIso6393('EN'), 'eng');
  for (const [macro, choice] of Object.entries(MACROLANGUAGE_CHOICES)) {
    assert.ok(iso6393Codes().has(macro), `${macro} is an ISO 639-3 code`);
    assert.equal(toIso6393(macro), choice);
  }
});

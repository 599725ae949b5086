/**
 * What a caller gets from the API for a store that cannot serve the call: a UserError that says what is
 * missing and how to make it, raised before any work and without creating the file. The CLI relies on
 * these instead of opening the store itself first.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ablate, align, capture, codeSwitch, compareCheckpoints, describeLapeSelection, lape, openModel, openStore, storedLape, workingLanguage, type Model } from '../../../src/main/api/index.js';
import { isUserError } from '../../../src/shared/errors.js';
import { testModelDir } from '../../helpers/fixtures.js';

/** A UserError whose message matches `message` and whose hint matches `hint`. */
const userError = (message: RegExp, hint: RegExp) => (e: unknown) => {
  assert.ok(isUserError(e), `not a UserError: ${String(e)}`);
  assert.match(e.message, message);
  assert.match(e.hint ?? '', hint);
  return true;
};

describe('API errors about the store', () => {
  let tmp: string;
  let model: Model;
  /** A store with a capture run of two texts and no LAPE selection. */
  let captured: string;
  /** A store with no runs at all. */
  let empty: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-store-errors-'));
    model = await openModel(testModelDir, { device: 'cpu', log: () => {} });
    captured = join(tmp, 'captured.db');
    await capture({ model, store: captured, corpus: 'udhr:eng,rus', maxTextsPerLang: 1 });
    empty = join(tmp, 'empty.db');
    openStore(empty).close();
  });
  after(async () => {
    await model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a missing store file is named, with how to make one, by every operation that reads a store, and is not created', async () => {
    const missing = join(tmp, 'none.db');
    const noFile = userError(/^no such file: .*none\.db$/, /babelscope capture DIR --corpus SRC --db FILE.*capture\(\{ model, store: path, corpus \}\)/);
    assert.throws(() => lape({ store: missing }), noFile);
    assert.throws(() => storedLape({ store: missing }), noFile);
    assert.throws(() => describeLapeSelection({ store: missing }), noFile);
    assert.throws(() => compareCheckpoints({ stores: [missing, captured] }), noFile);
    await assert.rejects(align({ store: missing, kernel: 'js' }), noFile);
    await assert.rejects(ablate({ model, store: missing, corpus: 'udhr:eng', maxTextsPerLang: 1 }), noFile);
    await assert.rejects(workingLanguage({ model, corpus: 'udhr:eng', maxTextsPerLang: 1, store: missing }), noFile);
    await assert.rejects(codeSwitch({ model, prompts: 'udhr:eng', maxTextsPerLang: 1, intervention: { mode: 'ablate', lang: 'eng', store: missing } }), noFile);
    assert.equal(existsSync(missing), false);
  });

  it('an empty store path is refused as such', async () => {
    const empty = userError(/^the store path is empty$/, /project\.db/);
    assert.throws(() => lape({ store: '' }), empty);
    await assert.rejects(align({ store: '  ', kernel: 'js' }), empty);
    await assert.rejects(capture({ model, store: '', corpus: 'udhr:eng', maxTextsPerLang: 1 }), empty);
  });

  it('a store without the capture run lists the capture runs it has, or says to capture first', async () => {
    const noRun = userError(/^no capture run "capture" in .*empty\.db$/, /Run `babelscope capture DIR --corpus SRC --db FILE` first/);
    assert.throws(() => lape({ store: empty }), noRun);
    assert.throws(() => describeLapeSelection({ store: empty }), noRun);
    await assert.rejects(align({ store: empty, kernel: 'js' }), noRun);
    assert.throws(() => lape({ store: captured, run: 'other' }), userError(/^no capture run "other"/, /Capture runs here: capture \(pass --run NAME\)/));
  });

  it('a capture without a LAPE selection says to run lape; describeLapeSelection names the one it finds and checks the language', () => {
    assert.throws(() => describeLapeSelection({ store: captured }), userError(/^no LAPE selection for run "capture"/, /babelscope lape --db .*captured\.db --run capture/));
    // A private copy, so the first assertion above holds in any order.
    const selected = join(tmp, 'selected.db');
    copyFileSync(captured, selected);
    const made = lape({ store: selected, topRate: 0.05 });
    const info = describeLapeSelection({ store: selected, lang: 'eng' });
    assert.equal(info.resultId, made.resultId);
    assert.deepEqual(info.run, { id: made.run.id, name: 'capture', status: 'done' });
    assert.equal(info.partial, false);
    assert.deepEqual(info.warnings, []);
    assert.match(info.description, new RegExp(`^LAPE selection #${made.resultId} of run "capture" in .*selected\\.db: top-rate 0\\.05, `));
    assert.throws(() => describeLapeSelection({ store: selected, lang: 'xyz' }), userError(/^no LAPE neurons for language "xyz"/, /Languages of this LAPE result: /));
    assert.throws(() => describeLapeSelection({ store: selected, selection: 9999 }), userError(/^no LAPE selection #9999/, new RegExp(`LAPE selections here: #${made.resultId}`)));
  });
});

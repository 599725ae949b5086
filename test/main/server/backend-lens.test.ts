/** The workbench's lens is the API's `lens()`: the same numbers, columns in one order, unknown labels refused. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_LABEL_LANGUAGES, lens, openModel, type Model } from '../../../src/main/api/index.js';
import { createBackend, type Backend, type CallContext } from '../../../src/main/server/backend.js';
import { ModelSlot } from '../../../src/main/server/model-slot.js';
import { isUserError } from '../../../src/shared/errors.js';
import { tinyModelDir } from '../../helpers/paths.js';

const TEXT = 'Everyone has the right to life';

describe('backend lens', () => {
  let tmp: string;
  let model: Model;
  let backend: Backend;
  const ctx: CallContext = { emit: () => {}, connection: 'test' };
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-backend-lens-'));
    model = await openModel(tinyModelDir, { device: 'cpu', log: () => {} });
    backend = createBackend({ models: ModelSlot.of(model), workspace: tmp, dataDir: tmp });
  });
  after(async () => {
    await backend.dispose();
    await model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('labels against the UDHR languages the labeller knows, and gives what lens() gives', async () => {
    assert.deepEqual((await backend.model({} as never, ctx)).labels, { languages: [...DEFAULT_LABEL_LANGUAGES], corpus: 'UDHR' });
    const view = await backend.lens({ text: TEXT, languages: ['rus', 'eng'] }, ctx);
    const api = await lens(model, { text: TEXT, top: 1, languages: 'udhr:eng,rus' });
    assert.deepEqual(view.tokens, api.tokens);
    assert.deepEqual(view.languages, Object.keys(api.tokensPerLabel!));
    assert.deepEqual(view.languages.slice(0, 2), ['eng', 'rus']);
    assert.deepEqual(view.labelWarnings, api.labelWarnings);
    assert.equal(view.cells.length, model.info.numLayers);
    view.cells.forEach((row, l) =>
      row.forEach((cell, p) => {
        const want = api.layers[l]!.positions[p]!;
        assert.deepEqual(cell, { token: want.top[0]!.token, prob: want.top[0]!.prob, entropy: want.entropy, languageMass: want.languageMass });
      }),
    );
    // The same columns whatever order the languages were asked in.
    assert.deepEqual((await backend.lens({ text: TEXT, languages: ['eng', 'rus'] }, ctx)).languages, view.languages);
  });

  it('without languages gives no mass; an empty text or a language without labels is a UserError', async () => {
    const plain = await backend.lens({ text: TEXT, languages: [] }, ctx);
    assert.deepEqual(plain.languages, []);
    assert.equal(plain.cells[0]![0]!.languageMass, undefined);
    await assert.rejects(backend.lens({ text: '  ', languages: [] }, ctx), (e) => isUserError(e) && /the text is empty/.test(e.message));
    await assert.rejects(backend.lens({ text: TEXT, languages: ['xyz'] }, ctx), (e) => isUserError(e) && /no token labels for xyz/.test(e.message) && /Label against eng/.test(e.hint ?? ''));
  });
});

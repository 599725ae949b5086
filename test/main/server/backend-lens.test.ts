/**
 * The workbench's lens is the API's `lens()`: the same numbers, columns in one order, unknown labels
 * refused; a model's own label sample is read once per version of the file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_LABEL_LANGUAGES, lens, loadCorpus, openModel, type Model } from '../../../src/main/api/index.js';
import { LabelCorpora } from '../../../src/main/server/label-corpus.js';
import { createBackend, type Backend, type CallContext } from '../../../src/main/server/backend.js';
import { ModelSlot } from '../../../src/main/server/model-slot.js';
import { isUserError } from '../../../src/shared/errors.js';
import { codeModelDir, tinyModelDir } from '../../helpers/paths.js';

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

describe('label corpora', () => {
  /** LabelCorpora whose reads are counted. */
  const counted = () => {
    const reads: string[] = [];
    return {
      reads,
      corpora: new LabelCorpora(async (path) => {
        reads.push(path);
        return loadCorpus(path);
      }),
    };
  };

  it("the workbench reads the model's heldout.jsonl once, not at each lens call", async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'babelscope-backend-labels-'));
    const model = await openModel(codeModelDir, { device: 'cpu', log: () => {} });
    const { reads, corpora } = counted();
    const backend = createBackend({ models: ModelSlot.of(model), workspace: tmp, dataDir: tmp, labelCorpora: corpora });
    const ctx: CallContext = { emit: () => {}, connection: 'test' };
    try {
      const summary = await backend.model({} as never, ctx);
      assert.equal(summary.labels.corpus, 'heldout.jsonl in the model folder');
      const view = await backend.lens({ text: 'def f(x):\n    return x', languages: ['go', 'python'] }, ctx);
      assert.deepEqual(view.languages.slice(0, 2), ['python', 'go']);
      await backend.lens({ text: 'fn main() {}' }, ctx);
      await assert.rejects(backend.lens({ text: 'x', languages: ['eng'] }, ctx), (e) => isUserError(e) && /from the heldout\.jsonl in the model folder/.test(e.hint ?? ''));
      assert.deepEqual(reads, [join(codeModelDir, 'heldout.jsonl')]);
    } finally {
      await backend.dispose();
      await model.dispose();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a rewritten sample is read again; without one the labels are the UDHR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'babelscope-label-corpus-'));
    try {
      const { reads, corpora } = counted();
      const file = join(dir, 'heldout.jsonl');
      const line = (lang: string, id: string) => JSON.stringify({ lang, id, text: `${lang} ${id}` }) + '\n';
      writeFileSync(file, line('go', '1') + line('php', '1') + line('go', '2'));
      const first = await corpora.of(dir);
      assert.deepEqual(first.languages, ['go', 'php']);
      assert.deepEqual(first.texts(['go']), [
        { lang: 'go', id: '1', text: 'go 1' },
        { lang: 'go', id: '2', text: 'go 2' },
      ]);
      assert.deepEqual((await corpora.of(dir)).languages, ['go', 'php']);
      assert.equal(reads.length, 1);
      writeFileSync(file, line('rust', '1'));
      assert.deepEqual((await corpora.of(dir)).languages, ['rust']);
      assert.equal(reads.length, 2);
      unlinkSync(file);
      const udhr = await corpora.of(dir);
      assert.deepEqual([udhr.corpus, udhr.languages, udhr.texts(['eng', 'rus'])], ['UDHR', [...DEFAULT_LABEL_LANGUAGES], 'udhr:eng,rus']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

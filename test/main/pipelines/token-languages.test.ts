/** The token→language rule on the bundled model's real tokenizer and UDHR texts, and its CLI options. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tokenLanguagesOfCorpus } from '../../../src/main/pipelines/working-language-run.js';
import { readCorpus } from '../../../src/main/corpus/index.js';
import { Model } from '../../../src/main/model/model.js';
import { runCliJson } from '../../helpers/cli.js';
import { testModelDir } from '../../helpers/fixtures.js';

describe('token languages of a corpus', () => {
  let model: Model;
  before(async () => {
    model = await Model.open(testModelDir, { device: 'cpu' });
  });
  after(() => model.dispose());

  it('labels the space marker, punctuation and digits shared, and distinctive words by language', async () => {
    const { tokens } = await tokenLanguagesOfCorpus(model, await readCorpus('udhr:eng,rus,cmn'));
    const vocab = model.tokenizer.vocab();
    const label = (piece: string) => {
      const id = vocab[piece];
      assert.ok(id !== undefined, `no token ${piece}`);
      return tokens.labels[tokens.tokenLabel[id]!];
    };
    for (const p of ['\u2581', ',', '.', '1']) if (vocab[p] !== undefined) assert.equal(label(p), 'shared', JSON.stringify(p));
    assert.equal(label('\u2581the'), 'eng');
    assert.equal(label('\u2581и'), 'rus');
    // Byte-fallback pieces have no text of their own: script says nothing about them.
    const byte = vocab['<0xD0>'];
    if (byte !== undefined) assert.notEqual(tokens.source[byte], 'script');
  });

  it('lens --languages follows the same rule and options as working-language', async () => {
    const opts = ['--max-texts-per-lang', '6', '--min-share', '0.9', '--min-count', '3', '--device', 'cpu'];
    const wl = await runCliJson(['working-language', testModelDir, '--corpus', 'udhr:eng,deu,rus', ...opts]);
    const lens = await runCliJson(['lens', testModelDir, '--text', 'Все люди.', '--top', '1', '--languages', 'udhr:eng,deu,rus', ...opts]);
    assert.deepEqual(lens.tokensPerLabel, wl.tokensPerLabel);
    const loose = await runCliJson(['lens', testModelDir, '--text', 'Все люди.', '--top', '1', '--languages', 'udhr:eng,deu,rus', '--max-texts-per-lang', '6', '--min-share', '0.5', '--device', 'cpu']);
    assert.notDeepEqual(loose.tokensPerLabel, lens.tokensPerLabel, '--min-share changes the labels');
  });
});

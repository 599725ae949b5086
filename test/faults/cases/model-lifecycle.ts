/**
 * A `Model` after `dispose()` or after its worker died, and generation/lens values at their edges:
 * every call settles (no hang) with a clear error, and errors speak the API's names, not CLI flags.
 */
import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import { generate, lens, openModel as openApiModel } from '../../../src/main/api/index.js';
import { engineOf } from '../../../src/main/api/model.js';
import type { Model } from '../../../src/main/model/model.js';
import { isUserError } from '../../../src/shared/errors.js';
import { tinyModelDir } from '../../helpers/paths.js';
import { faultCase } from '../harness.js';
import { after } from 'node:test';

const open = async () => engineOf(await openApiModel(tinyModelDir, { device: 'cpu', log: () => {} }));

/** Every kind of call a model takes, on a short input. */
function everyCall(model: Model): [string, () => Promise<unknown>][] {
  const ids = [[1, 2, 3]];
  return [
    ['forward', () => model.forward({ inputIds: ids })],
    ['lens', () => model.lens({ inputIds: ids, topK: 1 })],
    ['captureStats', () => model.captureStats(ids)],
    ['nll', () => model.nll({ inputIds: ids })],
    ['generate', () => model.generate({ inputIds: ids[0]!, maxNewTokens: 1 })],
  ];
}

export function registerCases(): void {
  let shared: Promise<Model> | undefined;
  const model = () => (shared ??= open());
  after(async () => (await shared?.catch(() => undefined))?.dispose());

  faultCase('model-lifecycle', 'every call on a disposed model rejects at once with a UserError that says so', async () => {
    const m = await open();
    await m.dispose();
    for (const [name, call] of everyCall(m)) {
      await assert.rejects(call(), (e: unknown) => isUserError(e) && /was disposed/.test((e as Error).message), name);
    }
  });

  faultCase('model-lifecycle', 'dispose() twice is harmless', async () => {
    const m = await open();
    await m.dispose();
    await m.dispose();
  });

  faultCase('model-lifecycle', 'a call in flight when dispose() starts settles; one made after is refused', async () => {
    const m = await open();
    const inFlight = m.lens({ inputIds: [[1, 2, 3, 4]], topK: 3 });
    const disposing = m.dispose();
    const late = m.forward({ inputIds: [[1, 2]] });
    const [first, second] = await Promise.allSettled([inFlight, late]);
    await disposing;
    assert.equal(first.status, 'fulfilled', 'queued before dispose: answered');
    assert.equal(second.status, 'rejected');
    assert.match(String((second as PromiseRejectedResult).reason), /was disposed/);
  });

  faultCase('model-lifecycle', 'a model whose worker died: the pending call and every later one reject (no hang)', async () => {
    const m = await open();
    const pending = m.lens({ inputIds: [[1, 2, 3]], topK: 2 });
    // Fault injection: the worker thread ends from outside (as a native crash would end it).
    await (m as unknown as { worker: Worker }).worker.terminate();
    await assert.rejects(pending, /worker stopped/);
    for (const [name, call] of everyCall(m)) await assert.rejects(call(), /worker stopped.*open the model again/, name);
    await m.dispose();
  });

  faultCase('model-lifecycle', 'generate with maxNewTokens 0 generates nothing', async () => {
    const r = await generate(await model(), { prompt: 'Hello', maxNewTokens: 0 });
    assert.deepEqual(r.ids, []);
    assert.equal(r.text, '');
    assert.equal(r.stoppedBy, 'length');
  });

  for (const bad of [-1, 2.5, Number.NaN]) {
    faultCase('model-lifecycle', `generate with maxNewTokens ${bad} is a UserError`, async () => {
      await assert.rejects(generate(await model(), { prompt: 'Hello', maxNewTokens: bad }), (e: unknown) => isUserError(e) && /maxNewTokens/.test((e as Error).message));
    });
  }

  for (const top of [0, 1e9]) {
    faultCase('model-lifecycle', `lens with top ${top} is a UserError that names no CLI flag`, async () => {
      await assert.rejects(lens(await model(), { text: 'Hello world', top }), (e: unknown) => {
        assert.ok(isUserError(e));
        assert.match((e as Error).message, /topK/);
        assert.doesNotMatch((e as Error).message, /--/);
        return true;
      });
    });
  }

  faultCase('model-lifecycle', 'the shared model still answers after its neighbours were disposed and crashed', async () => {
    const r = await generate(await model(), { prompt: 'Hello', maxNewTokens: 2 });
    assert.equal(r.ids.length > 0 && r.ids.length <= 2, true);
  });
}

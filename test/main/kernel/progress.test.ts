/**
 * Progress bars and cancellation in the kernel, through the Node client and a real capture on the
 * bundled model: one `display_data` with a display id then throttled `update_display_data` with the
 * progress MIME type; interrupting a capture ends the cell with its CancellationError, keeps earlier
 * state and what the capture flushed; the `progress()` helper of cells; a second interrupt does not wait.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CellOutput, DisplayDataOutput, DisplayUpdate } from '../../../src/shared/kernel-types.js';
import { PROGRESS_MIME, type ProgressDisplay } from '../../../src/shared/progress-display.js';
import { KernelClient, type ExecuteHandle } from '../../../src/main/kernel/client.js';
import { THROTTLE_MS } from '../../../src/main/kernel/progress-reporter.js';
import { tinyModelDir } from '../../helpers/paths.js';

const progressOf = (o: CellOutput | DisplayUpdate['output']): ProgressDisplay | undefined =>
  o.output_type === 'display_data' ? (o.data[PROGRESS_MIME] as ProgressDisplay | undefined) : undefined;
const bars = (outs: readonly CellOutput[]) => outs.filter((o): o is DisplayDataOutput => progressOf(o) !== undefined);
const resultText = (outs: readonly CellOutput[]) => (outs.find((o) => o.output_type === 'execute_result') as { data: Record<string, unknown> } | undefined)?.data['text/plain'];

/** Waits until an update of `h` satisfies `pred`. */
function updateWhere(h: ExecuteHandle, pred: (p: ProgressDisplay) => boolean): Promise<ProgressDisplay> {
  return new Promise((resolve) => {
    const off = h.onUpdate((u) => {
      const p = progressOf(u.output);
      if (p && pred(p)) {
        off();
        resolve(p);
      }
    });
  });
}

describe('progress bars and cancel in the kernel', () => {
  let kernel: KernelClient;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'babelscope-progress-nb-'));
    kernel = await KernelClient.start({ cwd: dir });
    // 8 languages × 58 UDHR paragraphs; `many` repeats them under new ids (4640 texts) for a capture that runs long enough to cancel.
    const setup = kernel.execute(
      `import { openModel, capture, meanNll, loadCorpus, openStore } from 'babelscope';
const model = await openModel(${JSON.stringify(tinyModelDir)}, { device: 'cpu' });
const udhr = await loadCorpus('udhr:eng,deu,rus,cmn,arb,fra,spa,hin');
const many = Array.from({ length: 10 }, (_, k) => udhr.map((t) => ({ ...t, id: t.id + '#' + k }))).flat();
many.length`,
    );
    const outcome = await setup.done;
    assert.equal(outcome.status, 'ok', JSON.stringify(outcome.error));
    assert.equal(resultText(setup.outputs), '4640');
  });
  after(async () => {
    await kernel?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a capture shows one bar: display_data with a display id, then throttled updates of it up to `done`', async () => {
    const h = kernel.execute(`const summary = await capture({ model, store: 'whole.db', corpus: udhr, batch: 1 }); summary.texts`);
    const updates: DisplayUpdate[] = [];
    h.onUpdate((u) => updates.push(u));
    const outcome = await h.done;
    assert.equal(outcome.status, 'ok', JSON.stringify(outcome.error));
    assert.equal(resultText(h.outputs), '464');

    const shown = bars(h.outputs);
    assert.equal(shown.length, 1, 'one output per operation, updated in place');
    const id = shown[0]!.transient?.display_id;
    assert.ok(id, 'the bar has a display id');
    assert.ok(updates.length >= 2, `${updates.length} updates`);
    assert.ok(updates.every((u) => u.displayId === id && u.index === h.outputs.indexOf(shown[0]!)));
    const states = updates.map((u) => progressOf(u.output)!);
    for (let i = 1; i < states.length; i++) assert.ok(states[i]!.done >= states[i - 1]!.done, `done goes up: ${states[i - 1]!.done} then ${states[i]!.done}`);
    const last = states.at(-1)!;
    assert.deepEqual({ ...last, elapsedMs: 0 }, { id, label: 'capture', stage: 'capture', done: 464, total: 464, detail: last.detail!, state: 'done', elapsedMs: 0 });
    assert.match(last.detail!, /^\d+ tokens$/);
    // 465 reports (one per batch, and one before the first) become at most one update per THROTTLE_MS, plus the final one.
    assert.ok(updates.length <= Math.ceil(last.elapsedMs / THROTTLE_MS) + 2, `${updates.length} updates in ${last.elapsedMs} ms`);
    // The output holds the final state with its fallbacks (what a saved notebook keeps).
    assert.deepEqual(progressOf(shown[0]!), last);
    assert.match(String(shown[0]!.data['text/plain']), /^capture {2}464\/464 \[=+\] 100% {2}\d+ tokens {2}done in \d+:\d\d$/);
    assert.match(String(shown[0]!.data['text/html']), /<progress value="464" max="464"/);
  });

  it('interrupting a capture ends the cell with its CancellationError; earlier state and the flushed texts stay', async () => {
    const h = kernel.execute(`await capture({ model, store: 'cancel.db', corpus: many, batch: 1 })`);
    await updateWhere(h, (p) => p.done >= 50);
    await kernel.interrupt();
    const outcome = await h.done;
    assert.equal(outcome.status, 'error');
    assert.equal(outcome.error?.ename, 'CancellationError', JSON.stringify(outcome.error));
    const m = /interrupted after (\d+) of 4640 texts; they are stored/.exec(outcome.error!.evalue);
    assert.ok(m, outcome.error!.evalue);
    const flushed = Number(m[1]);
    assert.ok(flushed >= 50 && flushed < 4640);
    const bar = progressOf(bars(h.outputs)[0]!)!;
    assert.equal(bar.state, 'cancelled');
    assert.equal(bar.done, flushed);
    assert.equal(h.outputs.at(-1)?.output_type, 'error', 'the bar ends before the error is shown');

    const later = kernel.execute(`const s = openStore('cancel.db'); [many.length, summary.texts, s.query('SELECT COUNT(*) AS n FROM capture_progress')[0].n, s.run('capture').status]`);
    assert.equal((await later.done).status, 'ok');
    assert.equal(resultText(later.outputs), `[ 4640, 464, ${flushed}, 'interrupted' ]`);
  });

  it('progress() gives cells a bar for their own loops that Interrupt stops through its signal', async () => {
    const done = kernel.execute(`const bar = progress('tokenize', 5); for (let i = 0; i < 5; i++) bar.tick(1, 'text ' + (i + 1)); 'ok'`);
    assert.equal((await done.done).status, 'ok');
    const finished = progressOf(bars(done.outputs)[0]!)!;
    assert.deepEqual([finished.label, finished.done, finished.total, finished.detail, finished.state], ['tokenize', 5, 5, 'text 5', 'done'], 'the bar ends with its cell');

    const h = kernel.execute(`const loop = progress('loop', 10000); for (let i = 0; i < 10000; i++) { loop.signal.throwIfAborted(); await new Promise((r) => setTimeout(r, 5)); loop.tick(); }`);
    await updateWhere(h, (p) => p.done >= 3);
    await kernel.interrupt();
    const outcome = await h.done;
    assert.equal(outcome.error?.ename, 'CancellationError', JSON.stringify(outcome.error));
    assert.equal(progressOf(bars(h.outputs)[0]!)!.state, 'cancelled');
  });

  it('a cell that ignores the signal is stopped by a second interrupt, without waiting', async () => {
    const h = kernel.execute(`const stubborn = progress('stubborn'); while (true) { await new Promise((r) => setTimeout(r, 5)); stubborn.tick(); }`);
    await updateWhere(h, (p) => p.done >= 3);
    await kernel.interrupt();
    await updateWhere(h, (p) => p.done >= 20); // still running: the first interrupt only aborted its signal
    await kernel.interrupt();
    const outcome = await h.done;
    assert.equal(outcome.error?.ename, 'Interrupted');
    assert.equal(progressOf(bars(h.outputs)[0]!)!.state, 'cancelled');
    const after = kernel.execute('many.length');
    await after.done;
    assert.equal(resultText(after.outputs), '4640');
  });

  it('an API call given its own onProgress shows no bar', async () => {
    const h = kernel.execute(`let reports = 0; await meanNll({ model, corpus: udhr, maxTextsPerLang: 2, onProgress: () => reports++ }); reports > 0`);
    assert.equal((await h.done).status, 'ok');
    assert.equal(resultText(h.outputs), 'true');
    assert.equal(bars(h.outputs).length, 0);
  });
});

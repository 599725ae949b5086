/**
 * Long operations and their progress on the bundled model: without `onProgress` they report to the
 * ambient reporter an environment installs (as the kernel does) and tell it how they ended; with it,
 * the reporter only lends its signal; and every long operation stops with a CancellationError when its
 * signal is aborted part-way (capture keeping what it flushed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ablate,
  align,
  AMBIENT_PROGRESS,
  CancellationError,
  capture,
  codeSwitch,
  lape,
  meanNll,
  openModel,
  openStore,
  workingLanguage,
  type AmbientProgress,
  type LongRunningOptions,
  type Model,
  type OperationOutcome,
  type Progress,
} from '../../../src/main/api/index.js';
import { testModelDir } from '../../helpers/fixtures.js';

const CORPUS = 'udhr:eng,rus,cmn';

interface Seen {
  label: string;
  show: boolean;
  reports: Progress[];
  outcome?: OperationOutcome;
  controller: AbortController;
}

/** A reporter like the kernel's, recording what each operation told it; `abortAfter` aborts once that many reports came. */
function installReporter(abortAfter = Infinity): { ops: Seen[]; remove: () => void } {
  const ops: Seen[] = [];
  const reporter: AmbientProgress = {
    begin(label, { show }) {
      const seen: Seen = { label, show, reports: [], controller: new AbortController() };
      ops.push(seen);
      return {
        signal: seen.controller.signal,
        onProgress: (p) => {
          seen.reports.push(p);
          if (seen.reports.length >= abortAfter) seen.controller.abort();
        },
        end: (outcome) => {
          assert.equal(seen.outcome, undefined, 'end is called once');
          seen.outcome = outcome;
        },
      };
    },
  };
  (globalThis as Record<symbol, unknown>)[AMBIENT_PROGRESS] = reporter;
  return { ops, remove: () => delete (globalThis as Record<symbol, unknown>)[AMBIENT_PROGRESS] };
}

describe('progress and cancellation of long API operations', () => {
  let tmp: string;
  let model: Model;
  let db: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-progress-'));
    model = await openModel(testModelDir, { device: 'cpu', log: () => {} });
    db = join(tmp, 'run.db');
    await capture({ model, store: db, corpus: CORPUS, maxTextsPerLang: 6, batch: 2 });
    lape({ store: db, topRate: 0.02 });
  });
  after(async () => {
    delete (globalThis as Record<symbol, unknown>)[AMBIENT_PROGRESS];
    await model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Each long operation once, with `extra` options (onProgress, signal). */
  const operations = (extra: LongRunningOptions = {}): [string, () => Promise<unknown>][] => [
    ['capture', () => capture({ model, store: join(tmp, `c-${Math.random()}.db`), corpus: CORPUS, maxTextsPerLang: 4, batch: 2, ...extra })],
    ['ablate', () => ablate({ model, store: db, corpus: CORPUS, maxTextsPerLang: 2, randomSets: 1, ...extra })],
    ['meanNll', () => meanNll({ model, corpus: CORPUS, maxTextsPerLang: 3, batch: 2, ...extra })],
    ['working-language', () => workingLanguage({ model, corpus: CORPUS, maxTextsPerLang: 3, batch: 2, ...extra })],
    ['align', () => align({ store: db, kernel: 'js', save: false, ...extra })],
    ['codeswitch', () => codeSwitch({ model, prompts: 'udhr:eng,rus', maxTextsPerLang: 1, samples: 1, maxNewTokens: 4, ...extra })],
  ];

  it('without onProgress, each long operation reports to the ambient reporter and says it is done', async () => {
    const { ops, remove } = installReporter();
    try {
      for (const [, run] of operations()) await run();
    } finally {
      remove();
    }
    assert.deepEqual(
      ops.map((o) => o.label),
      operations().map(([label]) => label),
    );
    for (const op of ops) {
      assert.equal(op.show, true, `${op.label}: a bar is wanted`);
      assert.equal(op.outcome, 'done', op.label);
      assert.ok(op.reports.length >= 2, `${op.label}: ${op.reports.length} reports`);
      const last = op.reports.at(-1)!;
      assert.ok(last.total > 0 && last.done === last.total, `${op.label} ends at its total: ${JSON.stringify(last)}`);
      for (let i = 1; i < op.reports.length; i++) assert.ok(op.reports[i]!.done >= op.reports[i - 1]!.done, `${op.label}: done never goes back`);
    }
    const ablation = ops.find((o) => o.label === 'ablate')!;
    assert.deepEqual([...new Set(ablation.reports.map((r) => r.detail))].slice(0, 2), ['baseline', 'cmn'], 'the ablation says which pass runs');
  });

  it('with its own onProgress, the caller gets the reports and the reporter only lends its signal', async () => {
    const { ops, remove } = installReporter();
    const mine: Progress[] = [];
    try {
      await meanNll({ model, corpus: CORPUS, maxTextsPerLang: 3, batch: 2, onProgress: (p) => mine.push(p) });
    } finally {
      remove();
    }
    assert.equal(ops.length, 1);
    assert.equal(ops[0]!.show, false);
    assert.equal(ops[0]!.reports.length, 0);
    assert.equal(ops[0]!.outcome, 'done');
    assert.deepEqual(mine.at(-1), { stage: 'meanNll', done: 9, total: 9 });
  });

  it('every long operation stops part-way with a CancellationError when its signal is aborted', async () => {
    for (const [label] of operations()) {
      const controller = new AbortController();
      const seen: Progress[] = [];
      const run = operations({
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p);
          if (p.done > 0) controller.abort();
        },
      }).find(([l]) => l === label)![1];
      await assert.rejects(run(), (e) => e instanceof CancellationError, label);
      const last = seen.at(-1)!;
      assert.ok(last.done < last.total, `${label} stopped before its end: ${JSON.stringify(last)}`);
    }
  });

  it('the ambient signal cancels too: the operation ends `cancelled`, and a capture keeps what it flushed', async () => {
    const { ops, remove } = installReporter(3);
    const store = join(tmp, 'ambient-cancel.db');
    try {
      await assert.rejects(capture({ model, store, corpus: CORPUS, maxTextsPerLang: 6, batch: 1 }), (e) => e instanceof CancellationError && /resumes/.test(e.message));
    } finally {
      remove();
    }
    assert.equal(ops[0]!.outcome, 'cancelled');
    const flushed = ops[0]!.reports.at(-1)!.done;
    const s = openStore(store);
    try {
      assert.equal(s.query<{ n: number }>('SELECT COUNT(*) AS n FROM capture_progress')[0]!.n, flushed);
      assert.equal(s.run('capture').status, 'interrupted');
    } finally {
      s.close();
    }
  });

  it('a failing operation ends `error`', async () => {
    const { ops, remove } = installReporter();
    try {
      await assert.rejects(align({ store: db, run: 'no-such-run', kernel: 'js' }));
    } finally {
      remove();
    }
    assert.equal(ops[0]!.outcome, 'error');
  });
});

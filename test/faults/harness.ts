/**
 * The fault-injection suite's harness (issue 19). Each module in `cases/` registers its cases with
 * `faultCase`; `suite.test.ts` imports every module and prints how many cases ran and how many held.
 * A case holds when it ends in success or a clear message and nothing already saved was lost; it fails
 * (throws) otherwise. Cases that cannot run here (not root, no tmpfs) call `t.skip(reason)` and are
 * counted as skipped, never as held.
 */
import { test, type TestContext } from 'node:test';

export interface FaultTally {
  tried: number;
  held: number;
  failed: number;
  skipped: number;
  byArea: Map<string, number>;
}

export const tally: FaultTally = { tried: 0, held: 0, failed: 0, skipped: 0, byArea: new Map() };

/** One fault or bad-input case: `area` groups them in the report (e.g. "atomic-write", "websocket"). */
export function faultCase(area: string, name: string, fn: (t: TestContext) => unknown | Promise<unknown>): void {
  test(`[${area}] ${name}`, async (t) => {
    tally.tried++;
    tally.byArea.set(area, (tally.byArea.get(area) ?? 0) + 1);
    let skipped = false;
    const skip = t.skip.bind(t);
    t.skip = (message?: string) => {
      skipped = true;
      skip(message);
    };
    try {
      await fn(t);
    } catch (e) {
      tally.failed++;
      throw e;
    }
    if (skipped) tally.skipped++;
    else tally.held++;
  });
}

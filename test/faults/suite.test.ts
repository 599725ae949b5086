/**
 * The fault-injection suite: imports every module in `cases/` (each exports `registerCases()`, which
 * registers its cases through `faultCase`) and reports the count at the end, so CI's log says how many fault and bad-input cases
 * were tried and that none lost data.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tally } from './harness.js';

const casesDir = join(dirname(fileURLToPath(import.meta.url)), 'cases');
const modules = (existsSync(casesDir) ? readdirSync(casesDir) : []).filter((f) => f.endsWith('.js')).sort();
for (const file of modules) {
  const mod = (await import(pathToFileURL(join(casesDir, file)).href)) as { registerCases?: () => void };
  if (typeof mod.registerCases !== 'function') throw new Error(`${file} in test/faults/cases exports no registerCases()`);
  mod.registerCases();
}

after(() => {
  const areas = [...tally.byArea].map(([area, n]) => `${area} ${n}`).join(', ');
  console.log(`fault-injection suite: ${tally.tried} cases tried, ${tally.held} held, ${tally.failed} failed, ${tally.skipped} skipped (${areas})`);
});

#!/usr/bin/env node
// Runs the built tests of the tiers named (unit, integration, e2e; see test/tiers.ts), one tier after
// another, and exits non-zero if any failed. Unit test files run in parallel (each on its own temp
// files); integration and e2e files one at a time (they share the machine's cores, ports and Chromium).
// Usage: node scripts/run-tests.mjs TIER... (after `tsc -b`, which builds dist/test/).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { TIERS, tierOf } = await import(new URL('../dist/test/tiers.js', import.meta.url).href);

const tiers = process.argv.slice(2);
const unknown = tiers.filter((t) => !TIERS.includes(t));
if (tiers.length === 0 || unknown.length > 0) {
  console.error(`usage: node scripts/run-tests.mjs ${TIERS.join('|')}...${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  process.exit(2);
}

/** Test sources (not dist/, where a deleted test's old .js can linger), relative to the root. */
function testFiles(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const all = testFiles('test').map((f) => f.split('\\').join('/')).sort();
let failed = false;
for (const tier of tiers) {
  const files = all.filter((f) => tierOf(f) === tier).map((f) => join('dist', f.replace(/\.ts$/, '.js')));
  const missing = files.filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    console.error(`not built: ${missing.join(', ')}; run npx tsc -b tsconfig.json first`);
    process.exit(1);
  }
  const concurrency = tier === 'unit' ? Math.max(2, availableParallelism()) : 1;
  console.log(`# ${tier}: ${files.length} files`);
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);

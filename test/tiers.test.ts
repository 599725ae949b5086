/** Every test file is in exactly one tier (test/tiers.ts), and no unit test reaches a subprocess, the CLI, the kernel or Chromium. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { importsOf, resolveSpecifier } from './helpers/imports.js';
import { repoRoot } from './helpers/paths.js';
import { E2E_FOLDERS, INTEGRATION_FILES, INTEGRATION_FOLDERS, tierOf } from './tiers.js';

function files(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name).split('\\').join('/')] : [],
  );
}
const testFiles = files('test').filter((f) => f.endsWith('.test.ts'));

/** What only integration and e2e tests may import (directly or through a test helper). */
const FORBIDDEN_IN_UNIT: Array<[RegExp, string]> = [
  [/^(node:)?child_process$/, 'subprocesses'],
  [/^playwright-core$/, 'Chromium'],
  [/(^|\/)test\/helpers\/cli\.ts$/, 'the CLI as a subprocess'],
  [/(^|\/)test\/e2e\/browser\.ts$/, 'Chromium'],
  [/(^|\/)src\/main\/kernel\/client\.ts$/, 'the kernel process'],
  [/(^|\/)src\/main\/notebook\/run\.ts$/, 'notebook runs in the kernel'],
];

/** Import specifiers of a file: bare names as written, relative ones as repository paths (.js → .ts). */
const specifiersOf = (file: string): string[] => importsOf(readFileSync(join(repoRoot, file), 'utf8')).map((s) => (s.startsWith('.') ? resolveSpecifier(file, s) : s));

/** Why a unit test file may not be one: the first forbidden import reached through test/ files, with the path to it. */
function forbiddenReach(file: string): string | null {
  const seen = new Set<string>();
  const queue: Array<[string, string[]]> = [[file, [file]]];
  while (queue.length > 0) {
    const [f, path] = queue.shift()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const spec of specifiersOf(f)) {
      const hit = FORBIDDEN_IN_UNIT.find(([re]) => re.test(spec));
      if (hit) return `${[...path, spec].join(' → ')} (${hit[1]})`;
      if (spec.startsWith('test/') && existsSync(join(repoRoot, spec))) queue.push([spec, [...path, spec]]);
    }
  }
  return null;
}

it('the tier lists name existing test files, each once', () => {
  for (const folder of [...E2E_FOLDERS, ...INTEGRATION_FOLDERS]) assert.ok(existsSync(join(repoRoot, folder)), `${folder} exists`);
  for (const file of Object.keys(INTEGRATION_FILES)) {
    assert.ok(testFiles.includes(file), `${file} (in INTEGRATION_FILES) is a test file`);
    const folder = [...E2E_FOLDERS, ...INTEGRATION_FOLDERS].find((f) => file.startsWith(f));
    assert.equal(folder, undefined, `${file} is listed and also in ${folder}: keep one`);
  }
  const counts = { unit: 0, integration: 0, e2e: 0 };
  for (const f of testFiles) counts[tierOf(f)]++;
  assert.equal(counts.unit + counts.integration + counts.e2e, testFiles.length);
  assert.ok(counts.unit > 0 && counts.integration > 0 && counts.e2e > 0, JSON.stringify(counts));
});

it('no unit test reaches a subprocess, the CLI, the kernel or Chromium', () => {
  const wrong = testFiles.filter((f) => tierOf(f) === 'unit').flatMap((f) => forbiddenReach(f) ?? []);
  assert.deepEqual(wrong, [], 'add these to INTEGRATION_FILES in test/tiers.ts (or move them under an integration folder)');
});

it('the check sees a forbidden import through a helper', () => {
  // A unit file that imports only test helpers still reaches child_process through helpers/cli.ts.
  assert.match(forbiddenReach('test/main/cli/run.test.ts') ?? '', /child_process|helpers\/cli\.ts/);
  assert.match(forbiddenReach('test/main/store/resume.test.ts') ?? '', /child_process/);
  assert.equal(forbiddenReach('test/shared/intervals.test.ts'), null);
});

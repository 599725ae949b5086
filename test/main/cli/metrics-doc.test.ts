/** METRICS.md: linked from the README and `babelscope --help`, one row per metric named in the code's outputs. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { repoRoot } from '../../helpers/paths.js';

describe('METRICS.md', () => {
  const text = readFileSync(join(repoRoot, 'METRICS.md'), 'utf8');
  const rows = text.split('\n').filter((l) => l.startsWith('| **'));

  it('--help names it by a path that exists; the README links it', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    const m = /METRICS\.md|: (\S+METRICS\.md)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    const path = /(\/\S+METRICS\.md)/.exec(r.stdout)![1]!;
    assert.ok(existsSync(path), path);
    assert.match(readFileSync(join(repoRoot, 'README.md'), 'utf8'), /\[METRICS\.md\]\(METRICS\.md\)/);
  });

  it('has one row per metric, each with five cells', () => {
    for (const name of ['LAPE neurons', 'MEXA', 'Retrieval', 'LPR', 'WPR', 'LCPR', 'foreignWordRate', 'CMI', 'Fertility', 'Proportion of continued words', 'Premium / parity', 'Jaccard', 'Mean NLL', 'Logit lens', 'Working language', 'Latent language', 'Selectivity']) {
      assert.equal(rows.filter((r) => r.startsWith(`| **${name}`)).length, 1, name);
    }
    for (const r of rows) assert.equal(r.split(/(?<!\\)\|/).length - 2, 5, r.slice(0, 60));
  });
});

/** How a cell's `import` of babelscope resolves: through package.json `exports`, both doors, no deep imports. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { packageRoot } from '../../../src/main/fs/package-root.js';
import { resolveSpecifier } from '../../../src/main/kernel/resolve.js';

describe('cells import babelscope through its exports, from any folder', () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'babelscope-resolve-'));
  after(() => rmSync(elsewhere, { recursive: true, force: true }));

  it('"babelscope" is the API and "babelscope/plots" the figures, of this package', () => {
    assert.equal(fileURLToPath(resolveSpecifier('babelscope', elsewhere)), join(packageRoot, 'dist', 'src', 'main', 'api', 'index.js'));
    assert.equal(fileURLToPath(resolveSpecifier('babelscope/plots', elsewhere)), join(packageRoot, 'dist', 'src', 'main', 'api', 'plots.js'));
  });

  it('a deep import is refused with the exports it could use', () => {
    assert.throws(() => resolveSpecifier('babelscope/dist/src/main/store/index.js', elsewhere), { name: 'UserError', message: /does not export "\.\/dist\/src\/main\/store\/index\.js"/ });
  });
});

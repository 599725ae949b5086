import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found by walking up from this file (tests run from dist/test/). */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot();
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
export const tinyModelDir = join(repoRoot, 'assets', 'tiny-babel');
export const checkpointsDir = join(repoRoot, 'assets', 'tiny-babel-checkpoints');
export const codeModelDir = join(repoRoot, 'assets', 'tiny-babel-code');
export const codeCheckpointsDir = join(repoRoot, 'assets', 'tiny-babel-code-checkpoints');
/** The code model's checkpoints in training order; the last is the bundled code model itself. */
export const codeCheckpointDirs = [
  join(codeCheckpointsDir, '01-python'),
  join(codeCheckpointsDir, '02-all-early'),
  join(codeCheckpointsDir, '03-all-mid'),
  codeModelDir,
];
export const CODE_LANGS = ['python', 'go', 'php', 'cpp', 'rust'] as const;

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's folder (where assets/, notebooks/ and dist/ are): this file is dist/src/main/fs/package-root.js. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** How the repository's own tests read imports: TypeScript's scanner, and relative specifiers as source paths. */
import { posix } from 'node:path';
import ts from 'typescript';

/**
 * Every module specifier a file imports, as TypeScript's scanner reads them: `import`, `import type`,
 * `export … from`, dynamic `import()` and `require()`, in either quote style, and never a string or
 * comment that only looks like one.
 */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** `./x.js` from `src/main/cli/a.ts` → `src/main/cli/x.ts` (the emitted extension back to the source's). */
export function resolveSpecifier(from: string, spec: string): string {
  return posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts').replace(/\.mjs$/, '.mts');
}

/**
 * API Extractor over each entry point of the package (`babelscope`, `babelscope/plots`): rolls up its
 * declarations (dist/babelscope*.d.ts) and compares its surface with the committed report (etc/*.api.md).
 * `npm run build:types` fails when a report is out of date or on any warning (a forgotten export among
 * them); `npm run api:update` (`--local`) rewrites the reports instead, for review in the diff.
 * Messages go to dist/api-extractor.log, and to the terminal only when something failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompilerState, Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIGS = ['api-extractor.json', 'api-extractor.plots.json'];
const localBuild = process.argv.includes('--local');

const log = [];
let failed = false;
const configs = CONFIGS.map((file) => [file, ExtractorConfig.loadFileAndPrepare(join(root, file))]);
// One TypeScript program for every entry point.
const compilerState = CompilerState.create(configs[0][1], { additionalEntryPoints: configs.map(([, c]) => c.mainEntryPointFilePath) });
for (const [file, config] of configs) {
  const result = Extractor.invoke(config, {
    localBuild,
    compilerState,
    messageCallback: (m) => {
      m.handled = true;
      if (m.logLevel === 'none' || m.logLevel === 'verbose') return;
      log.push(`${file}: ${m.logLevel}: ${m.formatMessageWithLocation(root)}`);
    },
  });
  if (result.apiReportChanged && !localBuild)
    log.push(`${file}: the public API changed: ${config.reportConfigs.map((r) => `etc/${r.fileName}`).join(', ')} differs from the committed report; review the change and run \`npm run api:update\` to write it`);
  if (!result.succeeded) failed = true;
  log.push(`${file}: ${result.succeeded ? 'ok' : 'FAILED'} (${result.errorCount} errors, ${result.warningCount} warnings${result.apiReportChanged ? ', report changed' : ''})`);
}
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'api-extractor.log'), log.join('\n') + '\n');
if (failed) {
  process.stderr.write(log.join('\n') + '\n');
  process.exit(1);
}

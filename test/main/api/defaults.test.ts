/** OPTION_DEFAULTS is the one table of defaults: every CLI option of an operation defaults to (and its help shows) the table's value. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Command } from 'commander';
import { OPTION_DEFAULTS } from '../../../src/main/api/index.js';
import { registerAblate } from '../../../src/main/cli/commands/ablate.js';
import { registerAlign } from '../../../src/main/cli/commands/align.js';
import { registerCapture } from '../../../src/main/cli/commands/capture.js';
import { registerCodeSwitch } from '../../../src/main/cli/commands/codeswitch.js';
import { registerExport } from '../../../src/main/cli/commands/export.js';
import { registerFertility } from '../../../src/main/cli/commands/fertility.js';
import { registerGenerate } from '../../../src/main/cli/commands/generate.js';
import { registerLape } from '../../../src/main/cli/commands/lape.js';
import { registerLatentLanguage } from '../../../src/main/cli/commands/latent-language.js';
import { registerLens } from '../../../src/main/cli/commands/lens.js';
import { registerMerge } from '../../../src/main/cli/commands/merge.js';
import { registerScoreCompletions } from '../../../src/main/cli/commands/score-completions.js';
import { registerWorkingLanguage } from '../../../src/main/cli/commands/working-language.js';

type Operation = keyof typeof OPTION_DEFAULTS;

/** Each command with the operation (API function) it calls, and how many of its options the table must cover. */
const COMMANDS: [(program: Command) => void, Operation, number][] = [
  [registerCapture, 'capture', 5],
  [registerMerge, 'mergeShards', 1],
  [registerExport, 'exportStore', 1],
  [registerLape, 'lape', 8],
  [registerAlign, 'align', 9],
  [registerAblate, 'ablate', 6],
  [registerWorkingLanguage, 'workingLanguage', 8],
  [registerLens, 'lens', 4],
  [registerGenerate, 'generate', 5],
  [registerCodeSwitch, 'codeSwitch', 11],
  [registerLatentLanguage, 'latentLanguage', 5],
  [registerFertility, 'fertility', 2],
  [registerScoreCompletions, 'scoreCompletions', 2],
];

for (const [register, operation, covered] of COMMANDS) {
  it(`${operation}: the CLI's defaults are OPTION_DEFAULTS.${operation}'s`, () => {
    const program = new Command();
    register(program);
    const cmd = program.commands[0]!;
    const table: Record<string, unknown> = { ...OPTION_DEFAULTS.openModel, ...OPTION_DEFAULTS[operation] };
    const checked: string[] = [];
    for (const option of cmd.options) {
      const key = option.attributeName();
      const want = table[key];
      if (want === undefined || typeof want === 'object') continue;
      checked.push(key);
      if (option.negate) assert.equal(want, true, `${option.long}: a --no- flag means the default is on`);
      else if (option.defaultValue !== undefined) assert.equal(option.defaultValue, want, option.long);
      // Options left unset on purpose (the API then decides, e.g. a fallback for old runs) name the default in their help.
      else assert.match(option.description, new RegExp(`default:? ${String(want)}\\b`), `${option.long}: ${option.description}`);
    }
    assert.ok(checked.length >= covered, `only ${checked.join(', ')} of ${cmd.name()} are in the table`);
  });
}

it('capture --help names the pooling default from the table', () => {
  const program = new Command();
  registerCapture(program);
  const help = program.commands[0]!.helpInformation();
  assert.ok(help.includes(`default ${OPTION_DEFAULTS.capture.pooling.vectors.join(',')}`), help);
  assert.ok(help.includes(`default ${OPTION_DEFAULTS.capture.pooling.dtype}`), help);
});

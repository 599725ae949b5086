import { basename } from 'node:path';
import type { Command } from 'commander';
import { compareCheckpoints, type CheckpointInput } from '../../analysis/checkpoints.js';
import { describeSelection, lapeSelection, openExistingStore, partialRunWarning } from '../../capture/stored-runs.js';
import { UserError } from '../../../shared/errors.js';
import type { ParamsOf } from '../../../shared/result-kinds.js';
import { canonicalJson } from '../../../shared/canonical-json.js';
import { collect, output, parseIntOption, type OutputOptions } from '../common.js';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('checkpoints side by side: Jaccard overlap of LAPE neuron sets, counts per layer, mean NLL, working language')
    .option('--db <file>', 'a capture file per checkpoint, in training order (repeat)', collect, [])
    .option('--selection <id>', 'LAPE selection (result id) to use in each file, in --db order (repeat); default: the latest of --run', collectInt('--selection'), [])
    .option('--run <name>', 'capture run to read in each file (default: capture)')
    .option('--json', 'print JSON')
    .action((o: OutputOptions & { db: string[]; run?: string; selection: number[] }) => {
      if (o.db.length < 2) throw new UserError('compare needs at least two --db files', 'One capture file per checkpoint: --db ckpt1.db --db ckpt2.db');
      if (o.selection.length > 0 && o.selection.length !== o.db.length) {
        throw new UserError(`compare got ${o.selection.length} --selection for ${o.db.length} --db files`, 'Give one --selection per --db, in the same order, or none to use the latest of each.');
      }
      const selections: { path: string; id: number; run: string; partial: boolean; params: ParamsOf<'lape'> }[] = [];
      const inputs: CheckpointInput[] = o.db.map((path, k) => {
        const store = openExistingStore(path, true);
        try {
          const selection = lapeSelection(store, o.run, o.selection[k]);
          const { run } = selection;
          process.stderr.write(`using ${describeSelection(selection, path)}\n`);
          const warning = partialRunWarning(run);
          if (warning) process.stderr.write(`${warning} (${path})\n`);
          selections.push({ path, id: selection.id, run: run.name, partial: selection.partial || run.status !== 'done', params: selection.params });
          const nll = store.latestResult(run.id, 'nll')?.result;
          const wl = store.latestResult(run.id, 'working-language')?.result;
          return {
            name: basename(run.modelDir),
            lape: selection.result,
            ...(nll ? { nll: Object.fromEntries(Object.entries(nll).map(([k, v]) => [k, v.sum / Math.max(1, v.count)])) } : {}),
            ...(wl ? { workingLanguage: wl } : {}),
          };
        } finally {
          store.close();
        }
      });
      const warnings = selectionSettingWarnings(selections);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      // Checkpoints are named by model folder; when folders share a name, by capture file instead.
      if (new Set(inputs.map((i) => i.name)).size < inputs.length) inputs.forEach((input, k) => (input.name = basename(o.db[k]!)));
      const c = compareCheckpoints(inputs);
      output(o, { selections, warnings, ...c }, () => {
        const lines = [`checkpoints: ${c.checkpoints.join(' → ')}`, 'LAPE neurons per language:'];
        for (const l of c.languages) lines.push(`  ${l.padEnd(6)} ${c.neuronCounts[l]!.map((v) => String(v ?? '–').padStart(5)).join('')}`);
        lines.push('Jaccard overlap with the previous checkpoint:');
        for (const l of c.languages) lines.push(`  ${l.padEnd(6)} ${c.checkpoints.slice(1).map((_, i) => (c.jaccard[l]![i]![i + 1] ?? NaN).toFixed(2).padStart(6)).join('')}`);
        if (c.nllLanguages.length) {
          lines.push('mean NLL per language:');
          for (const l of c.nllLanguages) lines.push(`  ${l.padEnd(6)} ${c.nll[l]!.map((v) => (v === null ? '–' : v.toFixed(3)).padStart(8)).join('')}`);
        }
        return lines.join('\n');
      });
    });
}

function collectInt(name: string) {
  const parse = parseIntOption(name, 1);
  return (value: string, previous: number[]): number[] => [...previous, parse(value)];
}

/** Selections made with different LAPE settings are not comparable neuron for neuron: say which differ. */
export function selectionSettingWarnings(selections: readonly { path: string; id: number; params: ParamsOf<'lape'> }[]): string[] {
  const first = selections[0];
  if (!first) return [];
  const differing = selections.filter((s) => canonicalJson(s.params) !== canonicalJson(first.params));
  if (differing.length === 0) return [];
  const show = (s: { path: string; id: number; params: ParamsOf<'lape'> }) =>
    `#${s.id} in ${basename(s.path)}: ${Object.entries(s.params).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`;
  return [`the LAPE selections were made with different settings, so their neuron sets are not comparable: ${[first, ...differing].map(show).join('; ')}`];
}

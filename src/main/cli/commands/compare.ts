import { basename } from 'node:path';
import type { Command } from 'commander';
import { compareCheckpoints, type CheckpointInput } from '../../analysis/checkpoints.js';
import { checkpointInputOf, openExistingStore, requireCaptureRun } from '../../capture/stored-runs.js';
import { UserError } from '../../../shared/errors.js';
import { collect, output, type OutputOptions } from '../common.js';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('checkpoints side by side: Jaccard overlap of LAPE neuron sets, counts per layer, mean NLL, working language, MEXA')
    .option('--db <file>', 'a capture file per checkpoint, in training order (repeat)', collect, [])
    .option('--run <name>', 'capture run to read in each file', 'capture')
    .option('--json', 'print JSON')
    .action((o: OutputOptions & { db: string[]; run: string }) => {
      if (o.db.length < 2) throw new UserError('compare needs at least two --db files', 'One capture file per checkpoint: --db ckpt1.db --db ckpt2.db');
      const inputs: CheckpointInput[] = o.db.map((path) => {
        const store = openExistingStore(path, true);
        try {
          return checkpointInputOf(store, requireCaptureRun(store, o.run));
        } finally {
          store.close();
        }
      });
      // Checkpoints are named by model folder; when folders share a name, by capture file instead.
      if (new Set(inputs.map((i) => i.name)).size < inputs.length) inputs.forEach((input, k) => (input.name = basename(o.db[k]!)));
      const c = compareCheckpoints(inputs);
      output(o, c, () => {
        const lines = [`checkpoints: ${c.checkpoints.join(' → ')}`, 'LAPE neurons per language:'];
        for (const l of c.languages) lines.push(`  ${l.padEnd(6)} ${c.neuronCounts[l]!.map((v) => String(v ?? '–').padStart(5)).join('')}`);
        lines.push('Jaccard overlap with the previous checkpoint:');
        for (const l of c.languages) lines.push(`  ${l.padEnd(6)} ${c.checkpoints.slice(1).map((_, i) => (c.jaccard[l]![i]![i + 1] ?? NaN).toFixed(2).padStart(6)).join('')}`);
        if (c.nllLanguages.length) {
          lines.push('mean NLL per language:');
          for (const l of c.nllLanguages) lines.push(`  ${l.padEnd(6)} ${c.nll[l]!.map((v) => (v === null ? '–' : v.toFixed(3)).padStart(8)).join('')}`);
        }
        const al = c.alignment;
        if (al) {
          lines.push(`MEXA vs ${al.pivot}, mean over layers (chance level in brackets; babelscope align stores it):`);
          for (const l of al.languages) {
            lines.push(`  ${l.padEnd(6)} ${al.mean[l]!.map((v, i) => (v === null ? '–' : `${v.toFixed(2)} (${al.chance[l]![i]?.toFixed(2) ?? '–'})`).padStart(12)).join('')}`);
          }
        }
        return lines.join('\n');
      });
    });
}

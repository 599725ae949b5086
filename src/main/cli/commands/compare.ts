import type { Command } from 'commander';
import { compareCheckpoints } from '../../api/index.js';
import { UserError } from '../../../shared/errors.js';
import { collect, output, parseIntOption, requireDbPath, type OutputOptions } from '../common.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('checkpoints side by side: Jaccard overlap of LAPE neuron sets, counts per layer, mean NLL, working language, MEXA')
    .option('--db <file>', 'a capture file per checkpoint, in training order (repeat)', collect, [])
    .option('--selection <id>', 'LAPE selection (result id) to use in each file, in --db order (repeat); default: the latest of --run', collectInt('--selection'), [])
    .option('--run <name>', 'capture run to read in each file (default: capture)')
    .option('--json', 'print JSON')
    .action((o: OutputOptions & { db: string[]; run?: string; selection: number[] }) => {
      if (o.db.length < 2) throw new UserError('compare needs at least two --db files', 'One capture file per checkpoint: --db ckpt1.db --db ckpt2.db');
      if (o.selection.length > 0 && o.selection.length !== o.db.length) {
        throw new UserError(`compare got ${o.selection.length} --selection for ${o.db.length} --db files`, 'Give one --selection per --db, in the same order, or none to use the latest of each.');
      }
      for (const path of o.db) requireDbPath(path);
      const c = compareCheckpoints({ stores: o.db, ...withoutUndefined({ run: o.run }), ...(o.selection.length ? { selections: o.selection } : {}) });
      for (const s of c.selections) process.stderr.write(`using ${s.description}\n`);
      for (const w of c.warnings) process.stderr.write(`warning: ${w}\n`);
      output(o, c, () => {
        const lines = [`checkpoints: ${c.checkpoints.join(' → ')}`, 'LAPE neurons per language:'];
        // A count or overlap of a language the checkpoint has not learned (NLL ≥ ln |V|) is marked `!`: its neurons are meaningless.
        const mark = (l: string, i: number) => (c.learned[l]?.[i] === false ? '!' : ' ');
        for (const l of c.languages) lines.push(`  ${l.padEnd(6)} ${c.neuronCounts[l]!.map((v, i) => String(v ?? '–').padStart(5) + mark(l, i)).join('')}`);
        lines.push(`  (of ${c.selectedTotal.join(' / ')} selected; ! = not learned at that checkpoint, mean NLL ≥ ln |V|: its neurons are meaningless)`);
        lines.push('Jaccard overlap with the previous checkpoint (random sets of the same sizes: expected [2.5–97.5 %]):');
        for (const l of c.languages) {
          const cells = c.checkpoints.slice(1).map((_, i) => {
            const j = c.jaccard[l]![i]![i + 1];
            const ch = c.jaccardChance[l]![i]![i + 1];
            return `${j === null || j === undefined ? '–' : j.toFixed(2)}${mark(l, i) === '!' || mark(l, i + 1) === '!' ? '!' : ''}${ch ? ` (${ch.expected.toFixed(2)} [${ch.low.toFixed(2)}–${ch.high.toFixed(2)}])` : ''}`.padStart(24);
          });
          lines.push(`  ${l.padEnd(6)} ${cells.join('')}`);
        }
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

function collectInt(name: string) {
  const parse = parseIntOption(name, 1);
  return (value: string, previous: number[]): number[] => [...previous, parse(value)];
}

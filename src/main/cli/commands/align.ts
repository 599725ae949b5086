import { Option, type Command } from 'commander';
import type { AlignmentResult } from '../../analysis/alignment.js';
import { align } from '../../api/alignment.js';
import { openExistingStore } from '../../capture/stored-runs.js';
import type { DeviceRequest } from '../../model/types.js';
import { output, type OutputOptions } from '../common.js';

export function registerAlign(program: Command): void {
  program
    .command('align')
    .description('cross-lingual alignment per layer (mean cosine, retrieval, MEXA) from pooled residuals of parallel texts')
    .requiredOption('--db <file>', 'SQLite file written by capture')
    .option('--run <name>', 'capture run to read', 'capture')
    .addOption(new Option('--pool <how>', 'pooled vector to compare').choices(['mean', 'last']).default('mean'))
    .option('--pivot <lang>', 'report every language against this one (default: eng, when the run has it)')
    .addOption(new Option('--kernel <kind>', 'similarity kernel: onnxruntime Gemm (multi-threaded, GPU) or float32 JS').choices(['onnx', 'js']).default('onnx'))
    .addOption(new Option('--device <device>', 'where the onnx kernel runs').choices(['auto', 'cpu', 'cuda']).default('cpu'))
    .option('--no-save', 'do not store the result in the file (then the file is only read)')
    .option('--json', 'print JSON')
    .action(async (o: OutputOptions & { db: string; run: string; pool: 'mean' | 'last'; pivot?: string; kernel: 'onnx' | 'js'; device: DeviceRequest; save: boolean }) => {
      openExistingStore(o.db, !o.save).close(); // a missing file is a UserError saying how to make one
      const r = await align({ store: o.db, run: o.run, pool: o.pool, ...(o.pivot !== undefined ? { pivot: o.pivot } : {}), kernel: o.kernel, device: o.device, save: o.save });
      if (r.partial) process.stderr.write(`warning: run "${o.run}" is ${r.runStatus === 'running' ? 'still capturing (or was killed)' : r.runStatus}: these numbers cover only the texts captured so far\n`);
      output(o, r, () => renderAlignment(o.run, o.pool, r));
    });
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : v.toFixed(2);
}

/** Per layer against the pivot: MEXA, mean cosine and retrieval, each beside its chance level. */
function renderAlignment(runName: string, pool: string, r: AlignmentResult): string {
  const lines = [`alignment of run "${runName}" (${pool} pooling), languages: ${r.languages.join(', ')}`];
  const p = r.pivot;
  if (!p) return lines.concat(`(no pivot language among them: see --json for every pair)`).join('\n');
  const row = (vs: (number | null)[]) => vs.map((v) => (v === null ? '   – ' : v.toFixed(2).padStart(5))).join(' ');
  const others = r.languages.filter((l) => l !== p.pivot);
  lines.push(`layers ${' '.repeat(4)}${r.layers.map((l) => String(l.layer).padStart(5)).join(' ')}`);
  lines.push(`MEXA vs ${p.pivot} (chance 1/(2n−1) with n parallel texts):`);
  for (const l of others) lines.push(`  ${l.padEnd(8)} ${row(p.mexa[l]!)}   mean ${fmt(p.mean[l])} max ${fmt(p.max[l])}, chance ${fmt(p.chanceMexa[l])}`);
  lines.push(`mean cosine with the ${p.pivot} translation / with ${p.pivot} non-translations (chance):`);
  for (const l of others) {
    lines.push(`  ${l.padEnd(8)} ${row(p.meanCosine[l]!)}`);
    lines.push(`  ${''.padEnd(8)} ${row(p.nonParallelCosine[l]!)}`);
  }
  lines.push(`retrieval of the ${p.pivot} translation among all ${p.pivot} texts (chance 1/texts):`);
  for (const l of others) lines.push(`  ${l.padEnd(8)} ${row(p.retrieval[l]!)}   chance ${fmt(p.chanceRetrieval[l]!.find((v) => v !== null))}`);
  return lines.join('\n');
}

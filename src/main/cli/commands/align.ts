import { Option, type Command } from 'commander';
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
    .option('--pivot <lang>', 'report every language against this one', 'eng')
    .addOption(new Option('--kernel <kind>', 'similarity kernel: onnxruntime Gemm (multi-threaded, GPU) or float32 JS').choices(['onnx', 'js']).default('onnx'))
    .addOption(new Option('--device <device>', 'where the onnx kernel runs').choices(['auto', 'cpu', 'cuda']).default('cpu'))
    .option('--json', 'print JSON')
    .action(async (o: OutputOptions & { db: string; run: string; pool: 'mean' | 'last'; pivot: string; kernel: 'onnx' | 'js'; device: DeviceRequest }) => {
      openExistingStore(o.db, true).close(); // a missing file is a UserError saying how to make one
      const r = await align({ store: o.db, run: o.run, pool: o.pool, pivot: o.pivot, kernel: o.kernel, device: o.device });
      output(o, r, () => {
        const lines = [`alignment of run "${o.run}" (${o.pool} pooling), languages: ${r.languages.join(', ')}`];
        if (r.pivot) {
          lines.push(`MEXA vs ${r.pivot.pivot} per layer (${r.layers.map((l) => l.layer).join(' ')}):`);
          for (const l of r.languages) lines.push(`  ${l.padEnd(6)} ${r.pivot.mexa[l]!.map((v) => (v === null ? '  –  ' : v.toFixed(2))).join(' ')}   mean ${fmt(r.pivot.mean[l])} max ${fmt(r.pivot.max[l])}`);
        }
        return lines.join('\n');
      });
    });
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : v.toFixed(2);
}

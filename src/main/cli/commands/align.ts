import { Option, type Command } from 'commander';
import { alignStoredRun, openExistingStore, requireCaptureRun } from '../../capture/stored-runs.js';
import { createSimilarityKernel } from '../../model/similarity-kernel.js';
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
      const store = openExistingStore(o.db, true);
      const kernel = o.kernel === 'onnx' ? await createSimilarityKernel(o.device, (m) => process.stderr.write(m + '\n')) : undefined;
      try {
        const run = requireCaptureRun(store, o.run);
        const r = await alignStoredRun(store, run, { pool: o.pool, pivot: o.pivot, ...(kernel ? { kernel: kernel.run } : {}) });
        output(o, { pool: o.pool, ...r }, () => {
          const lines = [`alignment of run "${run.name}" (${o.pool} pooling), languages: ${r.languages.join(', ')}`];
          if (r.pivot) {
            lines.push(`MEXA vs ${r.pivot.pivot} per layer (${r.layers.map((l) => l.layer).join(' ')}):`);
            for (const l of r.languages) lines.push(`  ${l.padEnd(6)} ${r.pivot.mexa[l]!.map((v) => (v === null ? '  –  ' : v.toFixed(2))).join(' ')}   mean ${fmt(r.pivot.mean[l])} max ${fmt(r.pivot.max[l])}`);
          }
          return lines.join('\n');
        });
      } finally {
        await kernel?.dispose();
        store.close();
      }
    });
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : v.toFixed(2);
}

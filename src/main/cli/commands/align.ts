import { Option, type Command } from 'commander';
import { align, OPTION_DEFAULTS, type AlignOutput } from '../../api/index.js';
import type { DeviceRequest } from '../../../shared/model-types.js';
import { output, parseIntOption, requireDbPath, type OutputOptions } from '../common.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

interface AlignCliOptions extends OutputOptions {
  db: string;
  run: string;
  pool?: 'wmean' | 'mean' | 'last';
  layers: 'hidden_states' | 'blocks';
  pivot?: string;
  permutations: number;
  seed: number;
  kernel: 'onnx' | 'js';
  device: DeviceRequest;
  save: boolean;
}

const DEFAULTS = OPTION_DEFAULTS.align;

export function registerAlign(program: Command): void {
  program
    .command('align')
    .description('cross-lingual alignment per layer (mean cosine, retrieval, MEXA as cisnlp/MEXA computes it) from pooled residuals of parallel texts')
    .requiredOption('--db <file>', 'SQLite file written by capture')
    .option('--run <name>', 'capture run to read', DEFAULTS.run)
    .addOption(
      new Option('--pool <how>', `pooled vector to compare: wmean (MEXA's position-weighted mean), mean (uniform, after <bos>) or last (default ${DEFAULTS.pool}; mean for captures made before wmean existed)`).choices(['wmean', 'mean', 'last']),
    )
    .addOption(
      new Option('--layers <numbering>', 'hidden_states: as MEXA (0 = embedding output, the last after the final norm); blocks: block index, the last before the final norm').choices(['hidden_states', 'blocks']).default(DEFAULTS.layers),
    )
    .option('--pivot <lang>', `report every language against this one (default: ${DEFAULTS.pivot}, when the run has it)`)
    .option('--permutations <n>', 'shuffles of the pairing for the chance level of MEXA and retrieval (at least 100)', parseIntOption('--permutations', 100), DEFAULTS.permutations)
    .option('--seed <n>', 'seed of the shuffles and of the bootstrap intervals', parseIntOption('--seed', 0), DEFAULTS.seed)
    .addOption(new Option('--kernel <kind>', 'similarity kernel: onnxruntime Gemm (multi-threaded, GPU) or float32 JS').choices(['onnx', 'js']).default(DEFAULTS.kernel))
    .addOption(new Option('--device <device>', 'where the onnx kernel runs').choices(['auto', 'cpu', 'cuda']).default(DEFAULTS.device))
    .option('--no-save', 'do not store the result in the file (then the file is only read)')
    .option('--json', 'print JSON')
    .action(async (o: AlignCliOptions) => {
      const r = await align({
        store: requireDbPath(o.db),
        run: o.run,
        layers: o.layers,
        ...withoutUndefined({ pool: o.pool, pivot: o.pivot }),
        permutations: o.permutations,
        seed: o.seed,
        kernel: o.kernel,
        device: o.device,
        save: o.save,
      });
      if (r.partial) process.stderr.write(`warning: run "${o.run}" is ${r.runStatus === 'running' ? 'still capturing (or was killed)' : r.runStatus}: these numbers cover only the texts captured so far\n`);
      for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
      output(o, r, () => renderAlignment(o.run, r));
    });
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : v.toFixed(2);
}

/** Per layer against the pivot: MEXA and retrieval with their 95 % intervals and chance bands, mean cosine beside non-translations. */
function renderAlignment(runName: string, r: AlignOutput): string {
  const poolName = { wmean: "MEXA's position-weighted mean", mean: 'uniform mean', last: 'last token' }[r.pool];
  const lines = [`alignment of run "${runName}" (${poolName} pooling), languages: ${r.languages.join(', ')}`, r.layerNote];
  const p = r.pivot;
  if (!p) return lines.concat(`(no pivot language among them: see --json for every pair)`).join('\n');
  const row = (vs: (number | null)[]) => vs.map((v) => (v === null ? '   – ' : v.toFixed(2).padStart(5))).join(' ');
  const band = (vs: ({ low: number; high: number } | null)[]) => vs.map((v) => (v === null ? '     –     ' : `${v.low.toFixed(2)}–${v.high.toFixed(2)}`.padStart(11))).join(' ');
  const others = r.languages.filter((l) => l !== p.pivot);
  const perms = r.chanceMethod ? `${r.chanceMethod.permutations} shuffles of the pairing, seed ${r.chanceMethod.seed}` : 'analytic';
  lines.push(`layers ${' '.repeat(4)}${r.layers.map((l) => String(l.layer).padStart(5)).join(' ')}`);
  lines.push(`MEXA vs ${p.pivot}; then its 95 % interval (bootstrap over texts) and the chance band (2.5–97.5 % over ${perms}):`);
  for (const l of others) {
    lines.push(`  ${l.padEnd(8)} ${row(p.mexa[l]!)}   mean ${fmt(p.mean[l])} max ${fmt(p.max[l])}, chance ${fmt(p.chanceMexa[l])}`);
    lines.push(`  ${'  95 %'.padEnd(8)} ${band(p.mexaInterval[l]!)}`);
    lines.push(`  ${'  chance'.padEnd(8)} ${band(p.mexaChanceBand[l]!)}`);
  }
  lines.push(`mean cosine with the ${p.pivot} translation / with ${p.pivot} non-translations (chance):`);
  for (const l of others) {
    lines.push(`  ${l.padEnd(8)} ${row(p.meanCosine[l]!)}`);
    lines.push(`  ${''.padEnd(8)} ${row(p.nonParallelCosine[l]!)}`);
  }
  lines.push(`retrieval of the ${p.pivot} translation among all ${p.pivot} texts; 95 % interval; chance band:`);
  for (const l of others) {
    lines.push(`  ${l.padEnd(8)} ${row(p.retrieval[l]!)}`);
    lines.push(`  ${'  95 %'.padEnd(8)} ${band(p.retrievalInterval[l]!)}`);
    lines.push(`  ${'  chance'.padEnd(8)} ${band(p.retrievalChanceBand[l]!)}`);
  }
  return lines.join('\n');
}

import { Option, type Command } from 'commander';
import { capture, OPTION_DEFAULTS, type PoolingChoice, type Shard } from '../../api/index.js';
import { CancellationError } from '../../../shared/errors.js';
import { parseLayerList, parsePoolVectors, parseShard } from '../capture-options.js';
import { addModelOptions, interruptOnSigint, output, parseIntOption, requireDbPath, withModel, type ModelOptions, type OutputOptions } from '../common.js';
import { addCorpusOptions, type CorpusOptions, corpusParams } from '../corpus-options.js';
import { progressBar } from '../progress.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

const DEFAULTS = OPTION_DEFAULTS.capture;

interface CaptureCliOptions extends ModelOptions, OutputOptions, CorpusOptions {
  db: string;
  run: string;
  batch: number;
  maxBatchTokens: number;
  maxTokensPerText?: number;
  keepActivations: number;
  pool?: string;
  poolLayers?: string;
  pooledDtype?: PoolingChoice['dtype'];
  shard?: Shard;
}

export function registerCapture(program: Command): void {
  addCorpusOptions(addModelOptions(program.command('capture').argument('<dir>', 'model folder').description('record per-language MLP neuron statistics and pooled residuals into a SQLite file (resumable)')))
    .requiredOption('--db <file>', 'SQLite file to write (created if missing)')
    .option('--run <name>', 'run name in the file; the same name resumes', DEFAULTS.run)
    .option('--max-batch-tokens <n>', 'padded tokens (texts × longest) per forward pass: bounds memory', parseIntOption('--max-batch-tokens', 1), DEFAULTS.maxBatchTokens)
    .option('--batch <n>', 'texts per forward pass at most', parseIntOption('--batch', 1, 4096), DEFAULTS.batch)
    .option('--max-tokens-per-text <n>', 'cut texts longer than this', parseIntOption('--max-tokens-per-text', 2))
    .option('--pool <what>', `pooled residuals to keep per text: any of wmean (MEXA's position-weighted mean), mean, last, comma-separated, or none (default ${DEFAULTS.pooling.vectors.join(',')})`)
    .option('--pool-layers <layers>', `where to pool: all (every block, the embedding output and the final norm), or blocks and ranges with embedding/final_norm, e.g. embedding,0,8,16-31,final_norm (default ${DEFAULTS.pooling.layers === 'all' ? 'all' : DEFAULTS.pooling.layers.join(',')})`)
    .addOption(new Option('--pooled-dtype <type>', `storage type of pooled residuals (default ${DEFAULTS.pooling.dtype})`).choices(['float16', 'float32']))
    .option('--shard <I/N>', 'capture only shard I of N (0-based; a deterministic split by text id); `babelscope merge` adds the shards', parseShard)
    .option('--keep-activations <n>', 'also store raw activations (all tap points) of the first N texts per language', parseIntOption('--keep-activations', 0), DEFAULTS.keepActivations)
    .option('--json', 'print JSON')
    .action(async (dir: string, o: CaptureCliOptions) => {
      requireDbPath(o.db);
      await withModel(dir, o, async (model) => {
        const bar = progressBar(o.shard ? `capture ${o.shard.index}/${o.shard.count}` : 'capture');
        const interrupt = interruptOnSigint(() => {
          bar.stop();
          process.stderr.write('\ninterrupting: saving what is done after the current batch (Ctrl-C again to quit at once; every batch already saved stays)\n');
        });
        try {
          const pooling = poolingChoice(o);
          const s = await capture({
            model,
            store: o.db,
            ...corpusParams(o),
            signal: interrupt.signal,
            run: o.run,
            batch: o.batch,
            maxBatchTokens: o.maxBatchTokens,
            keepActivations: o.keepActivations,
            ...withoutUndefined({ pooling, shard: o.shard, maxTokensPerText: o.maxTokensPerText }),
            onProgress: (p) => bar.update(p.done, p.total, p.detail),
          }).catch((e: unknown) => {
            if (!(e instanceof CancellationError)) throw e;
            throw new CancellationError(`${e.message} (run status: interrupted).\nResume with the same command: ${resumeCommand()}`);
          });
          bar.stop();
          output(o, s, () =>
            [
              `${s.resumed ? 'resumed' : 'new'} run "${s.runName}" (#${s.runId}) in ${o.db}: ${s.texts} texts, ${s.tokens} tokens${s.skippedAlreadyDone ? `, ${s.skippedAlreadyDone} already done` : ''}`,
              ...(s.shard ? [`shard ${s.shard.index}/${s.shard.count}: ${s.shard.shardTexts} of ${s.shard.corpusTexts} texts`] : []),
              `languages: ${s.languages.join(', ')}`,
              `mean NLL: ${Object.entries(s.meanNll).map(([k, v]) => `${k} ${v.toFixed(3)}`).join('  ')}`,
            ].join('\n'),
          );
        } finally {
          interrupt.dispose();
          bar.stop();
        }
      });
    });
}

/** The pooling the user asked for, or undefined to take the default (or a resumed old run's own). */
function poolingChoice(o: CaptureCliOptions): PoolingChoice | undefined {
  if (o.pool === undefined && o.poolLayers === undefined && o.pooledDtype === undefined) return undefined;
  const where = o.poolLayers !== undefined ? parseLayerList(o.poolLayers) : { layers: DEFAULTS.pooling.layers, ends: DEFAULTS.pooling.ends ?? [] };
  return {
    vectors: o.pool !== undefined ? parsePoolVectors(o.pool) : DEFAULTS.pooling.vectors,
    layers: where.layers,
    dtype: o.pooledDtype ?? DEFAULTS.pooling.dtype,
    ends: where.ends,
  };
}

/** This very command line (the same run name resumes it), quoted for a POSIX shell. */
function resumeCommand(): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);
  return ['babelscope', ...process.argv.slice(2)].map(quote).join(' ');
}

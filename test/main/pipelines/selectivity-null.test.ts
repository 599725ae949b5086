/**
 * The selectivity method under the null (issue 17): texts of all languages with the labels dealt at
 * random, 3 texts a label, 7 labels, where no neuron can be specific to a label. Goal: no neuron found
 * in at least 9 of 10 such corpora, for each of several seeds.
 *
 * Real path: the bundled model captures a pool of UDHR texts in its 11 languages, each text under a
 * label of its own, so the store holds each text's own activation counts. A corpus with random labels
 * keeps, per label of 3 texts, exactly those 3 texts' counts (one text per group below 16 texts), so
 * its test input is the pool's rows dealt into labels; one such corpus is also captured and tested
 * through the CLI and must give the same neurons. The token-level z-test of the earlier method runs on
 * the same corpora beside it, for the record.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cohensH, selectivity, type GroupCounts } from '../../../src/main/analysis/selectivity.js';
import { readUdhr } from '../../../src/main/corpus/index.js';
import { openStore } from '../../../src/main/store/index.js';
import { benjaminiHochberg, normalUpperTail } from '../../../src/shared/significance.js';
import { mulberry32 } from '../../../src/shared/random.js';
import { runCliJson } from '../../helpers/cli.js';
import { tinyModelDir } from '../../helpers/paths.js';

const LANGS = ['eng', 'deu', 'fra', 'spa', 'tur', 'rus', 'ell', 'arb', 'hin', 'kor', 'cmn'];
const PER_LANG = 6;
const LABELS = 7;
const PER_LABEL = 3;
const CORPORA = 10;
const SEEDS = [1, 2, 3];

interface PoolText {
  lang: string;
  id: string;
  text: string;
}

/** The earlier, token-level method: pooled counts, two-proportion z-tests, h ≥ 0.8, BH 5 %. */
function tokenLevelFound(layers: GroupCounts[][][]): number {
  const p: number[] = [];
  const h: number[] = [];
  for (const layer of layers) {
    const pooled = layer.map((gs) => ({ n: gs.reduce((a, g) => a + g.tokens, 0), x: (i: number) => gs.reduce((a, g) => a + g.positiveCounts[i]!, 0) }));
    const width = layer[0]![0]!.positiveCounts.length;
    for (let i = 0; i < width; i++) {
      const xs = pooled.map((c) => c.x(i));
      for (let k = 0; k < layer.length; k++) {
        let worst = 0;
        let best = 0;
        for (let j = 0; j < layer.length; j++) {
          if (j === k) continue;
          const [x1, n1, x2, n2] = [xs[k]!, pooled[k]!.n, xs[j]!, pooled[j]!.n];
          const q = (x1 + x2) / (n1 + n2);
          const v = q * (1 - q) * (1 / n1 + 1 / n2);
          worst = Math.max(worst, v > 0 ? normalUpperTail((x1 / n1 - x2 / n2) / Math.sqrt(v)) : 1);
          best = Math.max(best, x2 / n2);
        }
        p.push(worst);
        h.push(cohensH(xs[k]! / pooled[k]!.n, best));
      }
    }
  }
  const q = benjaminiHochberg(p);
  return h.filter((e, t) => e >= 0.8 && q[t]! <= 0.05).length;
}

describe('selectivity under random labels (3 texts a label, 7 labels): no neuron in ≥ 9 of 10 corpora', () => {
  let tmp: string;
  const pool: PoolText[] = [];
  /** [layer][pool index] that text's counts. */
  let perText: GroupCounts[][] = [];

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-null-'));
    const byLang = new Map<string, PoolText[]>();
    for await (const t of readUdhr(LANGS)) byLang.set(t.lang, [...(byLang.get(t.lang) ?? []), t]);
    for (const lang of LANGS) {
      const all = byLang.get(lang)!;
      for (let i = 0; i < PER_LANG; i++) pool.push(all[Math.floor(((i + 0.5) * all.length) / PER_LANG)]!);
    }
    const jsonl = join(tmp, 'pool.jsonl');
    writeFileSync(jsonl, pool.map((t, i) => JSON.stringify({ lang: `t${String(i).padStart(2, '0')}`, id: `${t.lang}/${t.id}`, text: t.text })).join('\n') + '\n');
    const s = await runCliJson(['capture', tinyModelDir, '--corpus', jsonl, '--db', join(tmp, 'pool.db'), '--device', 'cpu', '--pool', 'none']);
    assert.equal(s.texts, pool.length);
    const store = openStore(join(tmp, 'pool.db'), { readonly: true });
    try {
      const run = store.findRun('capture')!;
      perText = store.textGroupLayers(run.id).map((layer) => {
        const groups = store.readTextGroups(run.id, layer);
        return pool.map((_, i) => {
          const gs = groups[`t${String(i).padStart(2, '0')}`]!;
          assert.equal(gs.length, 1);
          return gs[0]!;
        });
      });
    } finally {
      store.close();
    }
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** Corpus c of a seed: 21 pool texts dealt into 7 labels of 3. */
  const deal = (seed: number, c: number): number[][] => {
    const rand = mulberry32(seed * 1000 + c);
    const order = pool.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return Array.from({ length: LABELS }, (_, k) => order.slice(k * PER_LABEL, (k + 1) * PER_LABEL));
  };
  const layersOf = (labels: number[][]) => perText.map((texts) => labels.map((ids) => ids.map((i) => texts[i]!)));
  const labelNames = Array.from({ length: LABELS }, (_, k) => `L${k + 1}`);

  it('for each seed, at most 1 of 10 random-label corpora has any "language-specific" neuron', () => {
    const summary: Record<string, { text: number[]; textBH: number[]; token: number[] }> = {};
    for (const seed of SEEDS) {
      const text: number[] = [];
      const textBH: number[] = [];
      const token: number[] = [];
      for (let c = 0; c < CORPORA; c++) {
        const layers = layersOf(deal(seed, c));
        const r = selectivity({ languages: labelNames, layers });
        text.push(r.details.length);
        textBH.push(selectivity({ languages: labelNames, layers }, { fdrProcedure: 'BH' }).details.length);
        token.push(tokenLevelFound(layers));
      }
      summary[`seed ${seed}`] = { text, textBH, token };
    }
    console.log('neurons found per random-label corpus (text-level test with BY, with BH | earlier token-level z-test):', JSON.stringify(summary));
    for (const [seed, { text, textBH }] of Object.entries(summary)) {
      for (const found of [text, textBH]) assert.ok(found.filter((n) => n === 0).length >= 9, `${seed}: neurons found in ${found.filter((n) => n > 0).length} of ${CORPORA} corpora: ${found.join(' ')}`);
    }
  });

  it('a random-label corpus captured and tested through the CLI gives what the dealt rows give', async () => {
    const labels = deal(SEEDS[0]!, 0);
    const jsonl = join(tmp, 'random.jsonl');
    writeFileSync(jsonl, labels.flatMap((ids, k) => ids.map((i) => JSON.stringify({ lang: labelNames[k], id: `${pool[i]!.lang}/${pool[i]!.id}`, text: pool[i]!.text }))).join('\n') + '\n');
    const db = join(tmp, 'random.db');
    await runCliJson(['capture', tinyModelDir, '--corpus', jsonl, '--db', db, '--device', 'cpu', '--pool', 'none']);
    const viaCli = await runCliJson(['lape', '--db', db, '--method', 'selectivity']);
    const dealt = selectivity({ languages: labelNames, layers: layersOf(labels) });
    assert.deepEqual(viaCli.neurons, dealt.neurons);
    assert.equal(viaCli.tests, dealt.tests);
    assert.deepEqual(Object.values(viaCli.units as Record<string, { groups: number; texts: number }>).map((u) => [u.groups, u.texts]), labelNames.map(() => [3, 3]));
    // The stored group counts are the texts' own, added per label.
    const store = openStore(db, { readonly: true });
    try {
      const run = store.findRun('capture')!;
      const l0 = store.readTextGroups(run.id, 0);
      labels.forEach((ids, k) => {
        const sum = (gs: readonly GroupCounts[]) => gs.reduce((a, g) => a + g.positiveCounts[7]!, 0);
        assert.equal(sum(l0[labelNames[k]!]!), sum(ids.map((i) => perText[0]![i]!)), `label ${labelNames[k]} neuron [0,7]`);
      });
    } finally {
      store.close();
    }
  });
});

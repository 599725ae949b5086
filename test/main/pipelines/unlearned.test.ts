/**
 * A checkpoint that has not learned a language gets its neurons for it flagged as meaningless (issue
 * 17), through the real path: the bundled English-only checkpoint and the final one capture the same
 * UDHR texts, LAPE runs on each, `compare` reads both.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, runCliJson } from '../../helpers/cli.js';
import { checkpointsDir, tinyModelDir } from '../../helpers/paths.js';

const CORPUS = 'udhr:eng,rus,cmn';
const UNIFORM = Math.log(3072); // tiny-babel's vocabulary

describe('unlearned languages: LAPE neurons flagged meaningless, in lape and compare', () => {
  let tmp: string;
  const db = (name: string) => join(tmp, `${name}.db`);
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-unlearned-'));
    // 03-final is the bundled model itself (assets/tiny-babel).
    for (const [ckpt, dir] of [['01-english', join(checkpointsDir, '01-english')], ['03-final', tinyModelDir]] as const) {
      await runCliJson(['capture', dir, '--corpus', CORPUS, '--max-texts-per-lang', '6', '--db', db(ckpt), '--device', 'cpu', '--pool', 'none']);
    }
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('the English-only checkpoint: rus and cmn worse than a uniform guess, flagged with a warning', async () => {
    const r = await runCli(['lape', '--db', db('01-english'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { unlearned: string[]; learnedCheck: { uniformNll: number; meanNll: Record<string, number>; vocabSize: number }; neurons: Record<string, unknown[]> };
    console.log('01-english learned check:', JSON.stringify(out.learnedCheck));
    assert.equal(out.learnedCheck.vocabSize, 3072);
    assert.ok(Math.abs(out.learnedCheck.uniformNll - UNIFORM) < 1e-12);
    assert.deepEqual(out.unlearned, ['cmn', 'rus']);
    for (const l of out.unlearned) assert.ok(out.learnedCheck.meanNll[l]! >= UNIFORM, l);
    assert.ok(out.learnedCheck.meanNll['eng']! < UNIFORM);
    assert.match(r.stderr, /warning: the model has not learned cmn \(mean NLL \d+\.\d\d ≥ ln \|V\| = 8\.03 nats\/token, a uniform guess\): its \d+ neurons are meaningless/);
    const table = await runCli(['lape', '--db', db('01-english')]);
    assert.match(table.stdout, /rus .*\(not learned: meaningless\)/);
  });

  it('the final checkpoint has learned all three; compare flags the early checkpoint and gives each overlap its chance level', async () => {
    const fin = await runCliJson(['lape', '--db', db('03-final')]);
    assert.deepEqual(fin.unlearned, []);
    const c = await runCliJson(['compare', '--db', db('01-english'), '--db', db('03-final')]);
    assert.deepEqual(c.learned, { cmn: [false, true], eng: [true, true], rus: [false, true] });
    assert.deepEqual(c.uniformNll.map((v: number) => Math.abs(v - UNIFORM) < 1e-12), [true, true]);
    const ch = c.jaccardChance.rus[0][1];
    const sizes = [c.neuronCounts.rus[0], c.neuronCounts.rus[1]];
    assert.match(ch.method, new RegExp(`random sets of ${sizes[0]} and ${sizes[1]} among 1024`));
    assert.ok(ch.low <= ch.expected && ch.expected <= ch.high);
    const text = await runCli(['compare', '--db', db('01-english'), '--db', db('03-final')]);
    assert.match(text.stdout, /! = not learned at that checkpoint/);
    assert.match(text.stdout, /random sets of the same sizes: expected \[2\.5–97\.5 %\]/);
  });
});

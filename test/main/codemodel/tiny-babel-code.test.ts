/**
 * The bundled code model (assets/tiny-babel-code, made by scripts/train_tiny_code_model.py): its
 * checkpoints open, its training log shows every language well below its unigram baseline, the
 * parallel programs cover every language, and LAPE on the held-out code split finds neurons for
 * every language through the real path (capture → SQLite → lape).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCliJson } from '../../helpers/cli.js';
import { CODE_LANGS, codeCheckpointDirs, codeModelDir, repoRoot } from '../../helpers/paths.js';

const heldout = join(codeModelDir, 'heldout.jsonl');
const programs = join(repoRoot, 'assets', 'code-parallel', 'programs.jsonl');

interface EvalRow {
  type: 'eval';
  checkpoint: string;
  step: number;
  langs: Record<string, { heldout_ppl: number; unigram_ppl: number; ratio: number }>;
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

describe('tiny-babel-code: checkpoints, training log, parallel programs', () => {
  it('babelscope inspect opens every checkpoint (4 layers, llama, same vocabulary)', async () => {
    for (const dir of codeCheckpointDirs) {
      const j = await runCliJson(['inspect', dir, '--device', 'cpu']);
      assert.equal(j.modelType, 'llama', dir);
      assert.equal(j.numLayers, 4, dir);
      assert.equal(j.taps.length, 2 * 4 + 1, dir);
    }
  });

  it('the training log has the four checkpoints in order, Python-only first, every language well below its unigram baseline at the end', () => {
    const rows = readJsonl<EvalRow | { type: 'meta'; checkpoints: string[]; languages: string[] }>(join(codeModelDir, 'training_log.jsonl'));
    const meta = rows[0] as { type: 'meta'; checkpoints: string[]; languages: string[]; steps_phase1: number };
    assert.deepEqual(meta.languages, [...CODE_LANGS]);
    const evals = rows.filter((r): r is EvalRow => r.type === 'eval');
    const ckpts = meta.checkpoints.map((c) => evals.find((r) => r.checkpoint === c)!);
    assert.deepEqual(ckpts.map((r) => r.checkpoint), ['01-python', '02-all-early', '03-all-mid', '04-all-late']);
    assert.equal(ckpts[0]!.step, meta.steps_phase1);
    for (let i = 1; i < ckpts.length; i++) assert.ok(ckpts[i]!.step > ckpts[i - 1]!.step);
    // After Python-only training, Python is the language the model knows best (relative to its baseline).
    const first = ckpts[0]!.langs;
    for (const l of CODE_LANGS) if (l !== 'python') assert.ok(first['python']!.ratio < first[l]!.ratio, `${l} at 01-python`);
    for (const l of CODE_LANGS) {
      const r = ckpts[3]!.langs[l]!;
      assert.ok(r.heldout_ppl < 0.5 * r.unigram_ppl, `${l}: held-out ppl ${r.heldout_ppl} vs unigram ${r.unigram_ppl}`);
    }
  });

  it('assets/ stays within 32 MB', () => {
    const mb = dirBytes(join(repoRoot, 'assets')) / 2 ** 20;
    assert.ok(mb <= 32, `assets/ is ${mb.toFixed(1)} MB`);
  });

  it('the parallel programs: at least 30 tasks, each written in every language of the model, ids shared', () => {
    const rows = readJsonl<{ lang: string; id: string; text: string }>(programs);
    const byId = new Map<string, Set<string>>();
    for (const r of rows) {
      assert.ok(r.text.trim().length > 0);
      const langs = byId.get(r.id) ?? new Set<string>();
      assert.ok(!langs.has(r.lang), `duplicate ${r.lang} for ${r.id}`);
      byId.set(r.id, langs.add(r.lang));
    }
    assert.ok(byId.size >= 30, `${byId.size} tasks`);
    for (const [id, langs] of byId) assert.deepEqual([...langs].sort(), [...CODE_LANGS].sort(), id);
  });
});

describe('LAPE on the held-out code split of tiny-babel-code', () => {
  let tmp: string;
  let db: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'babelscope-code-lape-'));
    db = join(tmp, 'code.db');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('captures every language of the held-out split and finds language-specific neurons for each', async () => {
    const texts = readJsonl<{ lang: string }>(heldout);
    const s = await runCliJson(['capture', codeModelDir, '--corpus', heldout, '--db', db, '--device', 'cpu']);
    assert.deepEqual([...s.languages].sort(), [...CODE_LANGS].sort());
    assert.equal(s.texts, texts.length);
    const r = await runCliJson(['lape', '--db', db, '--top-rate', '0.05']);
    console.log('code LAPE per layer:', JSON.stringify(r.per_layer));
    for (const l of CODE_LANGS) assert.ok(r.neurons[l].length > 0, `no neurons for ${l}: ${JSON.stringify(r.per_layer)}`);
  });
});

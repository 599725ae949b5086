import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignment, bootstrapRateInterval, pooledVectorsByLayer, type PooledVectorsByLayer } from '../../../src/main/analysis/alignment.js';
import { bootstrapMeanInterval } from '../../../src/shared/intervals.js';
import { mulberry32 } from '../../../src/shared/random.js';

const v = (...x: number[]) => Float32Array.from(x);
const texts = (entries: Record<string, Float32Array>) => new Map(Object.entries(entries));
const close = (a: number | null | undefined, b: number, msg?: string) => {
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-6, `${msg ?? ''} ${a} ≉ ${b}`);
};

// eng is the standard basis; fra moves from perfect alignment (layer 0) to a permutation (layer 1) to
// a partial match (layer 2).
const eng = texts({ t1: v(1, 0, 0), t2: v(0, 1, 0), t3: v(0, 0, 1) });
const layers: PooledVectorsByLayer = [
  new Map([
    ['eng', eng],
    // scaled copies: cosine ignores length
    ['fra', texts({ t1: v(2, 0, 0), t2: v(0, 3, 0), t3: v(0, 0, 0.5) })],
  ]),
  new Map([
    ['eng', eng],
    ['fra', texts({ t1: v(0, 1, 0), t2: v(0, 0, 1), t3: v(1, 0, 0) })],
  ]),
  new Map([
    ['eng', eng],
    // S (rows eng, cols fra) = [[1,0,0],[0,0,0],[0,1,1]]
    ['fra', texts({ t1: v(1, 0, 0), t2: v(0, 0, 1), t3: v(0, 0, 1) })],
  ]),
];

describe('alignment (MEXA)', () => {
  const r = alignment(layers, { pivot: 'eng' });
  const [E, F] = [0, 1];

  it('perfectly aligned layer: cosine 1, retrieval 1, MEXA 1', () => {
    const l = r.layers[0]!;
    close(l.meanCosine[E]![F], 1);
    assert.equal(l.retrieval[E]![F], 1);
    assert.equal(l.retrieval[F]![E], 1);
    assert.equal(l.mexa[E]![F], 1);
    assert.equal(l.sharedTexts[E]![F], 3);
  });

  it('permuted layer: cosine 0, retrieval 0, MEXA 0', () => {
    const l = r.layers[1]!;
    close(l.meanCosine[E]![F], 0);
    assert.equal(l.retrieval[E]![F], 0);
    assert.equal(l.mexa[F]![E], 0);
  });

  it('partial layer: ties are misses, retrieval is directional, MEXA needs row and column', () => {
    const l = r.layers[2]!;
    close(l.meanCosine[E]![F], 2 / 3);
    // eng→fra rows: t1 [1,0,0] hit; t2 [0,0,0] miss; t3 [0,1,1] tie → miss
    close(l.retrieval[E]![F], 1 / 3);
    // fra→eng columns: t1 [1,0,0] hit; t2 [0,0,1] miss; t3 [0,0,1] hit
    close(l.retrieval[F]![E], 2 / 3);
    close(l.mexa[E]![F], 1 / 3);
    assert.equal(l.mexa[E]![F], l.mexa[F]![E], 'MEXA is symmetric');
    // a language against itself
    close(l.meanCosine[F]![F], 1);
    close(l.mexa[F]![F], 1 / 3, 'fra t2 and t3 are the same vector: neither wins');
  });

  it('summarises over layers and against the pivot', () => {
    close(r.mexaSummary.mean[E]![F], (1 + 0 + 1 / 3) / 3);
    assert.equal(r.mexaSummary.max[E]![F], 1);
    assert.equal(r.mexaSummary.maxLayer[E]![F], 0);
    close(r.meanCosineSummary.mean[F]![E], (1 + 0 + 2 / 3) / 3);
    assert.equal(r.pivot!.pivot, 'eng');
    assert.deepEqual(r.pivot!.mexa['fra']!.slice(0, 2), [1, 0]);
    close(r.pivot!.mexa['fra']![2], 1 / 3);
    assert.equal(r.pivot!.max['fra'], 1);
    assert.equal(r.pivot!.maxLayer['fra'], 0);
    assert.deepEqual(r.languages, ['eng', 'fra']);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'serialises to JSON unchanged');
  });

  it('retrieval searches all texts of the other language; MEXA only the shared ones', () => {
    const res = alignment([
      new Map([
        // eng t4 has no French counterpart but is the best match for fra t1
        ['eng', texts({ t1: v(1, 0.2, 0), t2: v(0, 1, 0), t4: v(1, 0, 0) })],
        ['fra', texts({ t1: v(1, 0, 0), t2: v(0, 1, 0), t3: v(0, 0, 1) })],
      ]),
    ]);
    const l = res.layers[0]!;
    assert.equal(l.sharedTexts[0]![1], 2);
    assert.equal(l.retrieval[1]![0], 1 / 2, 'fra t1 retrieves eng t4, a miss');
    assert.equal(l.retrieval[0]![1], 1);
    assert.equal(l.mexa[0]![1], 1);
  });

  it('gives null where languages share no text or a language is missing, 0 for zero vectors', () => {
    const res = alignment(
      [
        new Map([
          ['eng', texts({ a: v(1, 0), b: v(0, 0) })],
          ['deu', texts({ c: v(1, 0) })],
          ['fra', texts({ a: v(1, 0), b: v(1, 1) })],
        ]),
        new Map([['eng', texts({ a: v(1, 0) })]]),
      ],
      { languages: ['eng', 'deu', 'fra'] },
    );
    const l0 = res.layers[0]!;
    assert.equal(l0.meanCosine[0]![1], null);
    assert.equal(l0.mexa[0]![1], null);
    close(l0.meanCosine[0]![2], 0.5, 'cos(a)=1, cos with the zero vector b = 0');
    assert.equal(res.layers[1]!.mexa[0]![2], null);
    assert.equal(res.layers[1]!.mexa[0]![0], 1, 'a single text has nothing to beat');
    assert.equal(res.mexaSummary.mean[0]![1], null);
  });

  it('groups store rows by layer, language and key', () => {
    const rows = [
      { layer: 1, lang: 'eng', key: 'a', mean: v(1, 0), last: v(0, 1) },
      { layer: 0, lang: 'fra', key: 'a', mean: v(2, 0), last: v(0, 2) },
      { layer: 1, lang: 'fra', key: 'a', mean: v(3, 0), last: v(0, 3) },
    ];
    const last = pooledVectorsByLayer(rows, 'last');
    assert.equal(last.length, 2);
    assert.deepEqual(last[1]!.get('fra')!.get('a'), v(0, 3));
    assert.deepEqual(pooledVectorsByLayer(rows, 'mean')[0]!.get('fra')!.get('a'), v(2, 0));
    assert.equal(last[0]!.get('eng'), undefined);
    assert.throws(() => pooledVectorsByLayer([rows[0]!, rows[0]!], 'mean'), /appears twice/);
  });

  it('rejects an unknown pivot and mismatched vector sizes', () => {
    assert.throws(() => alignment(layers, { pivot: 'kor' }), /pivot kor/);
    assert.throws(
      () => alignment([new Map([['eng', texts({ a: v(1, 0), b: v(1, 0, 0) })], ['deu', texts({ a: v(1, 0) })]])]),
      /dimensions/,
    );
  });

  it('gives retrieval and MEXA a permutation chance level with its band, and mean cosine the non-translation cosine', () => {
    // Layer 0 is S = I: under a shuffled pairing a text hits exactly when the shuffle leaves it in
    // place, so both chance levels are E[fixed points]/n = 1/3, and the 2.5–97.5 % band runs from 0
    // (no fixed point) to 1 (the identity, 1 shuffle in 6).
    const l0 = r.layers[0]!;
    for (const m of [l0.chance.mexa, l0.chance.retrieval]) assert.ok(Math.abs(m[E]![F]! - 1 / 3) < 0.07, `${m[E]![F]}`);
    assert.deepEqual([l0.chanceBand.mexa[E]![F]!.low, l0.chanceBand.mexa[E]![F]!.high], [0, 1]);
    assert.match(l0.chanceBand.mexa[E]![F]!.method, /permutation \(200 shuffles of the pairing, seed 1\)/);
    assert.equal(l0.chanceBand.mexa[F]![E], l0.chanceBand.mexa[E]![F], 'MEXA is symmetric, so is its band');
    assert.deepEqual(r.chanceMethod, { permutations: 200, seed: 1, bootstrapResamples: 2000 });
    // layer 1 (permutation): off-diagonal S over the 3 shared ids holds three 1s among six entries
    close(r.layers[1]!.chance.meanCosine[E]![F], 3 / 6);
    close(r.layers[0]!.chance.meanCosine[E]![F], 0);
    // layer 2: S = [[1,0,0],[0,0,0],[0,1,1]], off-diagonal entries 0,0,0,0,0,1
    close(r.layers[2]!.chance.meanCosine[E]![F], 1 / 6);
    // against the pivot, per layer
    assert.equal(r.pivot!.chanceMexa['fra'], r.layers[2]!.chance.mexa[F]![E]);
    assert.deepEqual(r.pivot!.chanceMexaByLayer['fra'], r.layers.map((l) => l.chance.mexa[F]![E]));
    assert.deepEqual(r.pivot!.retrieval['fra'], [1, 0, 2 / 3]);
    assert.deepEqual(r.pivot!.chanceRetrieval['fra'], r.layers.map((l) => l.chance.retrieval[F]![E]));
    assert.deepEqual(r.pivot!.retrievalChanceBand['fra'], r.layers.map((l) => l.chanceBand.retrieval[F]![E]));
    close(r.pivot!.nonParallelCosine['fra']![1], 0.5);
    close(r.pivot!.meanCosine['fra']![2], 2 / 3);
    // seeded: the same numbers again, other ones with another seed
    assert.deepEqual(alignment(layers, { pivot: 'eng' }).layers, r.layers);
    assert.notDeepEqual(alignment(layers, { pivot: 'eng', seed: 7 }).layers.map((l) => l.chance.mexa), r.layers.map((l) => l.chance.mexa));
    assert.throws(() => alignment(layers, { permutations: 50 }), /permutations must be an integer ≥ 100/);
  });

  it('permutation chance on anisotropic vectors with no alignment: near 1/(2n−1) but not it, and the score inside the band', () => {
    // n = 35 texts around one large common direction, translations unrelated to each other
    const rand = mulberry32(3);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const mu = Array.from({ length: 16 }, () => 4 * gauss());
    const lang = () => texts(Object.fromEntries(Array.from({ length: 35 }, (_, i) => [`t${i}`, Float32Array.from(mu, (m) => m + gauss())])));
    const l = alignment([new Map([['eng', lang()], ['deu', lang()]])]).layers[0]!;
    const chance = l.chance.mexa[0]![1]!;
    const band = l.chanceBand.mexa[0]![1]!;
    assert.ok(chance > 0 && chance < 0.06, `${chance}`);
    assert.ok(band.low <= l.mexa[0]![1]! && l.mexa[0]![1]! <= band.high, `MEXA ${l.mexa[0]![1]} outside [${band.low}, ${band.high}]`);
    assert.ok(band.low <= chance && chance <= band.high);
  });

  it('gives retrieval and MEXA a 95 % bootstrap interval over texts', () => {
    const l = r.layers[2]!;
    const iv = l.intervals.retrieval[F]![E]!;
    assert.match(iv.method, /bootstrap-percentile \(2000 resamples over texts\)/);
    assert.ok(iv.low <= 2 / 3 && 2 / 3 <= iv.high && iv.low >= 0 && iv.high <= 1);
    // all hits: nothing to resample away
    assert.deepEqual([r.layers[0]!.intervals.mexa[E]![F]!.low, r.layers[0]!.intervals.mexa[E]![F]!.high], [1, 1]);
    // drawing the hit count from Binomial(n, p̂) is the bootstrap of the n hit indicators
    for (const [hits, n] of [[10, 35], [1, 12], [90, 100]] as const) {
      const fast = bootstrapRateInterval(hits, n, { resamples: 20000, seed: 2 });
      const plain = bootstrapMeanInterval(Array.from({ length: n }, (_, i) => (i < hits ? 1 : 0)), { resamples: 20000, seed: 5 });
      assert.ok(Math.abs(fast.low - plain.low) <= 1 / n + 1e-9 && Math.abs(fast.high - plain.high) <= 1 / n + 1e-9, `${hits}/${n}: [${fast.low}, ${fast.high}] vs [${plain.low}, ${plain.high}]`);
    }
  });

  it('needs at least two languages (one would score MEXA 1.00)', () => {
    assert.throws(() => alignment([new Map([['eng', texts({ a: v(1, 0), b: v(0, 1) })]])]), /at least two languages, got 1 \(eng\)/);
  });
});

/** alignmentLines: MEXA per layer with its 95 % interval and the permutation chance band, drawn by default. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignment } from '../../../src/main/analysis/alignment.js';
import { alignmentLines, layerLines } from '../../../src/shared/plots/index.js';

const v = (...x: number[]) => Float32Array.from(x);
const texts = (e: Record<string, Float32Array>) => new Map(Object.entries(e));
const eng = texts({ a: v(1, 0, 0), b: v(0, 1, 0), c: v(0, 0, 1), d: v(1, 1, 0) });
const result = alignment(
  [
    new Map([['eng', eng], ['deu', texts({ a: v(1, 0.1, 0), b: v(0, 1, 0.1), c: v(0.1, 0, 1), d: v(1, 0.9, 0) })]]),
    new Map([['eng', eng], ['deu', texts({ a: v(0, 1, 0), b: v(1, 0, 0), c: v(0, 0, 1), d: v(0, 0, 1) })]]),
  ],
  { pivot: 'eng' },
);

describe('alignmentLines', () => {
  it('draws each language with its interval band and the chance level with its band, by default', () => {
    const f = alignmentLines({ result: { ...result, layerIndexing: 'hidden_states' } });
    assert.deepEqual(JSON.parse(JSON.stringify(f)), f);
    assert.deepEqual(
      f.data.map((t) => t.name),
      ['deu (lower)', 'deu (upper)', 'deu', 'chance (shuffled pairing, 2.5–97.5 %) (lower)', 'chance (shuffled pairing, 2.5–97.5 %) (upper)', 'chance (shuffled pairing, 2.5–97.5 %)'],
    );
    const iv = result.pivot!.mexaInterval['deu']!;
    assert.deepEqual(f.data[0]!['y'], iv.map((x) => x!.low));
    assert.deepEqual(f.data[1]!['y'], iv.map((x) => x!.high));
    assert.deepEqual(f.data[2]!['y'], result.pivot!.mexa['deu']);
    assert.deepEqual(f.data[4]!['y'], result.pivot!.mexaChanceBand['deu']!.map((x) => x!.high));
    assert.deepEqual(f.data[5]!['y'], result.pivot!.chanceMexaByLayer['deu'], 'the chance line follows the layers');
    assert.match((f.layout['xaxis'] as { title: { text: string } }).title.text, /hidden_states: 0 = embedding output/);
  });

  it('retrieval, and either part off on request', () => {
    const r = alignmentLines({ result, metric: 'retrieval', intervals: false, chance: false });
    assert.deepEqual(r.data.map((t) => [t.name, t['y']]), [['deu', result.pivot!.retrieval['deu']]]);
  });

  it('a single chance value still draws a flat line (layerLines)', () => {
    const f = layerLines({ series: [{ name: 'x', values: [1, 2] }], yTitle: 'y (unit)', chance: { value: 0.5 } });
    assert.deepEqual(f.data.at(-1)!['y'], [0.5, 0.5]);
  });
});

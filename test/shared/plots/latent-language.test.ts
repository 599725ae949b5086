/** The latent-language figure: two probability lines with their bands, entropy on a right axis. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latentLanguageLines, OKABE_ITO } from '../../../src/shared/plots/index.js';

const band = (m: number[], d: number) => ({ mean: m, interval: m.map((v) => ({ low: v - d, high: v + d })), normalInterval: m.map((v) => ({ low: v - 2 * d, high: v + 2 * d })) });

describe('latentLanguageLines', () => {
  const input = { task: 'translation', from: 'fra', to: 'cmn', latent: 'eng', summary: { target: band([0.1, 0.2, 0.6], 0.05), latent: band([0.05, 0.3, 0.1], 0.02), entropy: band([10, 8, 3], 0.5) } };

  it('draws target and latent with 95 % bands, and the entropy on a second axis', () => {
    const f = latentLanguageLines(input);
    assert.deepEqual(JSON.parse(JSON.stringify(f)), f);
    assert.deepEqual(f.data.map((t) => t.name), ['cmn (lower)', 'cmn (upper)', 'cmn', 'eng (lower)', 'eng (upper)', 'eng', 'entropy (bits)']);
    assert.deepEqual(f.data[0]!['y'], input.summary.target.interval.map((i) => i.low));
    assert.deepEqual(f.data[4]!['y'], input.summary.latent.interval.map((i) => i.high));
    assert.deepEqual(f.data[2]!['y'], [0.1, 0.2, 0.6]);
    assert.equal((f.data[5]!['line'] as { color: string }).color, OKABE_ITO[1]);
    assert.equal(f.data[6]!['yaxis'], 'y2');
    assert.equal(((f.layout['yaxis2'] as { title: { text: string } }).title.text), 'entropy (bits)');
    assert.deepEqual((f.layout['yaxis'] as { range: number[] }).range, [0, 1]);
    assert.match((f.layout['title'] as { text: string }).text, /fra → cmn/);
  });

  it('the paper\'s normal band on request; entropy can be left out', () => {
    const f = latentLanguageLines({ ...input, band: 'normal', entropy: false });
    assert.deepEqual(f.data[1]!['y'], input.summary.target.normalInterval.map((i) => i.high));
    assert.equal(f.data.length, 6);
    assert.equal(f.layout['yaxis2'], undefined);
  });
});

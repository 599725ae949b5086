import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareCheckpoints, jaccard } from '../../../src/main/analysis/checkpoints.js';
import { LAPE_DEFAULTS, type LapeResult, type NeuronRef } from '../../../src/main/analysis/lape.js';
import type { WorkingLanguageResult } from '../../../src/main/analysis/working-language.js';

/** A LAPE result by hand (2 layers). */
function lapeResult(neurons: Record<string, NeuronRef[]>): LapeResult {
  const perLayer: Record<string, number[]> = {};
  for (const [lang, refs] of Object.entries(neurons)) {
    perLayer[lang] = [0, 0];
    for (const [l] of refs) perLayer[lang]![l]!++;
  }
  return {
    languages: Object.keys(neurons),
    neurons,
    perLayer,
    options: { ...LAPE_DEFAULTS },
    thresholds: { filter: 0.5, activationBar: 0.5 },
    selected: Object.values(neurons).flat(),
    neuronsPerLayer: [10, 10],
  };
}

function working(top1Eng: number[]): WorkingLanguageResult {
  return {
    labels: ['eng', 'shared'],
    numLayers: top1Eng.length,
    overall: {
      positions: top1Eng.map(() => 10),
      massPositions: top1Eng.map(() => 0),
      top1Share: { eng: top1Eng, shared: top1Eng.map((x) => 1 - x) },
      meanMass: { eng: top1Eng.map(() => 0), shared: top1Eng.map(() => 0) },
    },
    byTextLanguage: {},
  };
}

describe('jaccard', () => {
  it('is |A∩B| / |A∪B|, 1 for two empty sets', () => {
    assert.equal(jaccard(new Set([1, 2, 3]), new Set([2, 3, 4, 5])), 2 / 5);
    assert.equal(jaccard(new Set(), new Set()), 1);
    assert.equal(jaccard(new Set([1]), new Set()), 0);
  });
});

describe('compareCheckpoints', () => {
  const r = compareCheckpoints([
    {
      name: 'step-1000',
      lape: lapeResult({ eng: [[0, 1], [0, 2], [1, 3]], rus: [[1, 5]] }),
      nll: { eng: 3.5, rus: 4.5 },
      workingLanguage: working([1, 0.5]),
    },
    {
      name: 'step-2000',
      lape: lapeResult({ eng: [[0, 1], [1, 3], [1, 4]], rus: [] }),
      nll: { eng: 3.0 },
    },
    {
      name: 'step-3000',
      lape: lapeResult({ eng: [[0, 1], [0, 2], [1, 3]], rus: [], cmn: [[0, 9]] }),
      nll: { eng: 2.8, rus: 3.9, cmn: 5 },
      workingLanguage: working([0.8, 0.2]),
    },
  ]);

  it('gives the Jaccard overlap of each language between every pair of checkpoints', () => {
    assert.deepEqual(r.checkpoints, ['step-1000', 'step-2000', 'step-3000']);
    assert.deepEqual(r.languages, ['eng', 'rus', 'cmn']);
    // eng: {01,02,13} vs {01,13,14}: 2/4; vs itself at 3000: 1
    assert.deepEqual(r.jaccard['eng'], [
      [1, 0.5, 1],
      [0.5, 1, 0.5],
      [1, 0.5, 1],
    ]);
    assert.deepEqual(r.jaccard['rus'], [
      [1, 0, 0],
      [0, 1, 1],
      [0, 1, 1],
    ]);
    assert.deepEqual(r.jaccard['cmn'], [
      [null, null, null],
      [null, null, null],
      [null, null, 1],
    ]);
  });

  it('counts neurons per checkpoint and per layer', () => {
    assert.deepEqual(r.neuronCounts, { eng: [3, 3, 3], rus: [1, 0, 0], cmn: [null, null, 1] });
    assert.deepEqual(r.perLayer['eng'], [
      [2, 1],
      [1, 2],
      [2, 1],
    ]);
    assert.deepEqual(r.perLayer['cmn'], [null, null, [1, 0]]);
  });

  it('tabulates mean NLL and working language per checkpoint', () => {
    assert.deepEqual(r.nllLanguages, ['eng', 'rus', 'cmn']);
    assert.deepEqual(r.nll, { eng: [3.5, 3.0, 2.8], rus: [4.5, null, 3.9], cmn: [null, null, 5] });
    assert.deepEqual(r.workingTop1['eng'], [[1, 0.5], null, [0.8, 0.2]]);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'serialises to JSON unchanged');
  });

  it('rejects duplicate checkpoint names', () => {
    const l = lapeResult({ eng: [] });
    assert.throws(
      () =>
        compareCheckpoints([
          { name: 'a', lape: l },
          { name: 'a', lape: l },
        ]),
      /distinct/,
    );
  });
});

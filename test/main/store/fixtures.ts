import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NeuronCounts } from '../../../src/main/store/types.js';
import type { AblationMatrix, LapeResult } from '../../../src/shared/result-types.js';

export const modelA = { dir: '/models/tiny-a', hash: 'a1'.repeat(32) };
export const modelB = { dir: '/models/tiny-b', hash: 'b2'.repeat(32) };

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'babelscope-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic statistics one text contributes, so a test can predict stored sums from done marks. */
export function countsOfText(textId: number, width: number): NeuronCounts {
  const positiveCounts = new Float64Array(width);
  const sums = new Float64Array(width);
  const sumSquares = new Float64Array(width);
  for (let j = 0; j < width; j++) {
    positiveCounts[j] = (textId + j) % 3;
    sums[j] = textId * 0.5 + j;
    sumSquares[j] = textId + j * j;
  }
  return { tokens: (textId % 5) + 1, positiveCounts, sums, sumSquares };
}

/** The sum of `countsOfText` over texts. */
export function expectedCounts(textIds: Iterable<number>, width: number): NeuronCounts {
  const total: NeuronCounts = { tokens: 0, positiveCounts: new Float64Array(width), sums: new Float64Array(width), sumSquares: new Float64Array(width) };
  for (const id of textIds) {
    const c = countsOfText(id, width);
    total.tokens += c.tokens;
    for (let j = 0; j < width; j++) {
      total.positiveCounts[j]! += c.positiveCounts[j]!;
      total.sums[j]! += c.sums[j]!;
      total.sumSquares[j]! += c.sumSquares[j]!;
    }
  }
  return total;
}

/** A small LAPE result made with this top rate (one eng neuron), for storing. */
export function lapeOf(topRate: number): LapeResult {
  return {
    languages: ['eng', 'rus'],
    neurons: { eng: [[0, 1]], rus: [] },
    perLayer: { eng: [1, 0], rus: [0, 0] },
    options: { topRate, filterRate: 0.95, activationBarRatio: 0.95, activationBarOver: 'all' },
    thresholds: { filter: 0.5, activationBar: 0.6 },
    selected: [[0, 1]],
    neuronsPerLayer: [1, 0],
  };
}

/** A one-language ablation matrix, for storing. */
export function ablationOf(): AblationMatrix {
  return {
    deactivated: ['eng'],
    evaluated: ['eng'],
    baseline: [2],
    nll: [[2.5]],
    delta: [[0.5]],
    randomDelta: null,
    randomDraws: 0,
    diagonal: { eng: { delta: 0.5, isRowMax: null, isColumnMax: null, rowMargin: null, columnMargin: null, randomDelta: null, excessOverRandom: null } },
    rowMaxCount: 0,
    columnMaxCount: 0,
    diagonalSize: 1,
  };
}

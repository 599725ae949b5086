/** Blocked, layer-by-layer alignment against a direct float64 count over the whole similarity matrix. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignment, alignmentByLayer, type PooledLayer } from '../../../src/main/analysis/alignment.js';
import { mulberry32 } from './prng.js';

/** Translations are noisy copies of one shared vector per id, so retrieval and MEXA are neither 0 nor 1. */
function syntheticLayer(seed: number, dim: number, sizes: Record<string, number>, shared: number, noise: number): Map<string, Map<string, Float32Array>> {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const base = Array.from({ length: shared }, () => Float32Array.from({ length: dim }, gauss));
  const layer = new Map<string, Map<string, Float32Array>>();
  for (const [lang, n] of Object.entries(sizes)) {
    const texts = new Map<string, Float32Array>();
    for (let i = 0; i < n; i++) {
      // the first `shared` ids are parallel; the rest are this language's own texts
      const v = i < shared ? base[i]!.map((x) => x + noise * gauss()) : Float32Array.from({ length: dim }, gauss);
      texts.set(i < shared ? `t${i}` : `${lang}-own${i}`, v);
    }
    layer.set(lang, texts);
  }
  return layer;
}

/** The definitions of alignment.ts, computed directly in float64 over the full matrix. */
function reference(a: Map<string, Float32Array>, b: Map<string, Float32Array>) {
  const unit = (v: Float32Array) => {
    const n = Math.hypot(...v);
    return Array.from(v, (x) => (n > 0 ? x / n : 0));
  };
  const A = [...a].map(([id, v]) => [id, unit(v)] as const);
  const B = [...b].map(([id, v]) => [id, unit(v)] as const);
  const cos = (x: number[], y: number[]) => x.reduce((s, xi, d) => s + xi * y[d]!, 0);
  const S = A.map(([, x]) => B.map(([, y]) => cos(x, y)));
  const pairs = A.flatMap(([id], i) => B.flatMap(([id2], j) => (id === id2 ? [[i, j] as const] : [])));
  let ab = 0;
  let ba = 0;
  let mexa = 0;
  let sum = 0;
  for (const [i, j] of pairs) {
    const d = S[i]![j]!;
    sum += d;
    if (S[i]!.every((s, jj) => jj === j || d > s)) ab++;
    if (S.every((row, ii) => ii === i || d > row[j]!)) ba++;
    if (pairs.every(([i2, j2]) => (i2 === i ? true : d > S[i]![j2]! && d > S[i2]![j]!))) mexa++;
  }
  const n = pairs.length;
  return { meanCosine: sum / n, ab: ab / n, ba: ba / n, mexa: mexa / n };
}

describe('blocked alignment', () => {
  it('equals the direct float64 definitions, over several row blocks (1100 × 1000 texts)', () => {
    // 1100 × 1000 similarities: more than one 2^20-element block.
    const layer = syntheticLayer(7, 16, { eng: 1100, fra: 1000 }, 900, 0.8);
    const r = alignment([layer], { pivot: 'eng' });
    const ref = reference(layer.get('eng')!, layer.get('fra')!);
    const l = r.layers[0]!;
    assert.ok(Math.abs(l.meanCosine[0]![1]! - ref.meanCosine) < 1e-6);
    assert.equal(l.retrieval[0]![1], ref.ab);
    assert.equal(l.retrieval[1]![0], ref.ba);
    assert.equal(l.mexa[0]![1], ref.mexa);
    assert.ok(ref.mexa > 0.05 && ref.mexa < 0.95 && ref.ab > 0.05 && ref.ab < 0.95, `an informative case: MEXA ${ref.mexa}, retrieval ${ref.ab}`);
    assert.equal(l.sharedTexts[0]![1], 900);
  });

  it('layer by layer, with any (async) kernel, gives what the in-memory alignment gives', async () => {
    const layers = [0, 1, 2].map((l) => syntheticLayer(100 + l, 16, { eng: 60, deu: 50, cmn: 40 }, 35, 0.5 + l));
    const direct = alignment(layers, { pivot: 'eng', languages: ['eng', 'deu', 'cmn'] });
    let calls = 0;
    async function* stream(): AsyncGenerator<PooledLayer> {
      for (const [layer, texts] of layers.entries()) if (layer !== 1) yield { layer, texts };
    }
    const byLayer = await alignmentByLayer(stream(), {
      languages: ['eng', 'deu', 'cmn'],
      pivot: 'eng',
      kernel: async (a, m, b, n, dim) => {
        calls++;
        const out = new Float32Array(m * n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let d = 0; d < dim; d++) out[i * n + j]! += a[i * dim + d]! * b[j * dim + d]!;
        return out;
      },
    });
    assert.equal(calls, 2 * 6, 'six language pairs (with themselves) per layer, one block each');
    assert.deepEqual(byLayer.layers.map((l) => l.layer), [0, 2], 'layers keep their model index');
    for (const [k, l] of byLayer.layers.entries()) {
      const d = direct.layers[l.layer]!;
      assert.deepEqual(l.mexa, d.mexa);
      assert.deepEqual(l.retrieval, d.retrieval);
      l.meanCosine.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v! - d.meanCosine[i]![j]!) < 1e-6, `layer ${k}`)));
    }
    const best = byLayer.pivot!.maxLayer['deu'];
    assert.ok(best === 0 || best === 2, 'the summary names model layers');
  });
});

/**
 * MEXA and retrieval against MEXA's own reference code: the embeddings and the numbers in
 * test/fixtures/mexa-reference.json come from scripts/make_mexa_reference.py, which runs cisnlp/MEXA's
 * compute_mexa.py (scripts/third_party/mexa) on them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { alignment, type PooledVectorsByLayer } from '../../../src/main/analysis/alignment.js';
import { createSimilarityKernel } from '../../../src/main/model/similarity-kernel.js';
import { alignmentByLayer } from '../../../src/main/analysis/alignment.js';
import { fixturesDir } from '../../helpers/paths.js';

interface MexaFixture {
  pivot: string;
  languages: string[];
  n: number;
  layers: number;
  dim: number;
  embeddings: Record<string, string[]>;
  mexa: Record<string, number[]>;
  retrievalToPivot: Record<string, number[]>;
  retrievalFromPivot: Record<string, number[]>;
  minMargin: number;
}

const fx = JSON.parse(readFileSync(join(fixturesDir, 'mexa-reference.json'), 'utf8')) as MexaFixture;

function vectors(): PooledVectorsByLayer {
  return Array.from({ length: fx.layers }, (_, layer) => {
    const byLang = new Map<string, Map<string, Float32Array>>();
    for (const lang of fx.languages) {
      const b = Buffer.from(fx.embeddings[lang]![layer]!, 'base64');
      const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      byLang.set(lang, new Map(Array.from({ length: fx.n }, (_, i) => [String(i + 1), all.subarray(i * fx.dim, (i + 1) * fx.dim)])));
    }
    return byLang;
  });
}

function assertMatchesReference(r: ReturnType<typeof alignment>): void {
  const p = r.pivot!;
  for (const lang of fx.languages) {
    for (let l = 0; l < fx.layers; l++) {
      const at = `${lang}, layer ${l}`;
      assert.ok(Math.abs(p.mexa[lang]![l]! - fx.mexa[lang]![l]!) <= 1e-6, `MEXA ${at}: ${p.mexa[lang]![l]} vs compute_mexa.py ${fx.mexa[lang]![l]}`);
      // p.retrieval[lang]: from lang's texts to the pivot's (a column of compute_mexa's pivot × lang matrix)
      assert.ok(Math.abs(p.retrieval[lang]![l]! - fx.retrievalToPivot[lang]![l]!) <= 1e-6, `retrieval ${at} → pivot`);
      const pi = r.languages.indexOf(fx.pivot);
      const li = r.languages.indexOf(lang);
      assert.ok(Math.abs(r.layers[l]!.retrieval[pi]![li]! - fx.retrievalFromPivot[lang]![l]!) <= 1e-6, `retrieval pivot → ${at}`);
    }
  }
}

describe('MEXA and retrieval equal cisnlp/MEXA compute_mexa.py on the same embeddings', () => {
  it('the fixture is one float32 cannot flip: every diagonal is 1e-5 or more from its best rival', () => {
    assert.ok(fx.minMargin > 5e-6, `margin ${fx.minMargin}`);
    // and it is not trivial: scores run from 0 to near 1
    const all = fx.languages.filter((l) => l !== fx.pivot).flatMap((l) => fx.mexa[l]!);
    assert.ok(Math.min(...all) === 0 && Math.max(...all) > 0.9);
  });

  it('with the float32 JS kernel, to 1e-6', () => {
    assertMatchesReference(alignment(vectors(), { pivot: fx.pivot }));
  });

  it("with onnxruntime's Gemm kernel (what align uses), to 1e-6", async () => {
    const kernel = await createSimilarityKernel('cpu', () => {});
    try {
      const layers = vectors().map((texts, layer) => ({ layer, texts }));
      assertMatchesReference(await alignmentByLayer(layers, { languages: fx.languages, pivot: fx.pivot, kernel: kernel.run }));
    } finally {
      await kernel.dispose();
    }
  });
});

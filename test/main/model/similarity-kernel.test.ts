import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignment, jsSimilarityKernel } from '../../../src/main/analysis/alignment.js';
import { createSimilarityKernel } from '../../../src/main/model/similarity-kernel.js';
import { mulberry32 } from '../analysis/prng.js';

test('the onnxruntime Gemm kernel computes A·Bᵀ as the JS kernel does', async () => {
  const rand = mulberry32(3);
  const [m, n, dim] = [37, 53, 129];
  const a = Float32Array.from({ length: m * dim }, () => rand() - 0.5);
  const b = Float32Array.from({ length: n * dim }, () => rand() - 0.5);
  const kernel = await createSimilarityKernel('cpu');
  try {
    assert.equal(kernel.device, 'cpu');
    const got = await kernel.run(a, m, b, n, dim);
    const want = jsSimilarityKernel(a, m, b, n, dim);
    assert.equal(got.length, m * n);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-5, `${i}: ${got[i]} vs ${want[i]}`);
    assert.deepEqual(await kernel.run(a, 0, b, n, dim), new Float32Array(0));
    // a subarray view (one row block) is fed without copying the rest
    const block = await kernel.run(a.subarray(dim * 5, dim * 9), 4, b, n, dim);
    assert.ok(Math.abs(block[0]! - want[5 * n]!) < 1e-5);
  } finally {
    await kernel.dispose();
  }
});

test('alignment with the onnx kernel gives the JS kernel\'s scores', async () => {
  const rand = mulberry32(11);
  const vec = () => Float32Array.from({ length: 24 }, () => rand() - 0.5);
  const base = Array.from({ length: 30 }, vec);
  const noisy = (v: Float32Array) => v.map((x) => x + 0.6 * (rand() - 0.5));
  const layer = new Map([
    ['eng', new Map(base.map((v, i) => [`t${i}`, noisy(v)]))],
    ['fra', new Map(base.map((v, i) => [`t${i}`, noisy(v)]))],
  ]);
  const kernel = await createSimilarityKernel('cpu');
  try {
    const { alignmentByLayer } = await import('../../../src/main/analysis/alignment.js');
    const onnx = await alignmentByLayer([{ layer: 0, texts: layer }], { languages: ['eng', 'fra'], kernel: kernel.run });
    const js = alignment([layer], { languages: ['eng', 'fra'] });
    assert.deepEqual(onnx.layers[0]!.mexa, js.layers[0]!.mexa);
    assert.deepEqual(onnx.layers[0]!.retrieval, js.layers[0]!.retrieval);
  } finally {
    await kernel.dispose();
  }
});

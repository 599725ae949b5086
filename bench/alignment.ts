/**
 * Alignment (MEXA) speed: the float64 single-threaded JS of before this change (kept here as the
 * baseline), the blocked float32 JS kernel, and onnxruntime's Gemm, on the same synthetic pooled
 * vectors, side by side; then the onnx kernel alone at 8 B scale (4096 dims, 1000 texts per language).
 * Run standalone with `node dist/bench/alignment.js`.
 */
import { pathToFileURL } from 'node:url';
import { alignment, alignmentByLayer, type PooledVectorsByLayer } from '../src/main/analysis/alignment.js';
import { createSimilarityKernel } from '../src/main/model/similarity-kernel.js';
import { mulberry32 } from '../src/shared/random.js';

function synthetic(seed: number, layers: number, langs: number, texts: number, dim: number): PooledVectorsByLayer {
  const rand = mulberry32(seed);
  return Array.from({ length: layers }, () => {
    const base = Array.from({ length: texts }, () => Float32Array.from({ length: dim }, () => rand() - 0.5));
    return new Map(
      Array.from({ length: langs }, (_, l) => [`l${l}`, new Map(base.map((v, i) => [`t${i}`, v.map((x) => x + 0.8 * (rand() - 0.5))]))] as const),
    );
  });
}

/** The previous implementation's arithmetic: float64 unit rows, the full |a| × |b| matrix, per-pair rescans. */
function float64Baseline(layers: PooledVectorsByLayer): number {
  let checksum = 0;
  for (const layer of layers) {
    const units = [...layer.values()].map((texts) => {
      const ids = [...texts.keys()];
      const dim = texts.get(ids[0]!)!.length;
      const rows = new Float64Array(ids.length * dim);
      ids.forEach((id, i) => {
        const v = texts.get(id)!;
        let ss = 0;
        for (let d = 0; d < dim; d++) ss += v[d]! * v[d]!;
        for (let d = 0; d < dim; d++) rows[i * dim + d] = v[d]! / Math.sqrt(ss);
      });
      return { n: ids.length, dim, rows };
    });
    for (let a = 0; a < units.length; a++) {
      for (let b = a; b < units.length; b++) {
        const A = units[a]!;
        const B = units[b]!;
        const S = new Float64Array(A.n * B.n);
        for (let i = 0; i < A.n; i++) {
          for (let j = 0; j < B.n; j++) {
            let dot = 0;
            for (let d = 0; d < A.dim; d++) dot += A.rows[i * A.dim + d]! * B.rows[j * A.dim + d]!;
            S[i * B.n + j] = dot;
          }
        }
        let hits = 0;
        for (let i = 0; i < A.n; i++) {
          let best = true;
          for (let j = 0; j < B.n && best; j++) if (j !== i && !(S[i * B.n + i]! > S[i * B.n + j]!)) best = false;
          for (let k = 0; k < A.n && best; k++) if (k !== i && !(S[i * B.n + i]! > S[k * B.n + i]!)) best = false;
          if (best) hits++;
        }
        checksum += hits;
      }
    }
  }
  return checksum;
}

async function timed(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function benchAlignment(): Promise<Record<string, number | string>> {
  const [L, langs, texts, dim] = [2, 4, 300, 1024];
  const data = synthetic(1, L, langs, texts, dim);
  const kernel = await createSimilarityKernel('cpu');
  try {
    const runOnnx = () => alignmentByLayer(data.map((texts, layer) => ({ layer, texts })), { languages: [...data[0]!.keys()], kernel: kernel.run });
    await runOnnx(); // warm-up: session threads
    const before = await timed(() => float64Baseline(data));
    const js = await timed(() => alignment(data));
    const onnx = await timed(runOnnx);
    const scale = synthetic(2, 1, 10, 1000, 4096);
    const layer8b = await timed(() => alignmentByLayer([{ layer: 0, texts: scale[0]! }], { languages: [...scale[0]!.keys()], kernel: kernel.run }));
    return {
      shape: `${L} layers × ${langs} languages × ${texts} texts × ${dim} dims`,
      float64_js_before_ms: Math.round(before),
      float32_js_blocked_ms: Math.round(js),
      onnx_gemm_ms: Math.round(onnx),
      speedup_js: Number((before / js).toFixed(2)),
      speedup_onnx: Number((before / onnx).toFixed(2)),
      onnx_8b_layer_10x1000x4096_s: Number((layer8b / 1000).toFixed(2)),
      onnx_8b_32_layers_estimate_s: Math.round((layer8b * 32) / 1000),
    };
  } finally {
    await kernel.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [name, value] of Object.entries(await benchAlignment())) console.log(`${name.padEnd(32)} ${value}`);
}

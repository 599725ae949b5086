/**
 * A tiny onnxruntime graph for alignment's similarity blocks: C = A · Bᵀ (one Gemm with transB), run by
 * onnxruntime's multi-threaded MLAS kernels on the CPU or by cuBLAS on CUDA. Fed float32 unit vectors by
 * src/main/analysis/alignment.ts; it knows nothing of languages.
 */
import * as ort from 'onnxruntime-node';
import { pickDevice } from './device.js';
import { OnnxType } from './onnx-graph.js';
import { Writer } from './protobuf.js';
import type { Device, DeviceRequest } from '../../shared/model-types.js';

export interface OnnxSimilarityKernel {
  device: Device;
  /** C [m × n] = A [m × dim] · B [n × dim]ᵀ. */
  run(a: Float32Array, m: number, b: Float32Array, n: number, dim: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export async function createSimilarityKernel(device: DeviceRequest = 'cpu', log: (m: string) => void = () => {}): Promise<OnnxSimilarityKernel> {
  const picked = await pickDevice(device, log);
  const session = await ort.InferenceSession.create(gemmABtModel(), { executionProviders: picked.providers, logSeverityLevel: 3 });
  return {
    device: picked.device,
    async run(a, m, b, n, dim) {
      if (m === 0 || n === 0) return new Float32Array(0);
      const out = await session.run({ a: new ort.Tensor('float32', a, [m, dim]), b: new ort.Tensor('float32', b, [n, dim]) });
      return out['c']!.data as Float32Array;
    },
    dispose: () => session.release(),
  };
}

/** ModelProto: inputs a [m, d], b [n, d] (float32), output c = Gemm(a, b, transB=1) [m, n]. */
function gemmABtModel(): Uint8Array {
  const valueInfo = (w: Writer, field: number, name: string, dims: [string, string]) =>
    w.message(field, (v) =>
      v.string(1, name).message(2, (t) => t.message(1, (tt) => tt.int(1, OnnxType.FLOAT).message(2, (s) => dims.forEach((d) => s.message(1, (dim) => dim.string(2, d)))))),
    );
  return new Writer()
    .int(1, 8)
    .message(8, (o) => o.string(1, '').int(2, 17))
    .message(7, (g) => {
      g.message(1, (n) =>
        n
          .string(1, 'a')
          .string(1, 'b')
          .string(2, 'c')
          .string(3, 'similarity')
          .string(4, 'Gemm')
          .message(5, (attr) => attr.string(1, 'transB').int(3, 1).int(20, 2)),
      );
      g.string(2, 'babelscope-similarity');
      valueInfo(g, 11, 'a', ['m', 'd']);
      valueInfo(g, 11, 'b', ['n', 'd']);
      valueInfo(g, 12, 'c', ['m', 'n']);
    })
    .finish();
}

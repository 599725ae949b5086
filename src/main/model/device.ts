/** Execution provider choice: CUDA when asked or available (auto), CPU otherwise, said once. */
import * as ort from 'onnxruntime-node';
import { UserError } from '../../shared/errors.js';
import { OnnxType } from './onnx-graph.js';
import { Writer } from './protobuf.js';
import type { Device, DeviceRequest } from '../../shared/model-types.js';

export async function pickDevice(req: DeviceRequest, log: (m: string) => void): Promise<{ device: Device; providers: string[] }> {
  if (req === 'cpu') return { device: 'cpu', providers: ['cpu'] };
  const problem = await cudaProblem();
  if (!problem) return { device: 'cuda', providers: ['cuda', 'cpu'] };
  if (req === 'cuda')
    throw new UserError(`CUDA was requested but is not usable: ${problem}`, 'Install the CUDA provider (see README, "GPU"), or pass --device cpu.');
  log(`CUDA not available (${problem}); running on CPU. For the GPU see README, "GPU" (npm run install-cuda).`);
  return { device: 'cpu', providers: ['cpu'] };
}

let cudaCheck: Promise<string | null> | undefined;
/** Creates a one-node session on the CUDA provider; null when that works, else why not. */
function cudaProblem(): Promise<string | null> {
  if (process.env['BABELSCOPE_FORCE_NO_CUDA']) return Promise.resolve('disabled by BABELSCOPE_FORCE_NO_CUDA');
  cudaCheck ??= (async () => {
    if (!ort.listSupportedBackends?.().some((b) => b.name === 'cuda')) return 'this onnxruntime-node build has no CUDA provider';
    // The provider loader logs through the process-wide logger; errors still surface as exceptions.
    ort.env.logLevel = 'fatal';
    try {
      // Severity 4 (fatal only): the failure is reported once, by us, not as onnxruntime's log line.
      const s = await ort.InferenceSession.create(identityModel(), { executionProviders: ['cuda'], logSeverityLevel: 4 });
      await s.release();
      return null;
    } catch (e) {
      const message = (e as Error).message.split('\n')[0]!.slice(0, 200);
      return /Failed to load shared library/.test(message) ? "onnxruntime's CUDA provider libraries are not installed" : message;
    }
  })();
  return cudaCheck;
}

/** A tiny valid ONNX model (Identity on a float tensor) used to probe execution providers. */
function identityModel(): Uint8Array {
  const vi = (w: Writer, field: number, name: string) =>
    w.message(field, (v) => v.string(1, name).message(2, (t) => t.message(1, (tt) => tt.int(1, OnnxType.FLOAT).message(2, (s) => s.message(1, (d) => d.int(1, 1))))));
  return new Writer()
    .int(1, 8)
    .message(8, (o) => o.string(1, '').int(2, 14))
    .message(7, (g) => {
      g.message(1, (n) => n.string(1, 'x').string(2, 'y').string(3, 'id').string(4, 'Identity'));
      g.string(2, 'probe');
      vi(g, 11, 'x');
      vi(g, 12, 'y');
    })
    .finish();
}

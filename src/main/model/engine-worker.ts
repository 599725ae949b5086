/** Worker entry: owns one OnnxEngine so onnxruntime never blocks the main thread. */
import { parentPort } from 'node:worker_threads';
import { serializeError } from '../../shared/errors.js';
import type { EngineMessage, EngineRequest } from './engine-protocol.js';
import { OnnxEngine, type PooledSums } from './onnx-engine.js';
import type { ForwardResult } from './types.js';

if (!parentPort) throw new Error('engine-worker must run in a worker thread');
const port = parentPort;
const post = (m: EngineMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
let engine: OnnxEngine | null = null;
let queue: Promise<unknown> = Promise.resolve();

/**
 * Output tensors own their buffers (onnxruntime-node copies results into fresh ArrayBuffers), so they
 * move to the main thread without a copy; a view into a shared buffer (a subarray, a converted fp16
 * tensor's slice) is copied first so the move cannot detach anything else.
 */
function transferable(a: Float32Array, transfer: ArrayBuffer[]): Float32Array {
  const whole = a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !transfer.includes(a.buffer as ArrayBuffer);
  const out = whole ? a : new Float32Array(a);
  transfer.push(out.buffer as ArrayBuffer);
  return out;
}

async function handle(req: EngineRequest): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  if (req.method === 'open') {
    await engine?.dispose();
    engine = await OnnxEngine.open(req.params.dir, { ...req.params.options, log: (message) => post({ type: 'log', message }) });
    return { result: engine.info, transfer: [] };
  }
  if (!engine) throw new Error('no model open');
  switch (req.method) {
    case 'forward': {
      const r: ForwardResult = await engine.forward(req.params);
      const transfer: ArrayBuffer[] = [];
      const own = (t: { data: Float32Array; dims: number[] }) => ({ data: transferable(t.data, transfer), dims: t.dims });
      const taps = Object.fromEntries(Object.entries(r.taps).map(([k, v]) => [k, own(v)]));
      return { result: { lengths: r.lengths, taps, ...(r.logits ? { logits: own(r.logits) } : {}) }, transfer };
    }
    case 'captureStats': {
      const r = await engine.captureStats(req.params.inputIds);
      const transfer: ArrayBuffer[] = [];
      const own = (a: Float32Array) => transferable(a, transfer);
      const pooled = (p: PooledSums): PooledSums => ({ residSum: own(p.residSum), residLast: own(p.residLast), residWeightedSum: own(p.residWeightedSum) });
      const layers = r.layers.map((l) => ({ positive: own(l.positive), sums: own(l.sums), sumSquares: own(l.sumSquares), ...pooled(l) }));
      const ends = Object.fromEntries(Object.entries(r.ends).map(([k, v]) => [k, pooled(v)]));
      return { result: { ...r, layers, ends }, transfer };
    }
    case 'lens':
      return { result: await engine.lens(req.params), transfer: [] };
    case 'keepTokenSets':
      engine.keepTokenSets(req.params.kept, req.params.sets);
      return { result: null, transfer: [] };
    case 'releaseTokenSets':
      engine.releaseTokenSets(req.params.kept);
      return { result: null, transfer: [] };
    case 'nll':
      return { result: await engine.nll(req.params), transfer: [] };
    case 'generate':
      return { result: await engine.generate(req.params), transfer: [] };
    case 'dispose':
      await engine.dispose();
      engine = null;
      return { result: null, transfer: [] };
  }
}

port.on('message', (req: EngineRequest) => {
  // One request at a time: onnxruntime sessions are not re-entrant from JS here.
  queue = queue.then(async () => {
    try {
      const { result, transfer } = await handle(req);
      post({ type: 'reply', id: req.id, result }, transfer);
    } catch (e) {
      post({ type: 'error', id: req.id, error: serializeError(e) });
    }
  });
});

/** Worker entry: owns one OnnxEngine so onnxruntime never blocks the main thread. */
import { parentPort } from 'node:worker_threads';
import { serializeError } from '../../shared/errors.js';
import type { EngineMessage, EngineRequest } from './engine-protocol.js';
import { OnnxEngine } from './onnx-engine.js';
import type { ForwardResult } from './types.js';

if (!parentPort) throw new Error('engine-worker must run in a worker thread');
const port = parentPort;
const post = (m: EngineMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
let engine: OnnxEngine | null = null;
let queue: Promise<unknown> = Promise.resolve();

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
      // Copies: onnxruntime may own the output buffers, so transfer fresh ones.
      const transfer: ArrayBuffer[] = [];
      const own = (t: { data: Float32Array; dims: number[] }) => {
        const data = new Float32Array(t.data);
        transfer.push(data.buffer as ArrayBuffer);
        return { data, dims: t.dims };
      };
      const taps = Object.fromEntries(Object.entries(r.taps).map(([k, v]) => [k, own(v)]));
      return { result: { lengths: r.lengths, taps, ...(r.logits ? { logits: own(r.logits) } : {}) }, transfer };
    }
    case 'captureStats': {
      const r = await engine.captureStats(req.params.inputIds);
      const transfer: ArrayBuffer[] = [];
      const own = (a: Float32Array) => {
        const copy = new Float32Array(a);
        transfer.push(copy.buffer as ArrayBuffer);
        return copy;
      };
      const layers = r.layers.map((l) => ({ positive: own(l.positive), sums: own(l.sums), sumSquares: own(l.sumSquares), residSum: own(l.residSum), residLast: own(l.residLast) }));
      return { result: { ...r, layers }, transfer };
    }
    case 'lens':
      return { result: await engine.lens(req.params), transfer: [] };
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

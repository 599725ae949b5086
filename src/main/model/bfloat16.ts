/**
 * bfloat16 models. onnxruntime-node's JS API has no bfloat16 tensors, and its CPU provider (1.30) has no
 * bfloat16 arithmetic kernels: Add, Mul, MatMul, Gemm, Softmax, ReduceMean, Sqrt, Sigmoid, Where, Expand,
 * GroupQueryAttention, RotaryEmbedding and MatMulNBits all fail at session creation ("Could not find an
 * implementation"); only data movement (Cast, Reshape, Transpose, Concat, Gather, Slice, If) and the fused
 * LayerNormalization / (Skip)SimplifiedLayerNormalization have bf16 kernels. So on CPU a bf16 model runs
 * from a float32 copy made once in the cache: every bf16 tensor, type and Cast of the graph widened
 * (exactly: a bf16 value is the top half of a float32), all weights in one external data file. On CUDA,
 * which has bf16 kernels, the graph keeps bf16 and the instrumenter casts at its boundaries.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { CACHED_GRAPH, MOVE_MIN_BYTES, writeCachedModel, type WeightsFile } from './model-cache.js';
import { OnnxType, type OnnxGraph } from './onnx-graph.js';
import { fieldKeyStart, fields, pushInts, str, Wire, Writer, type Field } from './protobuf.js';

/** The model's float type: that of its logits (or first output), float32 when it declares none. */
export function modelFloatType(graph: OnnxGraph): number {
  return (graph.outputs.find((o) => o.name === 'logits') ?? graph.outputs[0])?.elemType || OnnxType.FLOAT;
}

const DTYPE_NAMES: Record<number, string> = { [OnnxType.FLOAT]: 'float32', [OnnxType.FLOAT16]: 'float16', [OnnxType.BFLOAT16]: 'bfloat16', [OnnxType.DOUBLE]: 'float64' };
/** `float32`, `float16`, `bfloat16`, … for a TensorProto data type. */
export const dtypeName = (t: number): string => DTYPE_NAMES[t] ?? `type ${t}`;

/** Whether onnxruntime-node can hand tensors of this type to JS and take them from it. */
export const jsReadable = (t: number): boolean => t === OnnxType.FLOAT || t === OnnxType.FLOAT16;

/** Sub-folder of a model's cache folder holding its float32 copy. */
export const FLOAT32_COPY = 'float32';
const CHUNK = 1 << 26;
/** Attributes that name a tensor type (Cast's `to`, EyeLike/Random*'s `dtype`, …). */
const TYPE_ATTRIBUTES = new Set(['to', 'dtype', 'output_dtype']);

/** bf16 bit patterns (little-endian bytes) → float32 bytes. */
export function widenBf16(src: Uint8Array): Uint8Array {
  const n = src.length >> 1;
  const aligned = src.byteOffset % 2 === 0 ? src : src.slice();
  const half = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = half[i]! << 16;
  return new Uint8Array(out.buffer);
}

/** A message's payload with some fields replaced: `edit` returns the encoded replacement (possibly none) or undefined to keep the field. */
function editMessage(buf: Uint8Array, start: number, end: number, edit: (f: Field) => Uint8Array[] | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  let last = start;
  for (const f of fields(buf, start, end)) {
    const replacement = edit(f);
    if (!replacement) continue;
    out.push(buf.subarray(last, fieldKeyStart(f)), ...replacement);
    last = f.end;
  }
  out.push(buf.subarray(last, end));
  return out;
}

const lenField = (no: number, payload: Uint8Array[]) => new Writer().bytes(no, payload).parts();
const intField = (no: number, v: number) => new Writer().int(no, v).parts();

/** A TypeProto with bfloat16 element types made float32 (tensors, sequences, optionals). */
function widenType(buf: Uint8Array, tp: Field): Uint8Array[] {
  return editMessage(buf, tp.start, tp.end, (f) => {
    if (f.wire !== Wire.Len) return undefined;
    if (f.no === 1 || f.no === 8) // tensor_type, sparse_tensor_type: elem_type is field 1
      return lenField(f.no, editMessage(buf, f.start, f.end, (e) => (e.no === 1 && e.wire === Wire.Varint && e.value === OnnxType.BFLOAT16 ? intField(1, OnnxType.FLOAT) : undefined)));
    if (f.no === 4 || f.no === 9) // sequence_type, optional_type: elem_type is a TypeProto
      return lenField(f.no, editMessage(buf, f.start, f.end, (e) => (e.no === 1 && e.wire === Wire.Len ? lenField(1, widenType(buf, e)) : undefined)));
    return undefined;
  });
}

/** A ValueInfoProto payload with its bfloat16 element type made float32. */
export function widenValueInfo(buf: Uint8Array, vi: Field): Uint8Array[] {
  return editMessage(buf, vi.start, vi.end, (f) => (f.no === 2 && f.wire === Wire.Len ? lenField(2, widenType(buf, f)) : undefined));
}

/** The bytes of an external tensor, read in chunks (files past 2 GiB never sit in one buffer). */
function* readExternal(folder: string, location: string, offset: number, length: number): Generator<Uint8Array> {
  const fd = openSync(join(folder, location), 'r');
  try {
    for (let done = 0; done < length; ) {
      const buf = new Uint8Array(Math.min(CHUNK, length - done));
      const n = readSync(fd, buf, 0, buf.length, offset + done);
      if (n === 0) throw new UserError(`${join(folder, location)} ends before its tensor data`, 'The .onnx_data file is truncated: download it again.');
      yield n === buf.length ? buf : buf.subarray(0, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** A large inline tensor in CHUNK-sized views, so widening never holds a whole float32 copy of it. */
function* slices(view: Uint8Array): Generator<Uint8Array> {
  for (let o = 0; o < view.length; o += CHUNK) yield view.subarray(o, Math.min(view.length, o + CHUNK));
}

/** Widens bf16 chunks (each of even length: CHUNK is even). */
function* widenChunks(chunks: Iterable<Uint8Array>): Generator<Uint8Array> {
  for (const c of chunks) {
    if (c.length % 2) throw new Error('bfloat16 data chunk of odd length');
    yield widenBf16(c);
  }
}

interface CopyContext {
  buf: Uint8Array;
  weights: WeightsFile;
  /** Where the source graph's external data paths are relative to. */
  sourceFolder: string;
}

/**
 * A TensorProto payload for the float32 copy: bf16 data widened; every tensor of at least MOVE_MIN_BYTES
 * (bf16 or not, inline or external) written to the copy's weights file, so the cache folder stands alone.
 * Undefined when the tensor stays as it is.
 */
function copyTensor(ctx: CopyContext, t: Field, inGraph: boolean): Uint8Array[] | undefined {
  const { buf } = ctx;
  let dataType = 0;
  let raw: Field | undefined;
  const int32Data: number[] = [];
  const external: Record<string, string> = {};
  let externalLocation = false;
  for (const f of fields(buf, t.start, t.end)) {
    if (f.no === 2 && f.wire === Wire.Varint) dataType = f.value;
    else if (f.no === 9 && f.wire === Wire.Len) raw = f;
    else if (f.no === 5) pushInts(buf, f, int32Data);
    else if (f.no === 14 && f.wire === Wire.Varint) externalLocation = f.value === 1;
    else if (f.no === 13 && f.wire === Wire.Len) {
      let key = '';
      let value = '';
      for (const e of fields(buf, f.start, f.end)) {
        if (e.no === 1 && e.wire === Wire.Len) key = str(buf, e);
        else if (e.no === 2 && e.wire === Wire.Len) value = str(buf, e);
      }
      external[key] = value;
    }
  }
  const bf16 = dataType === OnnxType.BFLOAT16;
  const isExternal = externalLocation && external['location'] !== undefined;
  if (!bf16 && !isExternal && (!inGraph || !raw || raw.end - raw.start < MOVE_MIN_BYTES)) return undefined;

  let source: Iterable<Uint8Array>;
  let bytes: number;
  if (isExternal) {
    const offset = Number(external['offset'] ?? 0);
    const length = Number(external['length'] ?? NaN);
    if (!Number.isFinite(length)) throw new UserError(`an external tensor of ${ctx.sourceFolder} gives no length`, 'Re-export the model (onnx.save with save_as_external_data).');
    source = readExternal(ctx.sourceFolder, external['location']!, offset, length);
    bytes = length;
  } else if (raw) {
    source = slices(buf.subarray(raw.start, raw.end));
    bytes = raw.end - raw.start;
  } else {
    // bf16 kept as int32_data: one bit pattern per element.
    const u16 = Uint16Array.from(int32Data);
    source = [new Uint8Array(u16.buffer)];
    bytes = u16.byteLength;
  }
  if (bf16) {
    source = widenChunks(source);
    bytes *= 2;
  }
  const w = new Writer();
  for (const f of fields(buf, t.start, t.end)) if (![2, 5, 9, 13, 14].includes(f.no)) w.raw(buf.subarray(fieldKeyStart(f), f.end));
  w.int(2, bf16 ? OnnxType.FLOAT : dataType);
  if (inGraph && bytes >= MOVE_MIN_BYTES) ctx.weights.append(source, w);
  else w.bytes(9, [...source]);
  return w.parts();
}

/** A GraphProto payload (the main graph or a subgraph) with every bfloat16 made float32. */
function widenGraph(ctx: CopyContext, g: Field): Uint8Array[] {
  const { buf } = ctx;
  return editMessage(buf, g.start, g.end, (f) => {
    if (f.wire !== Wire.Len) return undefined;
    if (f.no === 1) return lenField(1, widenNode(ctx, f)); // node
    if (f.no === 5) {
      const t = copyTensor(ctx, f, true); // initializer
      return t && lenField(5, t);
    }
    if (f.no === 11 || f.no === 12 || f.no === 13) return lenField(f.no, widenValueInfo(buf, f)); // input, output, value_info
    return undefined;
  });
}

function widenNode(ctx: CopyContext, n: Field): Uint8Array[] {
  const { buf } = ctx;
  return editMessage(buf, n.start, n.end, (f) => {
    if (f.no !== 5 || f.wire !== Wire.Len) return undefined; // attribute
    let name = '';
    for (const a of fields(buf, f.start, f.end)) if (a.no === 1 && a.wire === Wire.Len) name = str(buf, a);
    const attr = editMessage(buf, f.start, f.end, (a) => {
      if (a.no === 3 && a.wire === Wire.Varint) return TYPE_ATTRIBUTES.has(name) && a.value === OnnxType.BFLOAT16 ? intField(3, OnnxType.FLOAT) : undefined;
      if (a.wire !== Wire.Len) return undefined;
      if (a.no === 5 || a.no === 10) {
        const t = copyTensor(ctx, a, false); // t, tensors (Constant values stay inline)
        return t && lenField(a.no, t);
      }
      if (a.no === 6 || a.no === 11) return lenField(a.no, widenGraph(ctx, a)); // g, graphs (If/Loop/Scan bodies)
      return undefined;
    });
    return lenField(5, attr);
  });
}

/**
 * Once per model hash: a float32 copy of a bfloat16 model in its cache folder (`<hash>/float32/`:
 * graph.onnx and one weights.bin). `sourceFolder` is where the graph's external data paths point.
 * Returns the copy's folder and whether it was made now.
 */
export function float32Copy(hashDir: string, model: Uint8Array, sourceFolder: string): { dir: string; created: boolean } {
  const dir = join(hashDir, FLOAT32_COPY);
  if (existsSync(join(dir, CACHED_GRAPH))) return { dir, created: false };
  writeCachedModel(dir, (weights) => {
    const ctx: CopyContext = { buf: model, weights, sourceFolder };
    return editMessage(model, 0, model.length, (f) => (f.no === 7 && f.wire === Wire.Len ? lenField(7, widenGraph(ctx, f)) : undefined));
  });
  return { dir, created: true };
}

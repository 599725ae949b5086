/**
 * The model's identity and the on-disk cache, both keyed without re-reading weights:
 * - a model's hash is computed once and memoised by the (path, size, mtime) of its files;
 * - a graph with large inline weights gets, once, a copy in the cache whose weights sit in one external
 *   data file beside it; every later open reads only that small graph. The cache never holds other
 *   copies of the weights: instrumented graphs are built in memory and reference the same data file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomicSync, type AtomicData, type AtomicSink } from '../fs/atomic-write.js';
import { fieldKeyStart, fields, rewriteGraphFields, Wire, Writer } from './protobuf.js';

export function cacheRoot(): string {
  return process.env['BABELSCOPE_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'babelscope');
}

async function hashFile(path: string, h = createHash('sha256')): Promise<string> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

const memoPath = () => join(cacheRoot(), 'file-hashes.json');

function readMemo(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(memoPath(), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** A value computed from files, memoised under the files' (path, size, mtime). */
async function memoised(kind: string, paths: string[], compute: () => Promise<string>): Promise<string> {
  const key = [kind, ...paths.map((p) => {
    const st = statSync(p);
    return `${p}|${st.size}|${Math.round(st.mtimeMs)}`;
  })].join('\n');
  const known = readMemo()[key];
  if (known) return known;
  const value = await compute();
  try {
    atomicWrite(memoPath(), JSON.stringify({ ...readMemo(), [key]: value }));
  } catch {
    // A read-only cache only costs re-hashing next time.
  }
  return value;
}

/** sha256 of a file, memoised by path, size and mtime. */
export function fileHash(path: string): Promise<string> {
  return memoised('file', [path], () => hashFile(path));
}

/** The hash a memoised model has, without reading anything; null when it was never computed. */
export function knownModelHash(onnxPath: string, externalFiles: string[]): string | null {
  try {
    const key = ['model', ...[onnxPath, ...externalFiles].map((p) => {
      const st = statSync(p);
      return `${p}|${st.size}|${Math.round(st.mtimeMs)}`;
    })].join('\n');
    return readMemo()[key] ?? null;
  } catch {
    return null;
  }
}

/**
 * The model's identity: sha256 of the graph file's bytes followed by each external data file's hex
 * hash (stores made before this memo keep matching). Computed once per (path, size, mtime).
 */
export function modelHash(onnxPath: string, externalFiles: string[]): Promise<string> {
  return memoised('model', [onnxPath, ...externalFiles], async () => {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(onnxPath, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
    for (const f of externalFiles) h.update(await fileHash(f));
    return h.digest('hex');
  });
}

export function atomicWrite(path: string, data: AtomicData): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileAtomicSync(path, data);
}

/** Inline weights below this total stay inline: small graphs load as fast from bytes. */
export const EXTERNALIZE_MIN_BYTES = 1 << 20;
/** Tensors at least this big move out; smaller ones (shapes, scalars) stay in the graph. */
export const MOVE_MIN_BYTES = 1024;
const ALIGN = 4096;
export const CACHED_GRAPH = 'graph.onnx';
export const CACHED_WEIGHTS = 'weights.bin';

/** The one external data file of a cached model: tensors appended at aligned offsets. */
export class WeightsFile {
  private offset = 0;
  constructor(private readonly sink: AtomicSink) {}

  /** Appends a tensor's bytes and adds to its TensorProto `tensor` the fields that point at them. */
  append(chunks: Iterable<Uint8Array>, tensor: Writer): void {
    this.offset = Math.ceil(this.offset / ALIGN) * ALIGN;
    const start = this.offset;
    for (const c of chunks) {
      this.sink.write(c, this.offset);
      this.offset += c.length;
    }
    for (const [k, v] of [['location', CACHED_WEIGHTS], ['offset', String(start)], ['length', String(this.offset - start)]] as const) tensor.message(13, (e) => e.string(1, k).string(2, v));
    tensor.int(14, 1); // data_location = EXTERNAL
  }
}

/**
 * Writes a cached model folder: `build` returns the graph's bytes, appending its tensors to the folder's
 * weights file as it goes. The weights file is renamed into place before the graph, whose presence
 * marks the folder complete; on failure the partial weights file is removed.
 */
export function writeCachedModel(dir: string, build: (weights: WeightsFile) => Uint8Array[]): void {
  mkdirSync(dir, { recursive: true });
  let parts: Uint8Array[] = [];
  writeFileAtomicSync(join(dir, CACHED_WEIGHTS), (sink) => {
    parts = build(new WeightsFile(sink));
  });
  writeFileAtomicSync(join(dir, CACHED_GRAPH), parts);
}

/** Total bytes of inline raw_data initializers in a model (a cheap scan of the graph's fields). */
export function inlineWeightBytes(model: Uint8Array): number {
  let total = 0;
  forEachInlineTensor(model, (raw) => (total += raw.end - raw.start));
  return total;
}

function forEachInlineTensor(model: Uint8Array, visit: (raw: { start: number; end: number }, tensor: { start: number; end: number }) => void): void {
  for (const f of fields(model)) {
    if (f.no !== 7 || f.wire !== Wire.Len) continue;
    for (const gf of fields(model, f.start, f.end)) {
      if (gf.no !== 5 || gf.wire !== Wire.Len) continue;
      for (const tf of fields(model, gf.start, gf.end)) if (tf.no === 9 && tf.wire === Wire.Len && tf.end - tf.start >= MOVE_MIN_BYTES) visit(tf, gf);
    }
  }
}

/**
 * Once per model hash: writes the graph with its inline weights moved to one external data file, in
 * chunks (each tensor is written from a view of `model`; nothing is copied byte by byte). Returns the
 * cache folder holding graph.onnx and weights.bin.
 */
export function externalizedCopy(hash: string, model: Uint8Array): string {
  const dir = join(cacheRoot(), 'models', hash);
  if (existsSync(join(dir, CACHED_GRAPH))) return dir;
  writeCachedModel(dir, (weights) => {
    const moved = new Map<number, Uint8Array[]>(); // tensor start → its new payload
    forEachInlineTensor(model, (raw, tensor) => {
      const w = new Writer();
      for (const tf of fields(model, tensor.start, tensor.end)) {
        if (tf.no === 9 && tf.wire === Wire.Len) continue;
        w.raw(model.subarray(fieldKeyStart(tf), tf.end));
      }
      weights.append([model.subarray(raw.start, raw.end)], w);
      moved.set(tensor.start, w.parts());
    });
    return rewriteGraphFields(model, (gf) => (gf.no === 5 ? moved.get(gf.start) : undefined)); // GraphProto.initializer
  });
  return dir;
}


/** Test-only rewrites of a model's weight storage (inline ↔ external, data at large offsets). */
import { closeSync, cpSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { concatBytes, fieldHeaderStart, fieldKeyStart, fields, rewriteGraphFields, str, Wire, Writer } from '../../src/main/model/protobuf.js';

type External = { location: string; offset: number; length: number };

/** Rewrites each externally stored initializer: `edit` returns its inline bytes or a new external location. */
function rewriteExternal(model: Uint8Array, edit: (ext: External) => { raw: Uint8Array } | { ext: External }): Uint8Array {
  const parts = rewriteGraphFields(model, (gf) => {
    if (gf.no !== 5) return undefined; // GraphProto.initializer
    const entries: Record<string, string> = {};
    const keep = new Writer();
    for (const tf of fields(model, gf.start, gf.end)) {
      if (tf.no === 13 && tf.wire === Wire.Len) {
        let k = '';
        let v = '';
        for (const e of fields(model, tf.start, tf.end)) (e.no === 1 ? (k = str(model, e)) : (v = str(model, e)));
        entries[k] = v;
      } else if (tf.no === 14) continue;
      else if (tf.wire === Wire.Len) keep.raw(model.subarray(fieldHeaderStart(tf), tf.end));
      else if (tf.wire === Wire.Varint) keep.int(tf.no, tf.value);
    }
    if (entries['location'] === undefined) return undefined;
    const r = edit({ location: entries['location'], offset: Number(entries['offset'] ?? 0), length: Number(entries['length']) });
    if ('raw' in r) keep.bytes(9, r.raw);
    else {
      for (const [k, v] of [['location', r.ext.location], ['offset', String(r.ext.offset)], ['length', String(r.ext.length)]]) keep.message(13, (e) => e.string(1, k!).string(2, v!));
      keep.int(14, 1);
    }
    return keep.parts();
  });
  return concatBytes(parts);
}

function copyFolderWithout(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) cpSync(join(src, f), join(dst, f));
}

/** A copy of an HF folder whose onnx/model.onnx holds all its weights inline. */
export function inlineCopy(src: string, dst: string): string {
  copyFolderWithout(src, dst);
  const model = new Uint8Array(readFileSync(join(src, 'onnx', 'model.onnx')));
  const data = readFileSync(join(src, 'onnx', 'model.onnx_data'));
  writeFileSync(join(dst, 'model.onnx'), rewriteExternal(model, (e) => ({ raw: data.subarray(e.offset, e.offset + e.length) })));
  return dst;
}

/** A copy whose external data file is sparse and larger than `size` bytes, with every tensor past `shift`. */
export function farOffsetCopy(src: string, dst: string, shift: number): string {
  copyFolderWithout(src, dst);
  const model = new Uint8Array(readFileSync(join(src, 'onnx', 'model.onnx')));
  const data = readFileSync(join(src, 'onnx', 'model.onnx_data'));
  const fd = openSync(join(dst, 'big.onnx_data'), 'w');
  try {
    ftruncateSync(fd, shift + data.length);
    writeSync(fd, data, 0, data.length, shift);
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(dst, 'model.onnx'), rewriteExternal(model, (e) => ({ ext: { location: 'big.onnx_data', offset: e.offset + shift, length: e.length } })));
  return dst;
}


/**
 * A copy of one ONNX file whose inline tensors (1 KiB and up) move to `<name>_data` beside it, each
 * past `shift` bytes of a sparse file (a shift past 2 GiB costs no disk).
 */
export function externalDataCopy(srcOnnx: string, dstOnnx: string, shift: number): void {
  const model = new Uint8Array(readFileSync(srcOnnx));
  const dataName = `${dstOnnx.split('/').pop()}_data`;
  const fd = openSync(join(dstOnnx, '..', dataName), 'w');
  let offset = shift;
  try {
    const parts = rewriteGraphFields(model, (gf) => {
      if (gf.no !== 5) return undefined; // GraphProto.initializer
      const raw = [...fields(model, gf.start, gf.end)].find((tf) => tf.no === 9 && tf.wire === Wire.Len);
      if (!raw || raw.end - raw.start < 1024) return undefined;
      const keep = new Writer();
      for (const tf of fields(model, gf.start, gf.end)) if (tf !== raw && tf.no !== 9) keep.raw(model.subarray(fieldKeyStart(tf), tf.end));
      writeSync(fd, model, raw.start, raw.end - raw.start, offset);
      for (const [k, v] of [['location', dataName], ['offset', String(offset)], ['length', String(raw.end - raw.start)]]) keep.message(13, (e) => e.string(1, k!).string(2, v!));
      keep.int(14, 1);
      offset += raw.end - raw.start;
      return keep.parts();
    });
    ftruncateSync(fd, offset);
    writeFileSync(dstOnnx, concatBytes(parts));
  } finally {
    closeSync(fd);
  }
}

/**
 * Minimal protobuf wire-format reading and writing: enough to walk an ONNX ModelProto without
 * decoding weights, and to build the small fragments that are appended to it (protobuf merges a
 * message appended to another, so new outputs and nodes can be added without re-encoding).
 */

export const enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Len = 2,
  Fixed32 = 5,
}

export interface Field {
  no: number;
  wire: Wire;
  /** For Varint: the value (as a number; ONNX values we read fit in 2^53). */
  value: number;
  /** For Len: the payload range in the buffer. */
  start: number;
  end: number;
}

/** Reads a varint; values of 8+ bytes go through BigInt and come back as signed int64 (ONNX uses int64). */
export function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let mul = 1;
  const start = pos;
  for (let i = 0; i < 7; i++) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * mul;
    if (b < 0x80) return [value, pos];
    mul *= 128;
  }
  let big = 0n;
  let shift = 0n;
  for (pos = start; ; shift += 7n) {
    if (pos >= buf.length || shift > 63n) throw new Error('bad varint');
    const b = buf[pos++]!;
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [Number(BigInt.asIntN(64, big)), pos];
  }
}

/** Iterates the fields of one message occupying buf[start, end). */
export function* fields(buf: Uint8Array, start = 0, end = buf.length): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [key, afterKey] = readVarint(buf, pos);
    const no = Math.floor(key / 8);
    const wire = (key & 7) as Wire;
    if (no === 0) throw new Error(`invalid field number at byte ${pos}`);
    pos = afterKey;
    switch (wire) {
      case Wire.Varint: {
        const [value, next] = readVarint(buf, pos);
        yield { no, wire, value, start: pos, end: next };
        pos = next;
        break;
      }
      case Wire.Len: {
        const [len, next] = readVarint(buf, pos);
        if (next + len > end) throw new Error(`field ${no} runs past the end of its message (byte ${pos})`);
        yield { no, wire, value: len, start: next, end: next + len };
        pos = next + len;
        break;
      }
      case Wire.Fixed64:
        yield { no, wire, value: 0, start: pos, end: pos + 8 };
        pos += 8;
        break;
      case Wire.Fixed32:
        yield { no, wire, value: 0, start: pos, end: pos + 4 };
        pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${wire as number} at byte ${pos}`);
    }
  }
  if (pos !== end) throw new Error('message ends inside a field');
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
export function str(buf: Uint8Array, f: Field): string {
  return utf8.decode(buf.subarray(f.start, f.end));
}

/** Repeated int64 fields may be packed (one Len field) or not (one Varint per value). */
export function pushInts(buf: Uint8Array, f: Field, out: number[]): void {
  if (f.wire === Wire.Varint) {
    out.push(f.value);
    return;
  }
  let pos = f.start;
  while (pos < f.end) {
    const [v, next] = readVarint(buf, pos);
    out.push(v);
    pos = next;
  }
}

// ---- writing ---------------------------------------------------------------------------------

/**
 * Builds a protobuf message as a list of byte chunks: `bytes()` keeps a reference to the payload it is
 * given (a slice of a model buffer, say) instead of copying it byte by byte, so wrapping a large graph
 * in a new field costs one copy at `finish()`, or none with `parts()`.
 */
export class Writer {
  private chunks: Uint8Array[] = [];
  private pending: number[] = [];
  private size = 0;

  get length(): number {
    return this.size + this.pending.length;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Uint8Array.from(this.pending));
    this.size += this.pending.length;
    this.pending = [];
  }

  varint(v: number): this {
    if (v < 0) {
      // Negative int64 is ten bytes of two's complement; doubles cannot hold 2^64 - 1 exactly.
      let b = BigInt.asUintN(64, BigInt(v));
      while (b >= 0x80n) {
        this.pending.push(Number(b & 0x7fn) | 0x80);
        b >>= 7n;
      }
      this.pending.push(Number(b));
      return this;
    }
    while (v >= 0x80) {
      this.pending.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.pending.push(v);
    return this;
  }

  tag(no: number, wire: Wire): this {
    return this.varint(no * 8 + wire);
  }

  int(no: number, v: number): this {
    return this.tag(no, Wire.Varint).varint(v);
  }

  /** A length-delimited field whose payload is `data` (or these chunks, in order), kept by reference. */
  bytes(no: number, data: Uint8Array | Uint8Array[]): this {
    const parts = Array.isArray(data) ? data : [data];
    this.tag(no, Wire.Len).varint(parts.reduce((n, p) => n + p.length, 0));
    return this.raw(parts);
  }

  /** Appends already-encoded bytes (whole fields), kept by reference. */
  raw(parts: Uint8Array | Uint8Array[]): this {
    this.flush();
    for (const p of Array.isArray(parts) ? parts : [parts]) {
      if (p.length === 0) continue;
      this.chunks.push(p);
      this.size += p.length;
    }
    return this;
  }

  string(no: number, s: string): this {
    return this.bytes(no, new TextEncoder().encode(s));
  }

  message(no: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(no, inner.parts());
  }

  float(no: number, v: number): this {
    this.tag(no, Wire.Fixed32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.pending.push(x);
    return this;
  }

  /** The encoded chunks, in order (views, not copies). */
  parts(): Uint8Array[] {
    this.flush();
    return [...this.chunks];
  }

  finish(): Uint8Array {
    return concatBytes(this.parts());
  }
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Where a Len field's tag starts: walk back over the length varint and the tag varint. */
export function fieldHeaderStart(f: { no: number; start: number; end: number }): number {
  return f.start - varintSize(f.end - f.start) - varintSize(f.no * 8 + Wire.Len);
}

/** Where any field's tag starts (Len fields: see `fieldHeaderStart`; others: the tag precedes the value). */
export function fieldKeyStart(f: { no: number; wire: Wire; start: number; end: number }): number {
  return f.wire === Wire.Len ? fieldHeaderStart(f) : f.start - varintSize(f.no * 8 + f.wire);
}

/**
 * A ModelProto with some fields of its GraphProto replaced, as parts (untouched bytes stay views into
 * `model`): `replace` sees each Len field of the graph and returns its new payload, written under the same
 * field number, or undefined to keep it.
 */
export function rewriteGraphFields(model: Uint8Array, replace: (graphField: Field) => Uint8Array[] | undefined): Uint8Array[] {
  const out = new Writer();
  let last = 0;
  for (const f of fields(model)) {
    if (f.no !== 7 || f.wire !== Wire.Len) continue; // ModelProto.graph
    const graph = new Writer();
    let glast = f.start;
    for (const gf of fields(model, f.start, f.end)) {
      if (gf.wire !== Wire.Len) continue;
      const payload = replace(gf);
      if (!payload) continue;
      graph.raw(model.subarray(glast, fieldHeaderStart(gf)));
      graph.bytes(gf.no, payload);
      glast = gf.end;
    }
    graph.raw(model.subarray(glast, f.end));
    out.raw(model.subarray(last, fieldHeaderStart(f)));
    out.bytes(7, graph.parts());
    last = f.end;
  }
  out.raw(model.subarray(last));
  return out.parts();
}

export function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

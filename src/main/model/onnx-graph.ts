import { fieldHeaderStart, fields, pushInts, str, Wire, type Field } from './protobuf.js';

/** ONNX TensorProto.DataType values we name in messages. */
export const OnnxType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Integer and float attributes (enough for axes, perm, transB, epsilon). */
  attributes: Record<string, number | number[]>;
  /** Each attribute field as encoded (views into the model bytes), to copy a node into another graph. */
  rawAttributes: Uint8Array[];
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  dataType: number;
  /** Where the bytes are: inline (offset into the model buffer) or in an external file. */
  location: { kind: 'inline'; start: number; end: number } | { kind: 'external'; file: string; offset: number; length: number } | { kind: 'typed'; field: number; start: number; end: number };
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** Each dim is a number or a symbolic name. */
  shape: (number | string)[];
}

export interface OnnxGraph {
  irVersion: number;
  opsets: Record<string, number>;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxInitializer>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** Reads the structure of an ONNX model without touching its weights. Throws on malformed bytes. */
export function readOnnxGraph(buf: Uint8Array): OnnxGraph {
  const g: OnnxGraph = { irVersion: 0, opsets: {}, nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  let sawGraph = false;
  for (const f of fields(buf)) {
    if (f.no === 1 && f.wire === Wire.Varint) g.irVersion = f.value;
    else if (f.no === 8 && f.wire === Wire.Len) {
      let domain = '';
      let version = 0;
      for (const o of fields(buf, f.start, f.end)) {
        if (o.no === 1 && o.wire === Wire.Len) domain = str(buf, o);
        else if (o.no === 2 && o.wire === Wire.Varint) version = o.value;
      }
      g.opsets[domain] = version;
    } else if (f.no === 7 && f.wire === Wire.Len) {
      sawGraph = true;
      readGraph(buf, f, g);
    }
  }
  if (!sawGraph) throw new Error('no graph in the model');
  return g;
}

function readGraph(buf: Uint8Array, graph: Field, g: OnnxGraph): void {
  for (const f of fields(buf, graph.start, graph.end)) {
    if (f.wire !== Wire.Len) continue;
    if (f.no === 1) g.nodes.push(readNode(buf, f));
    else if (f.no === 5) {
      const init = readInitializer(buf, f);
      g.initializers.set(init.name, init);
    } else if (f.no === 11) g.inputs.push(readValueInfo(buf, f));
    else if (f.no === 12) g.outputs.push(readValueInfo(buf, f));
  }
}

function readNode(buf: Uint8Array, node: Field): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: {}, rawAttributes: [] };
  for (const f of fields(buf, node.start, node.end)) {
    if (f.wire !== Wire.Len) continue;
    if (f.no === 1) n.inputs.push(str(buf, f));
    else if (f.no === 2) n.outputs.push(str(buf, f));
    else if (f.no === 3) n.name = str(buf, f);
    else if (f.no === 4) n.opType = str(buf, f);
    else if (f.no === 7) n.domain = str(buf, f);
    else if (f.no === 5) {
      readAttribute(buf, f, n.attributes);
      n.rawAttributes.push(buf.subarray(fieldHeaderStart(f), f.end));
    }
  }
  return n;
}

function readAttribute(buf: Uint8Array, attr: Field, out: Record<string, number | number[]>): void {
  let name = '';
  let value: number | number[] | undefined;
  const ints: number[] = [];
  for (const f of fields(buf, attr.start, attr.end)) {
    if (f.no === 1 && f.wire === Wire.Len) name = str(buf, f);
    else if (f.no === 2 && f.wire === Wire.Fixed32) value = new DataView(buf.buffer, buf.byteOffset + f.start, 4).getFloat32(0, true);
    else if (f.no === 3 && f.wire === Wire.Varint) value = f.value;
    else if (f.no === 8) pushInts(buf, f, ints);
  }
  if (ints.length) value = ints;
  if (name && value !== undefined) out[name] = value;
}

function readInitializer(buf: Uint8Array, t: Field): OnnxInitializer {
  const init: OnnxInitializer = { name: '', dims: [], dataType: 0, location: { kind: 'inline', start: 0, end: 0 } };
  const external: Record<string, string> = {};
  let dataLocation = 0;
  for (const f of fields(buf, t.start, t.end)) {
    if (f.no === 1) pushInts(buf, f, init.dims);
    else if (f.no === 2 && f.wire === Wire.Varint) init.dataType = f.value;
    else if (f.no === 8 && f.wire === Wire.Len) init.name = str(buf, f);
    else if (f.no === 9 && f.wire === Wire.Len) init.location = { kind: 'inline', start: f.start, end: f.end };
    else if ((f.no === 4 || f.no === 7 || f.no === 5 || f.no === 10) && f.wire === Wire.Len) init.location = { kind: 'typed', field: f.no, start: f.start, end: f.end };
    else if (f.no === 14 && f.wire === Wire.Varint) dataLocation = f.value;
    else if (f.no === 13 && f.wire === Wire.Len) {
      let key = '';
      let value = '';
      for (const e of fields(buf, f.start, f.end)) {
        if (e.no === 1) key = str(buf, e);
        else if (e.no === 2) value = str(buf, e);
      }
      external[key] = value;
    }
  }
  if (dataLocation === 1 && external['location'] !== undefined) {
    init.location = {
      kind: 'external',
      file: external['location'],
      offset: Number(external['offset'] ?? 0),
      length: Number(external['length'] ?? 0),
    };
  }
  return init;
}

function readValueInfo(buf: Uint8Array, vi: Field): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: 0, shape: [] };
  for (const f of fields(buf, vi.start, vi.end)) {
    if (f.no === 1 && f.wire === Wire.Len) v.name = str(buf, f);
    else if (f.no === 2 && f.wire === Wire.Len) {
      for (const tp of fields(buf, f.start, f.end)) {
        if (tp.no !== 1 || tp.wire !== Wire.Len) continue; // tensor_type
        for (const tt of fields(buf, tp.start, tp.end)) {
          if (tt.no === 1 && tt.wire === Wire.Varint) v.elemType = tt.value;
          else if (tt.no === 2 && tt.wire === Wire.Len) {
            for (const d of fields(buf, tt.start, tt.end)) {
              if (d.no !== 1 || d.wire !== Wire.Len) continue;
              let dim: number | string = '?';
              for (const x of fields(buf, d.start, d.end)) {
                if (x.no === 1 && x.wire === Wire.Varint) dim = x.value;
                else if (x.no === 2 && x.wire === Wire.Len) dim = str(buf, x);
              }
              v.shape.push(dim);
            }
          }
        }
      }
    }
  }
  return v;
}

/** Tensor name → the node producing it, and → the nodes consuming it. */
export interface GraphIndex {
  producer: Map<string, OnnxNode>;
  consumers: Map<string, OnnxNode[]>;
}

export function indexGraph(g: OnnxGraph): GraphIndex {
  const producer = new Map<string, OnnxNode>();
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of g.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) {
      const list = consumers.get(i);
      if (list) list.push(n);
      else consumers.set(i, [n]);
    }
  }
  return { producer, consumers };
}

/** The graph's tensors of one layer, with the op that makes each: what a user needs to write --tap. */
import { readFileSync } from 'node:fs';
import { UserError } from '../../shared/errors.js';
import { resolveOnnxPath } from './model-folder.js';
import { readOnnxGraph } from './onnx-graph.js';

export interface ListedTensor {
  name: string;
  op: string;
}

export function layerTensors(dir: string, layer: number): ListedTensor[] {
  const folder = resolveOnnxPath(dir);
  let graph;
  try {
    graph = readOnnxGraph(new Uint8Array(readFileSync(folder.onnxPath)));
  } catch (e) {
    throw new UserError(`${folder.onnxPath} is not a valid ONNX model (${(e as Error).message})`, 'The file is corrupt or truncated: export it again or re-download it.');
  }
  const inLayer = new RegExp(`(^|[^0-9])${layer}[./_]`);
  return graph.nodes.flatMap((n) => (inLayer.test(n.name) ? n.outputs.map((name) => ({ name, op: n.opType })) : []));
}

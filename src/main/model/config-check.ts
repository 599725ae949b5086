/**
 * config.json against the graph: a config from another size of the same family (2 layers on a 4-layer
 * graph) would otherwise silently analyse part of the model. The graph says its shape where exporters
 * make it plain: one `past_key_values.N.key` input per layer, the token embedding `Gather` on
 * `input_ids` ([vocab, hidden]), and the last dimension of `logits`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import type { OnnxGraph } from './onnx-graph.js';

/** What the graph shows of the model's shape; a field is absent where the graph does not show it. */
export interface GraphShape {
  numLayers?: { value: number; from: string };
  hiddenSize?: { value: number; from: string };
  vocabSize?: { value: number; from: string };
}

export function graphShape(g: OnnxGraph): GraphShape {
  const shape: GraphShape = {};
  const layers = g.inputs.flatMap((i) => {
    const m = /^past_key_values\.(\d+)\.key$/.exec(i.name);
    return m ? [Number(m[1])] : [];
  });
  if (layers.length) shape.numLayers = { value: Math.max(...layers) + 1, from: `past_key_values.0–${Math.max(...layers)} inputs` };
  const embedding = g.nodes
    .filter((n) => n.opType === 'Gather' && n.inputs[1] === 'input_ids')
    .map((n) => g.initializers.get(n.inputs[0]!))
    .find((w) => w?.dims.length === 2);
  if (embedding) {
    shape.hiddenSize = { value: embedding.dims[1]!, from: `token embedding ${embedding.name} [${embedding.dims.join(', ')}]` };
    shape.vocabSize = { value: embedding.dims[0]!, from: `token embedding ${embedding.name} [${embedding.dims.join(', ')}]` };
  }
  const logits = g.outputs.find((o) => o.name === 'logits')?.shape.at(-1);
  if (typeof logits === 'number' && logits > 0) shape.vocabSize = { value: logits, from: 'the logits output' };
  return shape;
}

/** UserError naming both values when the config's layers, hidden size or vocabulary disagree with the graph. */
export function checkConfigAgainstGraph(
  modelDir: string,
  config: { numLayers: number; hiddenSize: number; vocabSize: number },
  g: OnnxGraph,
): void {
  const configFile = existsSync(join(modelDir, 'config.json')) ? 'config.json' : 'genai_config.json';
  const shape = graphShape(g);
  const fields: [keyof GraphShape, string][] = [
    ['numLayers', 'layers'],
    ['hiddenSize', 'hidden size'],
    ['vocabSize', 'vocabulary size'],
  ];
  for (const [field, what] of fields) {
    const seen = shape[field];
    if (seen && seen.value !== config[field]) {
      throw new UserError(
        `${configFile} gives ${config[field]} as the ${what}, but the ONNX graph has ${seen.value} (from ${seen.from}).`,
        'The config and the graph come from different models: use the config.json (or genai_config.json) exported with this model.onnx.',
      );
    }
  }
}

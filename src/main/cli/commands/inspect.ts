import type { Command } from 'commander';
import { layerTensors } from '../../model/graph-listing.js';
import { join } from 'node:path';
import { describeModel } from '../../model/model-description.js';
import { listVariants } from '../../model/model-folder.js';
import { addModelOptions, output, parseIntOption, type ModelOptions, type OutputOptions } from '../common.js';

export function registerInspect(program: Command): void {
  addModelOptions(program.command('inspect').argument('<dir>', 'model folder').description('show a model\'s shape, tap points and inputs/outputs'))
    .option('--tensors <layer>', 'list the graph tensors of this layer (to find names for --tap); works even when tap discovery fails', parseIntOption('--tensors', 0))
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & { tensors?: number }) => {
      if (o.tensors !== undefined) {
        const tensors = layerTensors(dir, o.tensors);
        output(o, { layer: o.tensors, tensors }, () => tensors.map((t) => `${t.op.padEnd(24)} ${t.name}`).join('\n') || `no nodes named for layer ${o.tensors}`);
        return;
      }
      // The graph alone: no onnxruntime session, no weights read (the hash shows once a run computed it).
      const d = await describeModel(
        dir,
        { ...(o.tap?.length ? { taps: o.tap } : {}), ...(o.arch ? { arch: o.arch } : {}), ...(o.variant !== undefined ? { variant: o.variant } : {}), ...(o.file !== undefined ? { file: o.file } : {}) },
        'inspect',
      );
      const variants = listVariants(d.info.dir);
      {
        const i = d.info;
        const value = {
          dir: i.dir,
          onnx: i.onnxPath,
          architecture: i.architecture,
          model_type: i.modelType,
          layers: i.numLayers,
          hidden_size: i.hiddenSize,
          intermediate_size: i.intermediateSize,
          vocab_size: i.vocabSize,
          heads: i.numHeads,
          kv_heads: i.numKvHeads,
          head_dim: i.headDim,
          max_positions: i.maxPositions,
          norm: i.normKind,
          hash: d.hash,
          tap_points: i.taps.map((t) => ({ name: t.name, onnx_name: t.onnxName, width: t.width, found_by: t.foundBy })),
          inputs: i.inputs,
          outputs: i.outputs,
          variants: variants.map((v) => ({ name: v.name, file: v.file, bytes: v.bytes, current: join(d.info.dir, v.file) === i.onnxPath })),
        };
        output(o, value, () =>
          [
            `${i.architecture} (${i.modelType}) — ${i.numLayers} layers, hidden ${i.hiddenSize}, MLP ${i.intermediateSize}, vocab ${i.vocabSize}, heads ${i.numHeads}/${i.numKvHeads} kv, context ${i.maxPositions}`,
            `norm: ${i.normKind}   hash: ${d.hash ? d.hash.slice(0, 16) : '(computed on the first run)'}`,
            `inputs: ${i.inputs.join(', ')}`,
            `outputs: ${i.outputs.join(', ')}`,
            `variants: ${variants.map((v) => `${join(d.info.dir, v.file) === i.onnxPath ? '*' : ''}${v.name} (${v.file}, ${(v.bytes / 2 ** 20).toFixed(1)} MiB)`).join(', ')}   (--variant NAME)`,
            'tap points:',
            ...i.taps.map((t) => `  ${t.name.padEnd(14)} ${String(t.width).padStart(6)}  ${t.onnxName}  (${t.foundBy})`),
          ].join('\n'),
        );
      }
    });
}

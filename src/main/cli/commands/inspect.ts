import type { Command } from 'commander';
import { inspectModel, layerTensorNames } from '../../api/index.js';
import { addModelOptions, output, parseIntOption, type ModelOptions, type OutputOptions } from '../common.js';
import { withoutUndefined } from '../../../shared/without-undefined.js';

export function registerInspect(program: Command): void {
  addModelOptions(program.command('inspect').argument('<dir>', 'model folder').description('show a model\'s shape, tap points and inputs/outputs'))
    .option('--tensors <layer>', 'list the graph tensors of this layer (to find names for --tap); works even when tap discovery fails', parseIntOption('--tensors', 0))
    .option('--json', 'print JSON')
    .action(async (dir: string, o: ModelOptions & OutputOptions & { tensors?: number }) => {
      if (o.tensors !== undefined) {
        const tensors = layerTensorNames(dir, o.tensors);
        output(o, { layer: o.tensors, tensors }, () => tensors.map((t) => `${t.op.padEnd(24)} ${t.name}`).join('\n') || `no nodes named for layer ${o.tensors}`);
        return;
      }
      // The graph alone: no onnxruntime session, no weights read (the hash shows once a run computed it).
      const d = await inspectModel(dir, withoutUndefined({ taps: o.tap, arch: o.arch, variant: o.variant, file: o.file }));
      output(o, d, () =>
        [
          `${d.architecture} (${d.modelType}) — ${d.numLayers} layers, hidden ${d.hiddenSize}, MLP ${d.intermediateSize}, vocab ${d.vocabSize}, heads ${d.numHeads}/${d.numKvHeads} kv, context ${d.maxPositions}`,
          `dtype: ${d.dtype}   norm: ${d.normKind}   hash: ${d.hash ? d.hash.slice(0, 16) : '(computed on the first run)'}`,
          `inputs: ${d.inputs.join(', ')}`,
          `outputs: ${d.outputs.join(', ')}`,
          `variants: ${d.variants.map((v) => `${v.current ? '*' : ''}${v.name} (${v.file}, ${(v.bytes / 2 ** 20).toFixed(1)} MiB)`).join(', ')}   (--variant NAME)`,
          'tap points:',
          ...d.taps.map((t) => `  ${t.name.padEnd(14)} ${String(t.width).padStart(6)}  ${t.onnxName}  (${t.foundBy})`),
        ].join('\n'),
      );
    });
}

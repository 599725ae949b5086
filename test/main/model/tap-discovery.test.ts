import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openModelFolder } from '../../../src/main/model/model-folder.js';
import { readOnnxGraph } from '../../../src/main/model/onnx-graph.js';
import { readVarint, Writer } from '../../../src/main/model/protobuf.js';
import { discoverTaps, parseTapOverride } from '../../../src/main/model/tap-discovery.js';
import { isUserError } from '../../../src/shared/errors.js';
import { testModelDir } from '../../helpers/fixtures.js';
import { fixturesDir } from '../../helpers/paths.js';

const folder = openModelFolder(testModelDir);
const graph = readOnnxGraph(readFileSync(folder.onnxPath));
const c = folder.config;
const dims = { numLayers: c.numLayers, hiddenSize: c.hiddenSize, intermediateSize: c.intermediateSize!, vocabSize: c.vocabSize };

describe('tap discovery', () => {
  it('finds every tap by exporter name, and the head', () => {
    const { taps, head, embedding } = discoverTaps(graph, dims);
    assert.equal(embedding, '/model/embed_tokens/Gather_output_0');
    // Snapshot of the names: an accidental rename breaks this.
    assert.deepEqual(
      taps.map((t) => `${t.name}=${t.onnxName}`),
      [
        ...[...Array(dims.numLayers).keys()].flatMap((i) => [`resid_post.${i}=/model/layers.${i}/Add_1_output_0`, `mlp_act.${i}=/model/layers.${i}/mlp/act_fn/Mul_output_0`]),
        'final_norm=/model/norm/Mul_1_output_0',
      ],
    );
    assert.ok(head);
    assert.equal(head.logitsNode.opType, 'MatMul');
    assert.deepEqual(graph.initializers.get(head.unembedding!)?.dims, [dims.hiddenSize, dims.vocabSize]);
  });

  it('a graph whose logits do not come from a [hidden, vocab] MatMul keeps its head as nodes from the final norm to the logits', () => {
    // Rename the unembedding weight's use so the MatMul reads a tensor of unknown shape, as a quantized export would.
    const { head } = discoverTaps(graph, dims);
    const unembedding = head!.unembedding;
    const quantized = {
      ...graph,
      nodes: graph.nodes.map((n) => (n === head!.logitsNode ? { ...n, inputs: [n.inputs[0]!, 'dequantized_weight'] } : n)),
      initializers: new Map([...graph.initializers].filter(([name]) => name !== unembedding)),
    };
    const r = discoverTaps(quantized, dims);
    assert.equal(r.head!.unembedding, null);
    assert.equal(r.head!.finalNorm, head!.finalNorm);
    assert.deepEqual(r.head!.nodes.map((n) => n.name), [head!.logitsNode.name]);
    assert.equal(r.taps.length, 2 * dims.numLayers + 1);
    assert.equal(r.taps.find((t) => t.kind === 'final_norm')?.onnxName, head!.finalNorm);
  });

  it('the node pattern alone finds the same tensors (for exporters with other names)', () => {
    const byName = discoverTaps(graph, dims).taps;
    const byPattern = discoverTaps(graph, dims, [], 'pattern').taps;
    assert.deepEqual(
      byPattern.map((t) => t.onnxName),
      byName.map((t) => t.onnxName),
    );
    assert.ok(byPattern.filter((t) => t.kind !== 'final_norm').every((t) => t.foundBy === 'pattern'));
  });

  it('user overrides win, with {i} expanding per layer', () => {
    const { taps } = discoverTaps(graph, dims, [parseTapOverride('mlp_act=/model/layers.{i}/mlp/Mul_output_0')]);
    const act = taps.filter((t) => t.kind === 'mlp_act');
    assert.deepEqual(
      act.map((t) => t.onnxName),
      [...Array(dims.numLayers).keys()].map((i) => `/model/layers.${i}/mlp/Mul_output_0`),
    );
    assert.ok(act.every((t) => t.foundBy === 'user'));
  });

  it('malformed overrides are user errors', () => {
    for (const bad of ['mlp_act', '=x', 'attn.3=/x', 'resid_post.1=']) assert.throws(() => parseTapOverride(bad), isUserError);
  });
});

describe('protobuf varints', () => {
  it('round-trip small, large and negative int64 values', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 40 + 5, -1, -2, -(2 ** 31)]) {
      const bytes = new Writer().varint(v).finish();
      assert.deepEqual(readVarint(bytes, 0), [v, bytes.length], String(v));
    }
  });
});

describe('tap discovery on other exporters\' graphs (GPT-2, Gemma, Qwen2 fixtures)', () => {
  for (const arch of ['gpt2', 'gemma', 'qwen2']) {
    it(`${arch}: the node pattern alone finds the taps, and decides where a name misleads`, () => {
      const f = openModelFolder(join(fixturesDir, 'arch', arch));
      const g = readOnnxGraph(readFileSync(f.onnxPath));
      const d = { numLayers: f.config.numLayers, hiddenSize: f.config.hiddenSize, intermediateSize: f.config.intermediateSize!, vocabSize: f.config.vocabSize };
      const auto = discoverTaps(g, d).taps.map((t) => t.onnxName);
      assert.deepEqual(discoverTaps(g, d, [], 'pattern').taps.map((t) => t.onnxName), auto);
      if (arch === 'gemma') assert.equal(auto[1], '/model/layers.0/mlp/act_fn/Mul_5_output_0');
      // Hugging Face's hidden_states[0]: what block 0 adds to (Gemma's embedding × √d, GPT-2's token + position embeddings)
      const embedding = discoverTaps(g, d).embedding!;
      const producer = g.nodes.find((n) => n.outputs.includes(embedding))!;
      assert.equal(producer.opType, { gpt2: 'Add', gemma: 'Mul', qwen2: 'Gather' }[arch]);
    });
  }
});

describe('tap discovery on onnxruntime-genai builder Gemma-2 graphs (float and int4)', () => {
  for (const file of ['model.onnx', 'model_q4.onnx']) {
    it(`${file}: the pattern alone finds the taps; the softcapped head is kept as nodes for the lens`, () => {
      const f = openModelFolder(join(fixturesDir, 'genai', 'gemma2'), { file });
      const g = readOnnxGraph(readFileSync(f.onnxPath));
      const d = { numLayers: f.config.numLayers, hiddenSize: f.config.hiddenSize, intermediateSize: 160, vocabSize: f.config.vocabSize };
      const auto = discoverTaps(g, d);
      assert.deepEqual(discoverTaps(g, d, [], 'pattern').taps.map((t) => t.onnxName), auto.taps.map((t) => t.onnxName));
      assert.equal(auto.head!.unembedding, null);
      const matmul = file === 'model.onnx' ? 'MatMul' : 'MatMulNBits';
      assert.deepEqual(auto.head!.nodes.map((n) => n.opType), [matmul, 'Div', 'Tanh', 'Mul']);
      assert.deepEqual(auto.sumOutputs.map((o) => o.nodeName), ['/model/layers.4/final_norm_layernorm/SkipLayerNorm']);
    });
  }
});

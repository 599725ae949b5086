"""Dev-time: a bfloat16 variant of the Qwen2 architecture fixture, with its own torch reference.

Run: /usr/bin/python3 scripts/make_bf16_fixture.py   (after make_arch_fixtures.py and make_genai_fixture.py)
Writes test/fixtures/arch/qwen2-bf16/: model_bf16.onnx (the `bf16` variant, as Optimum names it),
config and tokenizer copies, and reference.json; and test/fixtures/genai/llama-bf16/: the genai-builder
fixture in bfloat16 (model.onnx beside its genai_config.json, as the builder's bf16 folders hold it:
GroupQueryAttention, SkipSimplifiedLayerNormalization and their rotary caches in bf16) with its reference.

The graph is test/fixtures/arch/qwen2/model.onnx converted the way a bf16 export looks (torch model in
bfloat16, then exported): float initializers, graph inputs/outputs (logits, past/present key/values),
Constant/ConstantOfShape values and Casts to float all become bfloat16 (round to nearest even).

The reference (same layout as the qwen2 one) is torch in float32 with every parameter and buffer
rounded to bfloat16: the numbers a bf16 checkpoint gives when its weights are widened to float32,
which is exactly what Babelscope does on CPU (onnxruntime's CPU provider has no bfloat16 arithmetic
kernels). bf16 -> float32 is exact, so only the graph's own constants rounded to bf16 (epsilon, rotary
frequencies, scale factors: relative error <= 2^-9) separate the two; on a GPU computing in bf16 each
op rounds to an 8-bit mantissa (relative 2^-9 ~ 0.2%), which the CUDA test allows for.
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "test", "fixtures", "arch", "qwen2")
DST = os.path.join(ROOT, "test", "fixtures", "arch", "qwen2-bf16")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import make_arch_fixtures as arch  # noqa: E402


def bf16_bits(arr):
    """float32 array -> uint16 bfloat16 bit patterns, round to nearest even (torch's conversion). Values are
    clipped to bf16's finite range first: float32's finfo.min (the exporter's mask value) would round to -inf,
    where a bf16 export uses bfloat16's own finfo.min."""
    bf16_max = float(torch.finfo(torch.bfloat16).max)
    t = torch.from_numpy(np.array(np.clip(np.array(arr, dtype=np.float32), -bf16_max, bf16_max), dtype=np.float32)).to(torch.bfloat16)
    return t.view(torch.int16).numpy().view(np.uint16)


def to_bf16(t):
    arr = numpy_helper.to_array(t)
    out = TensorProto()
    out.name = t.name
    out.dims.extend(arr.shape)
    out.data_type = TensorProto.BFLOAT16
    out.raw_data = bf16_bits(arr).astype("<u2").tobytes()
    return out


def convert_graph(path, check=True):
    m = onnx.load(path)
    g = m.graph
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT:
            init.CopyFrom(to_bf16(init))
    for vi in list(g.input) + list(g.output):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.BFLOAT16
    for n in g.node:
        for a in n.attribute:
            if n.op_type in ("Constant", "ConstantOfShape") and a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(to_bf16(a.t))
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.BFLOAT16
    del g.value_info[:]
    if check:  # (the checker does not know the com.microsoft ops of the genai graph)
        onnx.checker.check_model(m)
    return m


@torch.no_grad()
def reference():
    torch.set_num_threads(1)
    src = json.load(open(os.path.join(SRC, "reference.json"), encoding="utf-8"))
    model, cfg = arch.build("qwen2")
    # The rebuilt model is the fixture's: its float32 logits match the committed reference.
    t0 = src["texts"][0]
    logits = model(*arch.collate([t0["input_ids"]]), *arch.empty_past(cfg, 1))[0][0]
    want = np.frombuffer(__import__("base64").b64decode(t0["logits"]["data"]), dtype="<f4").reshape(logits.shape)
    assert np.abs(logits.numpy() - want).max() < 1e-4, "rebuilt qwen2 differs from the fixture"
    for p in list(model.parameters()) + list(model.buffers()):
        if p.dtype == torch.float32:
            p.copy_(p.to(torch.bfloat16).to(torch.float32))
    texts = [arch.reference_for_text(model, cfg, t["lang"], t["text"], t["input_ids"], t["tokens"])[0] for t in src["texts"]]
    g_ids, g_probs = arch.greedy(model, cfg, texts[0]["input_ids"], arch.GREEDY_STEPS)
    return {
        "model": "arch/qwen2-bf16: arch/qwen2 with bfloat16 weights",
        "config": src["config"],
        "encoding": "base64 little-endian float32",
        "notes": "torch float32 with every parameter and buffer rounded to bfloat16; " + src["notes"],
        "texts": texts,
        "greedy": {"lang": texts[0]["lang"], "prompt": texts[0]["text"], "prompt_ids": texts[0]["input_ids"],
                   "generated_ids": g_ids, "generated_probs": g_probs,
                   "note": f"{arch.GREEDY_STEPS} argmax steps, full recompute, no eos stop"},
        "ablation": arch.ablation_reference(model, texts[0]["input_ids"]),
    }


def round_bf16(t):
    return t.to(torch.bfloat16).to(torch.float32)


@torch.no_grad()
def genai_fixture():
    import make_genai_fixture as gen
    src, dst = gen.OUT, gen.OUT + "-bf16"
    m = convert_graph(os.path.join(src, "model.onnx"), check=False)
    w = gen.weights()
    w = {k: ([{n: round_bf16(x) for n, x in lw.items()} for lw in v] if k == "layers" else round_bf16(v)) for k, v in w.items()}
    texts = gen.reference_texts(w)
    prompt = gen.TEXTS[0][1][:5]
    seq = list(prompt)
    for _ in range(6):
        seq.append(int(gen.forward(w, seq)[0][-1].argmax()))
    ref = {"config": {"num_hidden_layers": gen.L, "hidden_size": gen.H, "intermediate_size": gen.I, "vocab_size": gen.V},
           "notes": "torch float32 with every weight and rotary cache rounded to bfloat16", "texts": texts,
           "greedy": {"prompt": "", "prompt_ids": prompt, "generated_ids": seq[len(prompt):]}}
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    onnx.save(m, os.path.join(dst, "model.onnx"))
    for f in ("genai_config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(src, f), os.path.join(dst, f))
    with open(os.path.join(dst, "reference.json"), "w") as f:
        json.dump(ref, f)
    print("wrote", dst, {n: os.path.getsize(os.path.join(dst, n)) for n in sorted(os.listdir(dst))})


def main():
    m = convert_graph(os.path.join(SRC, "model.onnx"))
    ref = reference()
    if os.path.isdir(DST):
        shutil.rmtree(DST)
    os.makedirs(DST)
    onnx.save(m, os.path.join(DST, "model_bf16.onnx"))
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(SRC, f), os.path.join(DST, f))
    with open(os.path.join(DST, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False)
    print("wrote", DST, {n: os.path.getsize(os.path.join(DST, n)) for n in sorted(os.listdir(DST))})
    genai_fixture()


if __name__ == "__main__":
    main()

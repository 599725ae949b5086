#!/usr/bin/env python3
"""Make a tiny onnxruntime-genai model-builder style Llama fixture and its torch reference.

Dev-time script for Babelscope. The graph uses the ops and node/tensor names of onnxruntime-genai's
model builder (src/python/py/models/builder.py / builders/base.py): ``SimplifiedLayerNormalization``
for layer 0's input norm, ``com.microsoft.SkipSimplifiedLayerNormalization`` for every later norm
(``/model/layers.{i}/input_layernorm/SkipLayerNorm``, ``.../post_attention_layernorm/SkipLayerNorm``,
``/model/layers.{L}/final_norm_layernorm/SkipLayerNorm`` whose residual sum ``output_3`` is not
produced), ``com.microsoft.GroupQueryAttention`` with in-op rotary (``cos_cache``/``sin_cache``) fed
``seqlens_k``/``total_sequence_length`` computed from ``attention_mask``, the SiLU MLP
(``/model/layers.{i}/mlp/act_fn/Mul/output_0``), ``/lm_head/MatMul``, and a ``genai_config.json``.
No position_ids input, as in the builder's Llama exports.

The reference is computed in torch from the same weights with plain ops (RMS norm, rotate-half
rotary, causal grouped-query attention, SiLU MLP): logits, resid_post [layers, seq, hidden], mlp_act,
final_norm, the logit lens top-5, and a greedy continuation. Same JSON layout as
test/fixtures/tiny-babel-reference.json (tokens are left empty: the ids are given).

    /usr/bin/python3 scripts/make_genai_fixture.py    # writes test/fixtures/genai/llama/
"""

import base64
import json
import os
import shutil

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "test", "fixtures", "genai", "llama")
V, H, NH, KVH, I, L, CTX, EPS = 3072, 64, 4, 2, 128, 3, 128, 1e-6
HD = H // NH
SEED = 20251202
TEXTS = [("eng", [1, 412, 87, 903, 15, 2301, 66, 7, 1200, 48]), ("rus", [1, 1800, 2222, 9, 350, 611, 2900])]


def b64f32(t):
    a = t.detach().to(torch.float32).contiguous().numpy()
    return {"shape": list(a.shape), "dtype": "float32", "data": base64.b64encode(a.tobytes()).decode()}


def weights():
    g = torch.Generator().manual_seed(SEED)
    n = lambda *s, std=0.08: torch.randn(*s, generator=g) * std
    w = {"embed": n(V, H, std=0.5), "norm": 1 + n(H, std=0.1), "lm_head": n(H, V, std=0.15), "layers": []}
    for _ in range(L):
        w["layers"].append({
            "in_norm": 1 + n(H, std=0.1), "post_norm": 1 + n(H, std=0.1),
            "q": n(H, NH * HD), "k": n(H, KVH * HD), "v": n(H, KVH * HD), "o": n(NH * HD, H),
            "gate": n(H, I, std=0.15), "up": n(H, I, std=0.15), "down": n(I, H, std=0.1),
        })
    inv = 1.0 / (10000.0 ** (torch.arange(0, HD, 2).float() / HD))
    freqs = torch.outer(torch.arange(CTX).float(), inv)
    w["cos"], w["sin"] = torch.cos(freqs), torch.sin(freqs)  # [CTX, HD/2]
    return w


def quantize_q4(weight, block=32):
    """MatMulNBits (bits 4, no zero points: 8) of a [K, N] weight: B [N, K/block, block/2] uint8, scales [N * K/block]."""
    wt = weight.T.contiguous().numpy()  # [N, K]
    n, k = wt.shape
    blocks = wt.reshape(n, k // block, block)
    scales = np.maximum(np.abs(blocks).max(-1), 1e-8) / 7.0
    q = np.clip(np.round(blocks / scales[..., None]) + 8, 0, 15).astype(np.uint8)
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    deq = ((q.astype(np.float32) - 8) * scales[..., None]).reshape(n, k).T
    return packed, scales.astype(np.float32).reshape(-1), torch.from_numpy(np.ascontiguousarray(deq))


def build_graph(w, q4_head=False, int8_head=False):
    nodes, inits = [], []

    def init(name, t, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.asarray(t, dtype=dtype), name))
        return name

    def node(op, ins, outs, name, domain="", **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=name, domain=domain, **attrs))
        return outs[0]

    def matmul(x, weight_name, t, prefix):
        init(weight_name, t.numpy())
        return node("MatMul", [x, weight_name], [f"{prefix}/MatMul/output_0"], f"{prefix}/MatMul")

    # attention mask → seqlens_k (int32 [B]) and total_sequence_length (int32 scalar), as the builder does
    p = "/model/attn_mask_reformat/attn_mask_subgraph"
    init(f"{p}/one", np.array([1], dtype=np.int64), np.int64)
    node("ReduceSum", ["attention_mask", f"{p}/one"], [f"{p}/ReduceSum/output_0"], f"{p}/ReduceSum", keepdims=0)
    node("Sub", [f"{p}/ReduceSum/output_0", f"{p}/one"], [f"{p}/Sub/output_0"], f"{p}/Sub")
    node("Cast", [f"{p}/Sub/output_0"], [f"{p}/Sub/Cast/output_0"], f"{p}/Sub/Cast", to=TensorProto.INT32)
    node("Shape", ["attention_mask"], [f"{p}/Shape/output_0"], f"{p}/Shape")
    init(f"{p}/index_one", np.array(1, dtype=np.int64), np.int64)
    node("Gather", [f"{p}/Shape/output_0", f"{p}/index_one"], [f"{p}/Gather/output_0"], f"{p}/Gather", axis=0)
    node("Cast", [f"{p}/Gather/output_0"], [f"{p}/Gather/Cast/output_0"], f"{p}/Gather/Cast", to=TensorProto.INT32)
    seqlens_k, total_len = f"{p}/Sub/Cast/output_0", f"{p}/Gather/Cast/output_0"
    init("cos_cache", w["cos"].numpy())
    init("sin_cache", w["sin"].numpy())

    if q4_head:
        # 4-bit block-quantized embedding, as the builder's int4 exports with a shared/quantized embedding
        packed, scales, _ = quantize_q4(w["embed"].T.contiguous())  # rows = tokens: [V, H/32, 16]
        init("model.embed_tokens.weight_Q4", packed.reshape(V, H // 2), np.uint8)
        init("model.embed_tokens.weight_scales", scales.reshape(V, H // 32))
        x = node("GatherBlockQuantized", ["model.embed_tokens.weight_Q4", "input_ids", "model.embed_tokens.weight_scales"], ["/model/embed_tokens/GatherBlockQuantized/output_0"],
                 "/model/embed_tokens/GatherBlockQuantized", domain="com.microsoft", gather_axis=0, quantize_axis=1, block_size=32, bits=4)
    else:
        init("model.embed_tokens.weight", w["embed"].numpy())
        x = node("Gather", ["model.embed_tokens.weight", "input_ids"], ["/model/embed_tokens/Gather/output_0"], "/model/embed_tokens/Gather")
    skip = None  # the previous block's MLP output, added by the next SkipSimplifiedLayerNormalization
    for i, lw in enumerate(w["layers"]):
        pre = f"/model/layers.{i}"
        init(f"model.layers.{i}.input_layernorm.weight", lw["in_norm"].numpy())
        if i == 0:
            normed = node("SimplifiedLayerNormalization", [x, f"model.layers.{i}.input_layernorm.weight"], [f"{pre}/input_layernorm/output_0"],
                          f"{pre}/input_layernorm/LayerNorm", axis=-1, epsilon=EPS, stash_type=1)
        else:
            outs = [f"{pre}/input_layernorm/output_0", "", "", f"{pre}/input_layernorm/output_3"]
            node("SkipSimplifiedLayerNormalization", [x, skip, f"model.layers.{i}.input_layernorm.weight"], outs,
                 f"{pre}/input_layernorm/SkipLayerNorm", domain="com.microsoft", epsilon=EPS)
            normed, x = outs[0], outs[3]
        q = matmul(normed, f"model.layers.{i}.attn.q_proj.MatMul.weight", lw["q"], f"{pre}/attn/q_proj")
        k = matmul(normed, f"model.layers.{i}.attn.k_proj.MatMul.weight", lw["k"], f"{pre}/attn/k_proj")
        v = matmul(normed, f"model.layers.{i}.attn.v_proj.MatMul.weight", lw["v"], f"{pre}/attn/v_proj")
        attn = node("GroupQueryAttention", [q, k, v, f"past_key_values.{i}.key", f"past_key_values.{i}.value", seqlens_k, total_len, "cos_cache", "sin_cache"],
                    [f"{pre}/attn/GroupQueryAttention/output_0", f"present.{i}.key", f"present.{i}.value"], f"{pre}/attn/GroupQueryAttention",
                    domain="com.microsoft", num_heads=NH, kv_num_heads=KVH, do_rotary=1, rotary_interleaved=0, scale=1.0 / HD ** 0.5)
        o = matmul(attn, f"model.layers.{i}.attn.o_proj.MatMul.weight", lw["o"], f"{pre}/attn/o_proj")
        init(f"model.layers.{i}.post_attention_layernorm.weight", lw["post_norm"].numpy())
        outs = [f"{pre}/post_attention_layernorm/output_0", "", "", f"{pre}/post_attention_layernorm/output_3"]
        node("SkipSimplifiedLayerNormalization", [x, o, f"model.layers.{i}.post_attention_layernorm.weight"], outs,
             f"{pre}/post_attention_layernorm/SkipLayerNorm", domain="com.microsoft", epsilon=EPS)
        normed, x = outs[0], outs[3]
        gate = matmul(normed, f"model.layers.{i}.mlp.gate_proj.MatMul.weight", lw["gate"], f"{pre}/mlp/gate_proj")
        sig = node("Sigmoid", [gate], [f"{pre}/mlp/act_fn/Sigmoid/output_0"], f"{pre}/mlp/act_fn/Sigmoid")
        act = node("Mul", [gate, sig], [f"{pre}/mlp/act_fn/Mul/output_0"], f"{pre}/mlp/act_fn/Mul")
        up = matmul(normed, f"model.layers.{i}.mlp.up_proj.MatMul.weight", lw["up"], f"{pre}/mlp/up_proj")
        prod = node("Mul", [act, up], [f"{pre}/mlp/Mul/output_0"], f"{pre}/mlp/Mul")
        skip = matmul(prod, f"model.layers.{i}.mlp.down_proj.MatMul.weight", lw["down"], f"{pre}/mlp/down_proj")
    init("model.norm.weight", w["norm"].numpy())
    final = node("SkipSimplifiedLayerNormalization", [x, skip, "model.norm.weight"], [f"/model/layers.{L}/final_norm_layernorm/output_0"],
                 f"/model/layers.{L}/final_norm_layernorm/SkipLayerNorm", domain="com.microsoft", epsilon=EPS)
    if int8_head:
        # Dynamic int8, as onnxruntime's quantize_dynamic writes it (the `_quantized` exports).
        wl = w["lm_head"].numpy()
        w_scale = np.float32(np.abs(wl).max() / 127.0)
        init("lm_head.weight_quantized", np.clip(np.round(wl / w_scale), -127, 127).astype(np.int8), np.int8)
        init("lm_head.weight_scale", np.array(w_scale, dtype=np.float32))
        init("lm_head.weight_zero_point", np.array(0, dtype=np.int8), np.int8)
        q = "/lm_head/MatMul_quant"
        node("DynamicQuantizeLinear", [final], [f"{q}/x_q", f"{q}/x_scale", f"{q}/x_zp"], f"{final}_QuantizeLinear")
        node("MatMulInteger", [f"{q}/x_q", "lm_head.weight_quantized", f"{q}/x_zp", "lm_head.weight_zero_point"], [f"{q}/int32"], "/lm_head/MatMul_quant")
        node("Cast", [f"{q}/int32"], [f"{q}/float"], "/lm_head/MatMul_quant_output_0_cast", to=TensorProto.FLOAT)
        node("Mul", [f"{q}/x_scale", "lm_head.weight_scale"], [f"{q}/scale"], "/lm_head/MatMul_quant_scales_mul")
        node("Mul", [f"{q}/float", f"{q}/scale"], ["logits"], "/lm_head/MatMul_quant_output_scale_mul")
    elif q4_head:
        packed, scales, _ = quantize_q4(w["lm_head"])
        init("lm_head.MatMul.weight_Q4", packed, np.uint8)
        init("lm_head.MatMul.weight_scales", scales)
        node("MatMulNBits", [final, "lm_head.MatMul.weight_Q4", "lm_head.MatMul.weight_scales"], ["logits"], "/lm_head/MatMul_Q4",
             domain="com.microsoft", K=H, N=V, bits=4, block_size=32, accuracy_level=0)
    else:
        init("lm_head.MatMul.weight", w["lm_head"].numpy())
        node("MatMul", [final, "lm_head.MatMul.weight"], ["logits"], "/lm_head/MatMul")

    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", V])]
    for i in range(L):
        for kv in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kv}", TensorProto.FLOAT, ["batch_size", KVH, "past_sequence_length", HD]))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{kv}", TensorProto.FLOAT, ["batch_size", KVH, "total_sequence_length", HD]))
    graph = helper.make_graph(nodes, "main_graph", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14), helper.make_opsetid("com.microsoft", 1)], producer_name="onnxruntime-genai")
    model.ir_version = 8
    return model


def rms(x, g):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * g


def rotary(x, pos, w):  # x [S, heads, HD]; rotate-half (non-interleaved), as GroupQueryAttention's do_rotary
    cos, sin = w["cos"][pos][:, None, :], w["sin"][pos][:, None, :]
    x1, x2 = x[..., : HD // 2], x[..., HD // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


@torch.no_grad()
def forward(w, ids, scales=None):
    S = len(ids)
    pos = torch.arange(S)
    x = w["embed"][torch.tensor(ids)]
    resid, acts = [], []
    mask = torch.full((S, S), float("-inf")).triu(1)
    for i, lw in enumerate(w["layers"]):
        h = rms(x, lw["in_norm"])
        q = rotary((h @ lw["q"]).view(S, NH, HD), pos, w)
        k = rotary((h @ lw["k"]).view(S, KVH, HD), pos, w)
        v = (h @ lw["v"]).view(S, KVH, HD)
        k, v = k.repeat_interleave(NH // KVH, dim=1), v.repeat_interleave(NH // KVH, dim=1)
        att = torch.einsum("qhd,khd->hqk", q, k) / HD ** 0.5 + mask
        o = torch.einsum("hqk,khd->qhd", F.softmax(att, -1), v).reshape(S, H) @ lw["o"]
        x = x + o
        h = rms(x, lw["post_norm"])
        gate = h @ lw["gate"]
        a = gate * torch.sigmoid(gate)
        acts.append(a.clone())
        if scales is not None and i in scales:
            a = a * scales[i]
        x = x + (a * (h @ lw["up"])) @ lw["down"]
        resid.append(x)
    final = rms(x, w["norm"])
    return final @ w["lm_head"], torch.stack(resid), torch.stack(acts), final


def reference_texts(w):
    """Per text: logits, every tap, and the logit lens top-5 (the final norm and head on each residual)."""
    texts = []
    for lang, ids in TEXTS:
        logits, resid, acts, final = forward(w, ids)
        lens = []
        for l in range(L):
            probs = F.softmax(rms(resid[l], w["norm"]) @ w["lm_head"], -1)
            top = torch.topk(probs, 5, -1)
            lens.append([{"ids": top.indices[t].tolist(), "probs": [round(float(x), 7) for x in top.values[t]]} for t in range(len(ids))])
        texts.append({"lang": lang, "text": "", "input_ids": ids, "tokens": [], "logits": b64f32(logits), "resid_post": b64f32(resid),
                      "mlp_act": b64f32(acts), "final_norm": b64f32(final), "lens": lens})
    return texts


def write_genai_config(out, model_type, ctx, vocab, head_size, hidden, heads, kv_heads, layers):
    """The builder's genai_config.json for a decoder at out/model.onnx, and the bundled model's tokenizer beside it."""
    genai = {"model": {
        "type": model_type, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0, "context_length": ctx, "vocab_size": vocab,
        "decoder": {"filename": "model.onnx", "head_size": head_size, "hidden_size": hidden, "num_attention_heads": heads,
                    "num_key_value_heads": kv_heads, "num_hidden_layers": layers,
                    "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
                               "past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value"},
                    "outputs": {"logits": "logits", "present_key_names": "present.%d.key", "present_value_names": "present.%d.value"}}},
        "search": {"max_length": ctx}}
    with open(os.path.join(out, "genai_config.json"), "w") as f:
        json.dump(genai, f, indent=2)
    src = os.path.join(REPO, "assets", "tiny-babel")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(src, name), os.path.join(out, name))


def main():
    torch.set_num_threads(1)
    w = weights()
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    model = build_graph(w)
    # (onnx.checker does not know the contrib ops; onnxruntime checks the graph when it loads it)
    onnx.save_model(model, os.path.join(OUT, "model.onnx"))
    # The same model with a 4-bit MatMulNBits unembedding (the q4 variant); its reference uses the dequantized head.
    onnx.save_model(build_graph(w, q4_head=True), os.path.join(OUT, "model_q4.onnx"))
    # … and with a dynamic int8 unembedding (the quantized variant); no reference: activations are quantized per call.
    onnx.save_model(build_graph(w, int8_head=True), os.path.join(OUT, "model_quantized.onnx"))
    write_genai_config(OUT, "llama", CTX, V, HD, H, NH, KVH, L)
    texts = reference_texts(w)
    prompt = TEXTS[0][1][:5]
    seq = list(prompt)
    for _ in range(6):
        seq.append(int(forward(w, seq)[0][-1].argmax()))
    scales = {1: torch.ones(I)}
    scales[1][:8] = 0
    ablated = forward(w, TEXTS[0][1], scales)
    ref = {"config": {"num_hidden_layers": L, "hidden_size": H, "intermediate_size": I, "vocab_size": V}, "texts": texts,
           "greedy": {"prompt": "", "prompt_ids": prompt, "generated_ids": seq[len(prompt):]},
           "ablation": {"layer": 1, "neurons": list(range(8)), "scale": 0.0, "logits": b64f32(ablated[0])}}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f)
    wq = dict(w, lm_head=quantize_q4(w["lm_head"])[2], embed=quantize_q4(w["embed"].T.contiguous())[2].T.contiguous())
    q4_texts = reference_texts(wq)
    with open(os.path.join(OUT, "reference_q4.json"), "w") as f:
        json.dump(dict(ref, texts=q4_texts), f)
    print(f"wrote {OUT}: {os.path.getsize(os.path.join(OUT, 'model.onnx'))} bytes")


if __name__ == "__main__":
    main()

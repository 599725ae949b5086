#!/usr/bin/env python3
"""Make a tiny onnxruntime-genai model-builder style Gemma-2 fixture and its torch reference.

Dev-time script for Babelscope. The graph follows the builder's Gemma2Model
(microsoft/onnxruntime-genai, src/python/py/models/builders/gemma.py and builders/base.py) op for op
and name for name, fp32 on CPU:

- embedding ``/model/embed_tokens/Gather`` scaled by ``/model/embed_tokens/Mul`` with the constant
  ``/model/constants/FLOAT/{round(sqrt(hidden), 2)}`` (GemmaModel: ``embed_attrs["scale"]``);
- every norm weight initializer holds ``weight + 1`` (``layernorm_attrs["add_offset"] = 1`` is added
  to the tensor in ``make_layernorm``: the graph has no Add for it);
- per layer (``Gemma2Model.make_layer``): ``input_layernorm`` (SimplifiedLayerNormalization in layer 0,
  then SkipSimplifiedLayerNormalization adding the previous block's MLP output), attention,
  ``post_attention_layernorm`` (SimplifiedLayerNormalization of the attention output, off the residual),
  ``pre_feedforward_layernorm`` (SkipSimplifiedLayerNormalization: residual + normed attention, its
  output_3 is the mid-block residual), the MLP, ``post_feedforward_layernorm`` (SimplifiedLayerNormalization
  of the MLP output), whose output is the skip input of the next layer's input norm — so the residual
  after block i is ``/model/layers.{i+1}/input_layernorm/output_3`` as in Llama graphs, and the last one is
  the final norm's sum, which the builder does not output;
- attention: packed ``attn/qkv_proj/MatMul`` into ``com.microsoft.GroupQueryAttention`` with in-op rotary,
  ``scale = query_pre_attn_scalar ** -0.5``, ``softcap = attn_logit_softcapping`` and
  ``local_window_size = sliding_window`` on odd layers (``Gemma2Model.is_local``), -1 elsewhere;
- MLP: gelu_pytorch_tanh as ``/model/layers.{i}/mlp/act_fn/FastGelu`` (ONNX Gelu, approximate="tanh",
  opset 21) times ``up_proj``;
- head: ``/lm_head/MatMul`` then the final logit softcap ``/lm_head/softcap/Div`` → ``Tanh`` → ``Mul``;
- constants are Constant nodes ``/model/constant_nodes/{TYPE}/{value}`` (``make_constant``).

The reference is computed in torch from the same weights with plain ops (Gemma's (1 + w) RMS norms,
sqrt(hidden) embedding scale, sandwich norms, softcapped sliding-window grouped-query attention, gelu
tanh MLP, final logit softcap). A second graph, model_q4.onnx, is the builder's int4 CPU export:
every MatMul, the head under its softcap included, becomes a 4-bit MatMulNBits as onnxruntime's
MatMulNBitsQuantizer writes it (node ``<name>_Q4``, weights ``<weight>_Q4`` / ``<weight>_scales``, same
output names); its reference uses the dequantized weights. A third, model_fp16.onnx, is the float16
export: float16 weights and activations, but Gemma2Model's norms in float32 (``layernorm_attrs["cast"]``:
``use_fp32``, ``root_input``, ``output_0`` cast, ``output_3`` not), so the residual stream stays float32
between the fused norms while the logits are float16; the float32 reference is its (approximate) check.

    /usr/bin/python3 scripts/make_genai_gemma_fixture.py    # writes test/fixtures/genai/gemma2/
"""

import json
import os
import shutil

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

from make_genai_fixture import REPO, TEXTS, b64f32, quantize_q4, write_genai_config

OUT = os.path.join(REPO, "test", "fixtures", "genai", "gemma2")
# head_dim (32) is not hidden / heads (16), as in Gemma; NH * HD (128) differs from the MLP width on purpose.
V, H, NH, KVH, HD, I, L, CTX, EPS = 3072, 64, 4, 2, 32, 160, 4, 128, 1e-6
QUERY_PRE_ATTN_SCALAR = 24
SLIDING_WINDOW = 4  # small so the fixture's texts (up to 10 tokens) reach past it
ATTN_SOFTCAP = 2.0  # Gemma-2 uses 50 and 30; small here so both caps bend this tiny model's values
FINAL_SOFTCAP = 4.0
EMBED_SCALE = float(np.round(np.sqrt(H), decimals=2))  # GemmaModel: np.round(np.sqrt(self.hidden_size), decimals=2)
SEED = 20251203


def is_local(layer):  # Gemma2Model.is_local
    return layer % 2 == 1


def weights():
    g = torch.Generator().manual_seed(SEED)
    n = lambda *s, std=0.08: torch.randn(*s, generator=g) * std
    # Norm weights as Gemma stores them: offsets around 0, used as (1 + w).
    w = {"embed": n(V, H, std=0.06), "norm": n(H, std=0.1), "lm_head": n(H, V, std=0.15), "layers": []}
    for _ in range(L):
        w["layers"].append({
            "in_norm": n(H, std=0.1), "post_attn_norm": n(H, std=0.1), "pre_ff_norm": n(H, std=0.1), "post_ff_norm": n(H, std=0.1),
            "q": n(H, NH * HD, std=0.15), "k": n(H, KVH * HD, std=0.15), "v": n(H, KVH * HD), "o": n(NH * HD, H),
            "gate": n(H, I, std=0.15), "up": n(H, I, std=0.15), "down": n(I, H, std=0.1),
        })
    inv = 1.0 / (10000.0 ** (torch.arange(0, HD, 2).float() / HD))
    freqs = torch.outer(torch.arange(CTX).float(), inv)
    w["cos"], w["sin"] = torch.cos(freqs), torch.sin(freqs)  # [CTX, HD/2]
    return w


class Graph:
    """Nodes and initializers named as the builder names them; `/model/constants/...` inputs become Constant nodes."""

    def __init__(self, q4=False, fp16=False):
        self.nodes, self.inits, self.names, self.q4, self.fp16 = [], [], set(), q4, fp16
        self.io = np.float16 if fp16 else np.float32  # io_dtype: weights, activations, KV cache, logits
        self.io_name = "FLOAT16" if fp16 else "FLOAT"

    def init(self, name, t, dtype=None):
        self.inits.append(numpy_helper.from_array(np.asarray(t, dtype=dtype or self.io), name))
        return name

    def constant(self, name):
        _, _, _, dtype, value = name.split("/", 4)
        parsed = json.loads(value)
        np_dtype = {"FLOAT": np.float32, "FLOAT16": np.float16, "INT64": np.int64}[dtype]
        tensor = numpy_helper.from_array(np.array(parsed, dtype=np_dtype), name)
        self.node("Constant", [], [name], name.replace("constants", "constant_nodes"), value=tensor)

    def node(self, op, ins, outs, name, domain="", **attrs):
        if name in self.names:
            return outs[0]
        for i in ins:
            if i.startswith("/model/constants") and i.replace("constants", "constant_nodes") not in self.names:
                self.constant(i)
        self.nodes.append(helper.make_node(op, ins, outs, name=name, domain=domain, **attrs))
        self.names.add(name)
        return outs[0]

    def matmul(self, basename, x, weight):  # make_matmul_float: the weight is named after the node
        name = basename[1:].replace("/", ".") + ".weight"
        if not self.q4:
            self.init(name, weight.numpy())
            return self.node("MatMul", [x, name], [f"{basename}/output_0"], basename)
        packed, scales, _ = quantize_q4(weight)
        self.init(f"{name}_Q4", packed, np.uint8)
        self.init(f"{name}_scales", scales)
        k, n = weight.shape
        return self.node("MatMulNBits", [x, f"{name}_Q4", f"{name}_scales"], [f"{basename}/output_0"], f"{basename}_Q4",
                         domain="com.microsoft", K=k, N=n, bits=4, block_size=32, accuracy_level=0)


def build_graph(w, q4=False, fp16=False):
    g = Graph(q4, fp16)
    io_type = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
    # make_attention_mask_reformatting_for_gqa
    p = "/model/attn_mask_reformat/attn_mask_subgraph"
    g.node("ReduceSum", ["attention_mask", "/model/constants/INT64/[1]"], [f"{p}/ReduceSum/output_0"], f"{p}/ReduceSum", keepdims=0)
    g.node("Sub", [f"{p}/ReduceSum/output_0", "/model/constants/INT64/[1]"], [f"{p}/Sub/output_0"], f"{p}/Sub")
    seqlens_k = g.node("Cast", [f"{p}/Sub/output_0"], [f"{p}/Sub/Cast/output_0"], f"{p}/Sub/Cast", to=TensorProto.INT32)
    g.node("Shape", ["attention_mask"], [f"{p}/Shape/output_0"], f"{p}/Shape")
    g.node("Gather", [f"{p}/Shape/output_0", "/model/constants/INT64/1"], [f"{p}/Gather/output_0"], f"{p}/Gather", axis=0)
    total_len = g.node("Cast", [f"{p}/Gather/output_0"], [f"{p}/Gather/Cast/output_0"], f"{p}/Gather/Cast", to=TensorProto.INT32)
    g.init("cos_cache", w["cos"].numpy())
    g.init("sin_cache", w["sin"].numpy())

    # make_embedding, with GemmaModel's scale
    g.init("model.embed_tokens.weight", w["embed"].numpy())
    x = g.node("Gather", ["model.embed_tokens.weight", "input_ids"], ["/model/embed_tokens/Gather/output_0"], "/model/embed_tokens/Gather")
    x = g.node("Mul", [x, f"/model/constants/{g.io_name}/{EMBED_SCALE}"], ["/model/embed_tokens/Mul/output_0"], "/model/embed_tokens/Mul")
    if fp16:  # make_embedding: use_fp32 norms read a float32 residual
        x = g.node("Cast", [x], ["/model/embed_tokens/Cast/output_0"], "/model/embed_tokens/Cast", to=TensorProto.FLOAT)
    root, skip = x, x

    def layernorm(layer, location, weight, root_input, skip_input, use_skip, last=False):
        """make_layernorm: the weight is stored with Gemma's +1 folded in; returns (output_0, output_3).

        In float16 (make_layernorm_casts) the norm runs in float32: a float16 root input (the attention
        or MLP output of a post_* norm) is cast up, and output_0 is cast down except for the post_* norms,
        whose float32 output is the next fused norm's skip input; output_3 (the residual) stays float32."""
        wname = g.init(f"model.layers.{layer}.{location}_layernorm.weight", (weight + 1).numpy(), np.float32)
        base = f"/model/layers.{layer}/{location}_layernorm"
        name = f"{base}/{'Skip' if use_skip else ''}LayerNorm"
        out0, out3 = f"{base}/output_0", f"{base}/output_3"
        post = location.startswith("post_")
        if fp16 and post:
            root_input = g.node("Cast", [root_input], [f"{name}/root_input/Cast/output_0"], f"{name}/root_input/Cast", to=TensorProto.FLOAT)
        written0 = f"{name}/output_0/Cast/output_0" if fp16 and not post else out0
        if use_skip:
            outs = [written0] if last else [written0, "", "", out3]
            g.node("SkipSimplifiedLayerNormalization", [root_input, skip_input, wname], outs, name, domain="com.microsoft", epsilon=EPS)
        else:
            g.node("SimplifiedLayerNormalization", [root_input, wname], [written0], name, axis=-1, epsilon=EPS, stash_type=1)
        if written0 != out0:
            g.node("Cast", [written0], [out0], f"{name}/output_0/Cast", to=TensorProto.FLOAT16)
        return out0, (out3 if use_skip and not last else None)

    for i, lw in enumerate(w["layers"]):
        pre = f"/model/layers.{i}"
        normed, out3 = layernorm(i, "input", lw["in_norm"], root, skip, use_skip=i > 0)
        if out3:
            root = out3
        qkv = g.matmul(f"{pre}/attn/qkv_proj/MatMul", normed, torch.cat([lw["q"], lw["k"], lw["v"]], dim=1))
        attn = g.node("GroupQueryAttention",
                      [qkv, "", "", f"past_key_values.{i}.key", f"past_key_values.{i}.value", seqlens_k, total_len, "cos_cache", "sin_cache"],
                      [f"{pre}/attn/GroupQueryAttention/output_0", f"present.{i}.key", f"present.{i}.value"], f"{pre}/attn/GroupQueryAttention",
                      domain="com.microsoft", num_heads=NH, kv_num_heads=KVH, scale=QUERY_PRE_ATTN_SCALAR ** -0.5,
                      local_window_size=SLIDING_WINDOW if is_local(i) else -1, softcap=ATTN_SOFTCAP, do_rotary=1, rotary_interleaved=0)
        o = g.matmul(f"{pre}/attn/o_proj/MatMul", attn, lw["o"])
        # post_attention_layernorm normalises the attention output alone (root_input = skip_input, no skip)
        skip, _ = layernorm(i, "post_attention", lw["post_attn_norm"], o, None, use_skip=False)
        normed, root = layernorm(i, "pre_feedforward", lw["pre_ff_norm"], root, skip, use_skip=True)
        gate = g.matmul(f"{pre}/mlp/gate_proj/MatMul", normed, lw["gate"])
        up = g.matmul(f"{pre}/mlp/up_proj/MatMul", normed, lw["up"])
        act = g.node("Gelu", [gate], [f"{pre}/mlp/act_fn/FastGelu/output_0"], f"{pre}/mlp/act_fn/FastGelu", approximate="tanh")
        prod = g.node("Mul", [act, up], [f"{pre}/mlp/Mul/output_0"], f"{pre}/mlp/Mul")
        down = g.matmul(f"{pre}/mlp/down_proj/MatMul", prod, lw["down"])
        skip, _ = layernorm(i, "post_feedforward", lw["post_ff_norm"], down, None, use_skip=False)
    final, _ = layernorm(L, "final_norm", w["norm"], root, skip, use_skip=True, last=True)

    # make_lm_head: MatMul, then the final logit softcap Div → Tanh → Mul
    mm = g.matmul("/lm_head/MatMul", final, w["lm_head"])
    cap = f"/model/constants/{g.io_name}/{FINAL_SOFTCAP}"
    div = g.node("Div", [mm, cap], ["/lm_head/softcap/Div/output_0"], "/lm_head/softcap/Div")
    tanh = g.node("Tanh", [div], ["/lm_head/softcap/Tanh/output_0"], "/lm_head/softcap/Tanh")
    g.node("Mul", [tanh, cap], ["logits"], "/lm_head/softcap/Mul")

    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", io_type, ["batch_size", "sequence_length", V])]
    for i in range(L):
        for kv in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kv}", io_type, ["batch_size", KVH, "past_sequence_length", HD]))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{kv}", io_type, ["batch_size", KVH, "total_sequence_length", HD]))
    graph = helper.make_graph(g.nodes, "main_graph", inputs, outputs, g.inits)
    # The builder's opsets and IR version (Gelu's approximate attribute needs opset 20+).
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("com.microsoft", 1)], producer_name="onnxruntime-genai")
    model.ir_version = 10
    return model


def rms1(x, w):  # Gemma's RMS norm: (1 + w)
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * (1 + w)


def rotary(x, pos, w):  # x [S, heads, HD]; rotate-half, as GroupQueryAttention's do_rotary
    cos, sin = w["cos"][pos][:, None, :], w["sin"][pos][:, None, :]
    x1, x2 = x[..., : HD // 2], x[..., HD // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def softcap(x, cap):
    return cap * torch.tanh(x / cap)


@torch.no_grad()
def forward(w, ids, scales=None):
    S = len(ids)
    pos = torch.arange(S)
    x = w["embed"][torch.tensor(ids)] * EMBED_SCALE
    resid, acts = [], []
    q_i, k_i = pos[:, None], pos[None, :]
    for i, lw in enumerate(w["layers"]):
        h = rms1(x, lw["in_norm"])
        q = rotary((h @ lw["q"]).view(S, NH, HD), pos, w)
        k = rotary((h @ lw["k"]).view(S, KVH, HD), pos, w)
        v = (h @ lw["v"]).view(S, KVH, HD)
        k, v = k.repeat_interleave(NH // KVH, dim=1), v.repeat_interleave(NH // KVH, dim=1)
        att = softcap(torch.einsum("qhd,khd->hqk", q, k) * QUERY_PRE_ATTN_SCALAR ** -0.5, ATTN_SOFTCAP)
        # Causal; a local layer sees only the last local_window_size positions, itself included (what
        # onnxruntime 1.30's GroupQueryAttention does on CPU, and Hugging Face's sliding window).
        masked = (k_i > q_i) | ((q_i - k_i >= SLIDING_WINDOW) if is_local(i) else torch.zeros(S, S, dtype=torch.bool))
        att = att.masked_fill(masked, float("-inf"))
        o = torch.einsum("hqk,khd->qhd", F.softmax(att, -1), v).reshape(S, NH * HD) @ lw["o"]
        x = x + rms1(o, lw["post_attn_norm"])
        h = rms1(x, lw["pre_ff_norm"])
        a = F.gelu(h @ lw["gate"], approximate="tanh")
        acts.append(a.clone())
        if scales is not None and i in scales:
            a = a * scales[i]
        x = x + rms1((a * (h @ lw["up"])) @ lw["down"], lw["post_ff_norm"])
        resid.append(x)
    final = rms1(x, w["norm"])
    return softcap(final @ w["lm_head"], FINAL_SOFTCAP), torch.stack(resid), torch.stack(acts), final


def reference_texts(w):
    """Per text: logits, every tap, and the logit lens top-5 (final norm, head and its softcap on each residual)."""
    texts = []
    for lang, ids in TEXTS:
        logits, resid, acts, final = forward(w, ids)
        lens = []
        for l in range(L):
            probs = F.softmax(softcap(rms1(resid[l], w["norm"]) @ w["lm_head"], FINAL_SOFTCAP), -1)
            top = torch.topk(probs, 5, -1)
            lens.append([{"ids": top.indices[t].tolist(), "probs": [round(float(x), 7) for x in top.values[t]]} for t in range(len(ids))])
        texts.append({"lang": lang, "text": "", "input_ids": ids, "tokens": [], "logits": b64f32(logits), "resid_post": b64f32(resid),
                      "mlp_act": b64f32(acts), "final_norm": b64f32(final), "lens": lens})
    return texts


def dequantized(w):
    """The weights as the int4 graph multiplies by them (the packed q/k/v weight is quantized as one)."""
    deq = lambda t: quantize_q4(t)[2]
    layers = []
    for lw in w["layers"]:
        qkv = deq(torch.cat([lw["q"], lw["k"], lw["v"]], dim=1))
        q, k, v = qkv.split([NH * HD, KVH * HD, KVH * HD], dim=1)
        layers.append(dict(lw, q=q, k=k, v=v, o=deq(lw["o"]), gate=deq(lw["gate"]), up=deq(lw["up"]), down=deq(lw["down"])))
    return dict(w, lm_head=deq(w["lm_head"]), layers=layers)


def main():
    torch.set_num_threads(1)
    w = weights()
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    # (onnx.checker does not know the contrib ops; onnxruntime checks the graph when it loads it)
    onnx.save_model(build_graph(w), os.path.join(OUT, "model.onnx"))
    onnx.save_model(build_graph(w, q4=True), os.path.join(OUT, "model_q4.onnx"))
    onnx.save_model(build_graph(w, fp16=True), os.path.join(OUT, "model_fp16.onnx"))
    write_genai_config(OUT, "gemma2", CTX, V, HD, H, NH, KVH, L)
    texts = reference_texts(w)
    prompt = TEXTS[0][1][:5]
    seq = list(prompt)
    for _ in range(7):  # past the sliding window, so generation with a KV cache meets it
        seq.append(int(forward(w, seq)[0][-1].argmax()))
    scales = {1: torch.ones(I)}
    scales[1][:8] = 0
    ablated = forward(w, TEXTS[0][1], scales)
    ref = {"config": {"num_hidden_layers": L, "hidden_size": H, "intermediate_size": I, "vocab_size": V}, "texts": texts,
           "greedy": {"prompt": "", "prompt_ids": prompt, "generated_ids": seq[len(prompt):]},
           "ablation": {"layer": 1, "neurons": list(range(8)), "scale": 0.0, "logits": b64f32(ablated[0])}}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f)
    with open(os.path.join(OUT, "reference_q4.json"), "w") as f:
        json.dump(dict(ref, texts=reference_texts(dequantized(w))), f)
    print(f"wrote {OUT}: {os.path.getsize(os.path.join(OUT, 'model.onnx'))} bytes")


if __name__ == "__main__":
    main()

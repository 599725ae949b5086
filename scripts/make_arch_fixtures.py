#!/usr/bin/env python3
"""Make tiny random-weight GPT-2, Gemma and Qwen2 fixtures for the engine's architecture tests.

Dev-time script for Babelscope. For each architecture it hand-writes the Hugging Face module tree
(same module/attribute names as transformers, so the TorchScript ONNX exporter produces the node
names Optimum exports have), initialises it with random weights (fixed seed, scaled so activations
are not degenerate), exports it the way Optimum does (``text-generation-with-past``: inputs
``input_ids``, ``attention_mask``, ``position_ids``, ``past_key_values.{i}.key/value``; outputs
``logits``, ``present.{i}.key/value``; dynamic axes; constant folding; then Optimum's tied-weight
deduplication, which replaces the transposed copy of a tied embedding used by ``lm_head`` with
``Transpose(<embedding>)``) and writes torch reference values.

Requirements: Debian ``python3-torch`` (1.13), ``python3-onnx``, ``python3-numpy``; ``node`` with
``node_modules/tokenizers`` (token ids of the reference texts) and ``node_modules/onnxruntime-node``
(a check of the export against torch). No ``transformers``/``tokenizers`` Python packages.

Usage (from the repository root):

    /usr/bin/python3 scripts/make_arch_fixtures.py            # writes test/fixtures/arch/{gpt2,gemma,qwen2}/
    /usr/bin/python3 scripts/make_arch_fixtures.py --out /tmp/arch --only gpt2 --no-verify

Per fixture folder: ``config.json`` (HF), ``tokenizer.json`` + ``tokenizer_config.json`` (copies of
``assets/tiny-babel``: the vocabulary of 3072 ids is shared), ``model.onnx`` (weights inline) and
``reference.json`` (same layout as ``test/fixtures/tiny-babel-reference.json``: per text
``input_ids``, ``tokens``, base64 float32 ``logits`` [seq, vocab], ``resid_post`` [layers, seq, hidden],
``mlp_act`` [layers, seq, intermediate], ``final_norm`` [seq, hidden], ``lens`` top-5 per layer and
position; ``greedy``: argmax continuation, full recompute; ``ablation``: resid_post/final_norm of the
first text with some layer-0 MLP neurons scaled, e.g. zeroed).

Everything is deterministic (fixed seeds, one torch thread).
"""

import argparse
import base64
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER_DIR = os.path.join(REPO, "assets", "tiny-babel")
VOCAB_SIZE = 3072  # the bundled tokenizer's vocabulary
BOS_ID, EOS_ID = 1, 2
SEED = 20240611
MAX_POS = 128
GREEDY_STEPS = 8

# Two short texts of different lengths (so a padded batch has real padding).
REFERENCE_TEXTS = [
    ("eng", "Everyone has the right to education."),
    ("cmn", "人人有权享有生命、自由和人身安全。"),
]

ARCHS = ("gpt2", "gemma", "qwen2")


def log(*a):
    print(*a, flush=True)


# ----------------------------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------------------------

def causal_padding_mask(attention_mask, q_len, past_len, dtype):
    """4D additive mask [batch, 1, q_len, past_len + q_len]: key j visible to query t iff
    attention_mask[b, j] == 1 and j <= past_len + t (finfo.min elsewhere)."""
    total_len = attention_mask.shape[1]
    q_pos = torch.arange(q_len) + past_len
    k_pos = torch.arange(total_len)
    causal = k_pos[None, :] <= q_pos[:, None]
    allowed = causal[None, None, :, :] & (attention_mask[:, None, None, :] == 1)
    return (1.0 - allowed.to(dtype)) * torch.finfo(torch.float32).min


class RotaryEmbedding(nn.Module):
    def __init__(self, dim, base):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, position_ids):
        freqs = position_ids[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    cos = cos.unsqueeze(1)
    sin = sin.unsqueeze(1)
    return (q * cos) + (rotate_half(q) * sin), (k * cos) + (rotate_half(k) * sin)


def repeat_kv(hidden_states, n_rep):
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


# ----------------------------------------------------------------------------------------------
# GPT-2 (transformers GPT2LMHeadModel, eager attention)
# ----------------------------------------------------------------------------------------------

class Conv1D(nn.Module):
    """HF pytorch_utils.Conv1D: a linear layer with weight [in, out], computed with addmm (-> Gemm)."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        x = x.view(size_out)
        return x


class NewGELUActivation(nn.Module):
    def forward(self, input):
        return 0.5 * input * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (input + 0.044715 * torch.pow(input, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_dim = cfg["n_embd"]
        self.num_heads = cfg["n_head"]
        self.head_dim = self.embed_dim // self.num_heads
        self.split_size = self.embed_dim
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)

    def _split_heads(self, tensor, num_heads, attn_head_size):
        new_shape = tensor.size()[:-1] + (num_heads, attn_head_size)
        tensor = tensor.view(new_shape)
        return tensor.permute(0, 2, 1, 3)

    def _merge_heads(self, tensor, num_heads, attn_head_size):
        tensor = tensor.permute(0, 2, 1, 3).contiguous()
        new_shape = tensor.size()[:-2] + (num_heads * attn_head_size,)
        return tensor.view(new_shape)

    def _attn(self, query, key, value, attention_mask):
        attn_weights = torch.matmul(query, key.transpose(-1, -2))
        attn_weights = attn_weights / torch.full([], self.head_dim ** 0.5, dtype=attn_weights.dtype)
        attn_weights = attn_weights + attention_mask
        attn_weights = F.softmax(attn_weights, dim=-1)
        attn_weights = attn_weights.type(value.dtype)
        return torch.matmul(attn_weights, value)

    def forward(self, hidden_states, attention_mask, past_key=None, past_value=None):
        query, key, value = self.c_attn(hidden_states).split(self.split_size, dim=2)
        query = self._split_heads(query, self.num_heads, self.head_dim)
        key = self._split_heads(key, self.num_heads, self.head_dim)
        value = self._split_heads(value, self.num_heads, self.head_dim)
        if past_key is not None:
            key = torch.cat((past_key, key), dim=-2)
            value = torch.cat((past_value, value), dim=-2)
        present = (key, value)
        attn_output = self._attn(query, key, value, attention_mask)
        attn_output = self._merge_heads(attn_output, self.num_heads, self.head_dim)
        attn_output = self.c_proj(attn_output)
        return attn_output, present


class GPT2MLP(nn.Module):
    def __init__(self, intermediate_size, cfg):
        super().__init__()
        self.c_fc = Conv1D(intermediate_size, cfg["n_embd"])
        self.c_proj = Conv1D(cfg["n_embd"], intermediate_size)
        self.act = NewGELUActivation()

    def forward(self, hidden_states):
        hidden_states = self.c_fc(hidden_states)
        hidden_states = self.act(hidden_states)
        hidden_states = self.c_proj(hidden_states)
        return hidden_states


class GPT2Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg["n_embd"]
        inner = cfg["n_inner"] if cfg["n_inner"] is not None else 4 * h
        self.ln_1 = nn.LayerNorm(h, eps=cfg["layer_norm_epsilon"])
        self.attn = GPT2Attention(cfg)
        self.ln_2 = nn.LayerNorm(h, eps=cfg["layer_norm_epsilon"])
        self.mlp = GPT2MLP(inner, cfg)

    def forward(self, hidden_states, attention_mask, past_key=None, past_value=None):
        residual = hidden_states
        hidden_states = self.ln_1(hidden_states)
        attn_output, present = self.attn(hidden_states, attention_mask, past_key, past_value)
        hidden_states = attn_output + residual  # /transformer/h.{i}/Add
        residual = hidden_states
        hidden_states = self.ln_2(hidden_states)
        feed_forward_hidden_states = self.mlp(hidden_states)
        hidden_states = residual + feed_forward_hidden_states  # /transformer/h.{i}/Add_1
        return hidden_states, present


class GPT2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg["vocab_size"], cfg["n_embd"])
        self.wpe = nn.Embedding(cfg["n_positions"], cfg["n_embd"])
        self.h = nn.ModuleList([GPT2Block(cfg) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(cfg["n_embd"], eps=cfg["layer_norm_epsilon"])

    def forward(self, input_ids, attention_mask, position_ids, past=None, output_hidden=False):
        input_shape = input_ids.size()
        input_ids = input_ids.view(-1, input_shape[-1])
        position_ids = position_ids.view(-1, input_shape[-1])
        past_len = past[0][0].shape[2] if past is not None else 0
        inputs_embeds = self.wte(input_ids)
        position_embeds = self.wpe(position_ids)
        hidden_states = inputs_embeds + position_embeds
        mask = causal_padding_mask(attention_mask, input_ids.shape[1], past_len, hidden_states.dtype)
        output_shape = (-1,) + input_shape[1:] + (hidden_states.size(-1),)
        presents, all_hidden = [], []
        for i, block in enumerate(self.h):
            pk, pv = past[i] if past is not None else (None, None)
            hidden_states, present = block(hidden_states, mask, pk, pv)
            presents.append(present)
            all_hidden.append(hidden_states)
        hidden_states = self.ln_f(hidden_states)
        hidden_states = hidden_states.view(output_shape)
        return hidden_states, presents, (all_hidden if output_hidden else None)


class GPT2LMHeadModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.transformer = GPT2Model(cfg)
        self.lm_head = nn.Linear(cfg["n_embd"], cfg["vocab_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tie_weights()

    # uniform accessors for the reference code
    def base(self):
        return self.transformer

    def final_norm(self):
        return self.transformer.ln_f

    def act_modules(self):
        return [b.mlp.act for b in self.transformer.h]

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)] if past_flat else None
        hidden, presents, _ = self.transformer(input_ids, attention_mask, position_ids, past)
        out = [self.lm_head(hidden)]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def gpt2_config():
    return {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.0,
        "bos_token_id": BOS_ID,
        "embd_pdrop": 0.0,
        "eos_token_id": EOS_ID,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-5,
        "model_type": "gpt2",
        "n_ctx": MAX_POS,
        "n_embd": 32,
        "n_head": 4,
        "n_inner": None,
        "n_layer": 2,
        "n_positions": MAX_POS,
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.0,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": VOCAB_SIZE,
    }


# ----------------------------------------------------------------------------------------------
# Llama-layout decoders: Gemma (v1) and Qwen2
# ----------------------------------------------------------------------------------------------

class RMSNorm(nn.Module):
    """LlamaRMSNorm / Qwen2RMSNorm."""

    def __init__(self, hidden_size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


class GemmaRMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(dim))

    def _norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)

    def forward(self, x):
        output = self._norm(x.float())
        output = output * (1.0 + self.weight.float())
        return output.type_as(x)


class PytorchGELUTanh(nn.Module):
    """ACT2FN['gelu_pytorch_tanh']."""

    def forward(self, input):
        return F.gelu(input, approximate="tanh")


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.hidden_size = cfg["hidden_size"]
        self.num_heads = cfg["num_attention_heads"]
        self.head_dim = cfg["head_dim"]
        self.num_key_value_heads = cfg["num_key_value_heads"]
        self.num_key_value_groups = self.num_heads // self.num_key_value_heads
        bias = cfg["attention_bias"]
        self.q_proj = nn.Linear(self.hidden_size, self.num_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(self.hidden_size, self.num_key_value_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(self.hidden_size, self.num_key_value_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, self.hidden_size, bias=False)
        self.rotary_emb = RotaryEmbedding(self.head_dim, base=cfg["rope_theta"])

    def forward(self, hidden_states, attention_mask, position_ids, past_key=None, past_value=None):
        bsz, q_len, _ = hidden_states.size()
        q = self.q_proj(hidden_states).view(bsz, q_len, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(hidden_states).view(bsz, q_len, self.num_key_value_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(hidden_states).view(bsz, q_len, self.num_key_value_heads, self.head_dim).transpose(1, 2)
        cos, sin = self.rotary_emb(position_ids)
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        if past_key is not None:
            k = torch.cat([past_key, k], dim=2)
            v = torch.cat([past_value, v], dim=2)
        present = (k, v)
        k = repeat_kv(k, self.num_key_value_groups)
        v = repeat_kv(v, self.num_key_value_groups)
        attn_weights = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        attn_weights = attn_weights + attention_mask
        attn_weights = F.softmax(attn_weights, dim=-1, dtype=torch.float32).to(q.dtype)
        attn_output = torch.matmul(attn_weights, v)
        attn_output = attn_output.transpose(1, 2).contiguous()
        attn_output = attn_output.reshape(bsz, q_len, self.num_heads * self.head_dim)
        return self.o_proj(attn_output), present


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, i = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj = nn.Linear(h, i, bias=False)
        self.up_proj = nn.Linear(h, i, bias=False)
        self.down_proj = nn.Linear(i, h, bias=False)
        self.act_fn = PytorchGELUTanh() if cfg["hidden_act"] == "gelu_pytorch_tanh" else nn.SiLU()

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        Norm = GemmaRMSNorm if cfg["model_type"] == "gemma" else RMSNorm
        self.self_attn = Attention(cfg)
        self.mlp = MLP(cfg)
        self.input_layernorm = Norm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.post_attention_layernorm = Norm(cfg["hidden_size"], cfg["rms_norm_eps"])

    def forward(self, hidden_states, attention_mask, position_ids, past_key=None, past_value=None):
        residual = hidden_states
        hidden_states = self.input_layernorm(hidden_states)
        hidden_states, present = self.self_attn(hidden_states, attention_mask, position_ids, past_key, past_value)
        hidden_states = residual + hidden_states  # /model/layers.{i}/Add
        residual = hidden_states
        hidden_states = self.post_attention_layernorm(hidden_states)
        hidden_states = self.mlp(hidden_states)
        hidden_states = residual + hidden_states  # /model/layers.{i}/Add_1
        return hidden_states, present


class DecoderModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        Norm = GemmaRMSNorm if cfg["model_type"] == "gemma" else RMSNorm
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.norm = Norm(cfg["hidden_size"], cfg["rms_norm_eps"])

    def forward(self, input_ids, attention_mask, position_ids, past=None, output_hidden=False):
        inputs_embeds = self.embed_tokens(input_ids)
        past_len = past[0][0].shape[2] if past is not None else 0
        mask = causal_padding_mask(attention_mask, input_ids.shape[1], past_len, inputs_embeds.dtype)
        hidden_states = inputs_embeds
        if self.cfg["model_type"] == "gemma":
            normalizer = torch.tensor(self.cfg["hidden_size"] ** 0.5, dtype=hidden_states.dtype)
            hidden_states = hidden_states * normalizer
        presents, all_hidden = [], []
        for i, layer in enumerate(self.layers):
            pk, pv = past[i] if past is not None else (None, None)
            hidden_states, present = layer(hidden_states, mask, position_ids, pk, pv)
            presents.append(present)
            all_hidden.append(hidden_states)
        hidden_states = self.norm(hidden_states)
        return hidden_states, presents, (all_hidden if output_hidden else None)


class DecoderForCausalLM(nn.Module):
    """GemmaForCausalLM / Qwen2ForCausalLM."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = DecoderModel(cfg)
        self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        if cfg["tie_word_embeddings"]:
            self.lm_head.weight = self.model.embed_tokens.weight

    def base(self):
        return self.model

    def final_norm(self):
        return self.model.norm

    def act_modules(self):
        return [layer.mlp.act_fn for layer in self.model.layers]

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)] if past_flat else None
        hidden, presents, _ = self.model(input_ids, attention_mask, position_ids, past)
        out = [self.lm_head(hidden)]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def gemma_config():
    return {
        "architectures": ["GemmaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        # != hidden_size / num_attention_heads (8), as in real Gemma models; 4 * 12 != intermediate_size,
        # so o_proj [48, 32] and down_proj [64, 32] differ in shape (they do in real models too)
        "head_dim": 12,
        "hidden_act": "gelu_pytorch_tanh",
        "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": MAX_POS,
        "model_type": "gemma",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 4,
        "pad_token_id": 0,
        "rms_norm_eps": 1e-6,
        "rope_scaling": None,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": VOCAB_SIZE,
    }


def qwen2_config():
    return {
        "architectures": ["Qwen2ForCausalLM"],
        "attention_bias": True,  # (not a Qwen2Config field: q/k/v always have a bias; used by the module here)
        "attention_dropout": 0.0,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "head_dim": 8,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": MAX_POS,
        "max_window_layers": 2,
        "model_type": "qwen2",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-6,
        "rope_scaling": None,
        "rope_theta": 1000000.0,
        "sliding_window": None,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": VOCAB_SIZE,
    }


# ----------------------------------------------------------------------------------------------
# Random init (non-degenerate activations)
# ----------------------------------------------------------------------------------------------

@torch.no_grad()
def init_random(model, arch, seed):
    g = torch.Generator().manual_seed(seed)

    def randn(shape):
        return torch.randn(*shape, generator=g)

    seen = set()
    for name, p in model.named_parameters():  # tied parameters appear once
        if id(p) in seen:
            continue
        seen.add(id(p))
        leaf = name.split(".")[-1]
        if name.endswith("wte.weight") or name.endswith("embed_tokens.weight"):
            std = {"gpt2": 0.5, "gemma": 0.3, "qwen2": 0.5}[arch]
            p.copy_(std * randn(p.shape))
        elif name.endswith("wpe.weight"):
            p.copy_(0.1 * randn(p.shape))
        elif name == "lm_head.weight":  # untied (qwen2)
            p.copy_(0.6 * randn(p.shape))
        elif p.dim() == 2:
            # nn.Linear weight [out, in], Conv1D weight [in, out]
            fan_in = p.shape[0] if arch == "gpt2" else p.shape[1]
            p.copy_((0.8 / math.sqrt(fan_in)) * randn(p.shape))
        elif leaf == "bias":
            p.copy_(0.1 * randn(p.shape))
        elif leaf == "weight":  # norms
            if arch == "gemma":
                p.copy_(0.2 * randn(p.shape))  # used as (1 + weight)
            else:
                p.copy_(1.0 + 0.2 * randn(p.shape))
        else:
            raise ValueError(name)


def build(arch):
    if arch == "gpt2":
        cfg = gpt2_config()
        model = GPT2LMHeadModel(cfg)
    else:
        cfg = gemma_config() if arch == "gemma" else qwen2_config()
        model = DecoderForCausalLM(cfg)
    init_random(model, arch, SEED + ARCHS.index(arch))
    model.eval()
    return model, cfg


def dims(cfg):
    """(layers, hidden, intermediate, kv_heads, head_dim) in one place for every config flavour."""
    if cfg["model_type"] == "gpt2":
        h = cfg["n_embd"]
        return cfg["n_layer"], h, cfg["n_inner"] or 4 * h, cfg["n_head"], h // cfg["n_head"]
    return (cfg["num_hidden_layers"], cfg["hidden_size"], cfg["intermediate_size"], cfg["num_key_value_heads"],
            cfg["head_dim"])


def public_config(cfg):
    """config.json as written: Qwen2Config has no attention_bias field."""
    c = dict(cfg)
    if c["model_type"] == "qwen2":
        c.pop("attention_bias")
    return c


# ----------------------------------------------------------------------------------------------
# Export (Optimum text-generation-with-past, TorchScript exporter)
# ----------------------------------------------------------------------------------------------

OPSET = {"gpt2": 13, "gemma": 14, "qwen2": 14}  # Optimum's DEFAULT_ONNX_OPSET per model type


def export_onnx(model, cfg, arch, path):
    import onnx
    L, H, I, kvh, hd = dims(cfg)
    B, S, P = 2, 3, 2
    g = torch.Generator().manual_seed(0)
    input_ids = torch.randint(3, VOCAB_SIZE, (B, S), generator=g)
    attention_mask = torch.ones((B, P + S), dtype=torch.long)
    position_ids = torch.arange(P, P + S)[None, :].expand(B, S).contiguous()
    past = []
    for _ in range(L):
        past += [torch.randn(B, kvh, P, hd, generator=g), torch.randn(B, kvh, P, hd, generator=g)]
    input_names = ["input_ids", "attention_mask", "position_ids"]
    output_names = ["logits"]
    dyn = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(L):
        for kv in ("key", "value"):
            n = f"past_key_values.{i}.{kv}"
            input_names.append(n)
            dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
            o = f"present.{i}.{kv}"
            output_names.append(o)
            dyn[o] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    tmpdir = tempfile.mkdtemp(prefix=f"arch-{arch}-")
    tmp = os.path.join(tmpdir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model, (input_ids, attention_mask, position_ids, *past), tmp,
            input_names=input_names, output_names=output_names, dynamic_axes=dyn,
            opset_version=OPSET[arch], do_constant_folding=True,
        )
    m = onnx.load(tmp)
    shutil.rmtree(tmpdir)
    tied = tied_parameters(model)
    if tied:
        m = deduplicate_tied_weights(m, model, tied)
    onnx.checker.check_model(m)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save_model(m, path)  # inline weights (what Optimum does below 2 GB)
    onnx.checker.check_model(path)
    return m


def tied_parameters(model):
    """Like accelerate.utils.find_tied_parameters: groups of parameter names sharing one tensor."""
    by_id = {}
    for mod_name, mod in model.named_modules():
        for pname, p in mod._parameters.items():
            if p is not None:
                by_id.setdefault(id(p), []).append(f"{mod_name}.{pname}" if mod_name else pname)
    return [sorted(names) for names in by_id.values() if len(names) > 1]


def deduplicate_tied_weights(m, model, tied):
    """Optimum's remove_duplicate_weights_from_tied_info for a tied Embedding + lm_head Linear.

    The TorchScript export gives the Gather the embedding initializer and the lm_head MatMul a
    constant-folded transposed copy (``onnx::MatMul_N``). Optimum keeps the Gather's initializer,
    inserts ``Transpose_{len(nodes)+1}`` (no perm: reverses the axes) with output
    ``<embedding>_transposed`` before the first user of the copy, rewires it and drops the copy."""
    from onnx import helper, numpy_helper
    inits = {t.name: i for i, t in enumerate(m.graph.initializer)}
    for group in tied:
        emb = [n for n in group if n in inits]
        lin = [n for n in group if n not in inits]
        if len(emb) != 1 or len(lin) != 1:
            log(f"  tied group {group}: not an (embedding, linear) pair in the graph, left as exported")
            continue
        ref = emb[0]
        users = {n.op_type for n in m.graph.node if ref in n.input}
        assert users == {"Gather"}, (ref, users)
        module = "/" + "/".join(lin[0].split(".")[:-1]) + "/MatMul"
        cands = {i for n in m.graph.node if module in n.name for i in n.input if i in inits}
        assert len(cands) == 1, (module, cands)
        dup = cands.pop()
        ref_data = numpy_helper.to_array(m.graph.initializer[inits[ref]])
        dup_data = numpy_helper.to_array(m.graph.initializer[inits[dup]])
        assert np.array_equal(ref_data.T, dup_data), "tied copy is not the transposed embedding"
        out = f"{ref}_transposed"
        first = next(i for i, n in enumerate(m.graph.node) if dup in n.input)
        node = helper.make_node("Transpose", name=f"Transpose_{len(m.graph.node) + 1}", inputs=[ref], outputs=[out])
        m.graph.node.insert(first, node)
        for n in m.graph.node:
            for k, x in enumerate(n.input):
                if x == dup:
                    n.input[k] = out
        m.graph.initializer.pop(inits[dup])
        log(f"  tied weights {group}: removed {dup} {list(dup_data.shape)}, lm_head reads Transpose({ref})")
    return m


def describe_graph(m, arch):
    inits = {t.name: list(t.dims) for t in m.graph.initializer}
    producer = {o: n for n in m.graph.node for o in n.output}
    key = "h.0/" if arch == "gpt2" else "layers.0/"
    log(f"  [{arch}] opset {[o.version for o in m.opset_import if o.domain in ('', 'ai.onnx')]}, "
        f"{len(m.graph.node)} nodes, {len(inits)} initializers")
    log(f"  [{arch}] node outputs of layer 0 (op type, name):")
    for n in m.graph.node:
        for o in n.output:
            if key in o:
                log(f"      {n.op_type:10s} {o}")
    top = "/transformer/" if arch == "gpt2" else "/model/"
    log(f"  [{arch}] top-level node outputs under {top} (not in a layer):")
    for n in m.graph.node:
        for o in n.output:
            if o.startswith(top) and key not in o and ("h." not in o and "layers." not in o):
                log(f"      {n.op_type:10s} {o}")
    ln = producer["logits"]
    log(f"  [{arch}] logits <- {ln.op_type} {ln.name} inputs {list(ln.input)}")
    for i in ln.input:
        p = producer.get(i)
        if i in inits:
            log(f"      {i}: initializer {inits[i]}")
        elif p is not None:
            log(f"      {i}: from {p.op_type} {p.name} inputs "
                f"{[(x, inits.get(x)) for x in p.input]} attrs {[a.name for a in p.attribute]}")
    log(f"  [{arch}] initializers: " + ", ".join(f"{k}{v}" for k, v in inits.items() if not k.startswith("onnx::")
                                                 or len(v) > 0))


# ----------------------------------------------------------------------------------------------
# Node helpers: tokenizer ids and an onnxruntime check
# ----------------------------------------------------------------------------------------------

NODE_TOKENIZE_JS = r"""
const fs = require('fs');
const {Tokenizer} = require(process.argv[2] + '/node_modules/tokenizers');
(async () => {
  const t = Tokenizer.fromFile(process.argv[3]);
  const texts = JSON.parse(fs.readFileSync(process.argv[4], 'utf8'));
  const out = [];
  for (const s of texts) { const e = await t.encode(s); out.push({ids: Array.from(e.getIds()), tokens: e.getTokens()}); }
  fs.writeFileSync(process.argv[5], JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
"""

NODE_ORT_JS = r"""
const fs = require('fs');
const ort = require(process.argv[2] + '/node_modules/onnxruntime-node');
(async () => {
  const s = await ort.InferenceSession.create(process.argv[3]);
  const cases = JSON.parse(fs.readFileSync(process.argv[4], 'utf8'));
  const results = [];
  for (const c of cases) {
    const feeds = {};
    for (const [k, v] of Object.entries(c)) {
      if (v.type === 'int64') feeds[k] = new ort.Tensor('int64', BigInt64Array.from(v.data.map(BigInt)), v.dims);
      else feeds[k] = new ort.Tensor('float32', Float32Array.from(v.data), v.dims);
    }
    const r = await s.run(feeds);
    const o = {};
    for (const [k, v] of Object.entries(r)) o[k] = {dims: v.dims.map(Number), data: Array.from(v.data)};
    results.push(o);
  }
  fs.writeFileSync(process.argv[5], JSON.stringify(results));
})().catch(e => { console.error(e); process.exit(1); });
"""


def run_node(js, args):
    d = tempfile.mkdtemp(prefix="arch-node-")
    try:
        p = os.path.join(d, "run.cjs")
        with open(p, "w") as f:
            f.write(js)
        inp, outp = os.path.join(d, "in.json"), os.path.join(d, "out.json")
        with open(inp, "w", encoding="utf-8") as f:
            json.dump(args[-1], f, ensure_ascii=False)
        subprocess.run(["node", p, REPO] + args[:-1] + [inp, outp], check=True)
        with open(outp, encoding="utf-8") as f:
            return json.load(f)
    finally:
        shutil.rmtree(d)


def tokenize(texts):
    return run_node(NODE_TOKENIZE_JS, [os.path.join(TOKENIZER_DIR, "tokenizer.json"), texts])


def collate(seqs, pad_id=0):
    L = max(len(s) for s in seqs)
    inp = torch.full((len(seqs), L), pad_id, dtype=torch.long)
    am = torch.zeros((len(seqs), L), dtype=torch.long)
    for b, s in enumerate(seqs):
        inp[b, :len(s)] = torch.tensor(s)
        am[b, :len(s)] = 1
    pos = torch.arange(L)[None, :].expand(len(seqs), L).contiguous()
    return inp, am, pos


def empty_past(cfg, batch):
    L, H, I, kvh, hd = dims(cfg)
    return [torch.zeros(batch, kvh, 0, hd) for _ in range(2 * L)]


@torch.no_grad()
def verify_onnx(model, cfg, path, seqs):
    """onnxruntime-node vs torch: a right-padded batch (empty past) and an incremental step with a past."""
    L = dims(cfg)[0]

    def t2j(t, typ):
        return {"type": typ, "dims": list(t.shape), "data": t.reshape(-1).tolist()}

    def feeds(ids, am, pos, past):
        f = {"input_ids": t2j(ids, "int64"), "attention_mask": t2j(am, "int64"), "position_ids": t2j(pos, "int64")}
        for i in range(L):
            f[f"past_key_values.{i}.key"] = t2j(past[2 * i], "float32")
            f[f"past_key_values.{i}.value"] = t2j(past[2 * i + 1], "float32")
        return f

    inp, am, pos = collate(seqs)
    p0 = empty_past(cfg, len(seqs))
    full = model(inp, am, pos, *p0)
    a = seqs[0]
    k = len(a) - 3
    first = model(*collate([a[:k]]), *empty_past(cfg, 1))
    ids2, am2, pos2 = torch.tensor([a[k:]]), torch.ones(1, len(a), dtype=torch.long), torch.arange(k, len(a))[None]
    inc = model(ids2, am2, pos2, *first[1:])
    whole = model(*collate([a]), *empty_past(cfg, 1))[0][0]
    inc_vs_full = float((inc[0][0] - whole[k:]).abs().max())
    res = run_node(NODE_ORT_JS, [path, [feeds(inp, am, pos, p0), feeds(ids2, am2, pos2, list(first[1:]))]])
    names = ["logits"] + [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    diffs = []
    for r, tout in zip(res, (full, inc)):
        md = 0.0
        for name, t in zip(names, tout):
            o = np.array(r[name]["data"], dtype=np.float32).reshape(r[name]["dims"])
            assert list(o.shape) == list(t.shape), (name, o.shape, t.shape)
            md = max(md, float(np.abs(o - t.numpy()).max()))
        diffs.append(md)
    log(f"  onnxruntime vs torch: padded batch {diffs[0]:.2e}, incremental {diffs[1]:.2e}; "
        f"torch incremental vs full {inc_vs_full:.2e}")
    assert max(diffs) <= 1e-4 and inc_vs_full <= 1e-4, (diffs, inc_vs_full)


# ----------------------------------------------------------------------------------------------
# Reference values
# ----------------------------------------------------------------------------------------------

def b64f32(t):
    a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
    return {"shape": list(a.shape), "dtype": "float32", "data": base64.b64encode(a.tobytes()).decode("ascii")}


@torch.no_grad()
def reference_for_text(model, cfg, lang, text, ids, tokens):
    acts = []
    hooks = [m.register_forward_hook(lambda mod, i, o: acts.append(o[0].clone())) for m in model.act_modules()]
    inp, am, pos = collate([ids])
    hidden, _, all_hidden = model.base()(inp, am, pos, None, output_hidden=True)
    for h in hooks:
        h.remove()
    logits = model.lm_head(hidden)[0]
    resid = torch.stack([h[0] for h in all_hidden])  # [L, S, H]
    lens = []
    min_gap = float("inf")
    for l in range(resid.shape[0]):
        probs = F.softmax(model.lm_head(model.final_norm()(resid[l])), dim=-1)
        top = torch.topk(probs, 5, dim=-1)
        min_gap = min(min_gap, float((top.values[:, 0] - top.values[:, 1]).min()))
        lens.append([{"ids": top.indices[t].tolist(), "probs": [round(float(x), 7) for x in top.values[t]]}
                     for t in range(resid.shape[1])])
    entry = {"lang": lang, "text": text, "input_ids": ids, "tokens": tokens, "logits": b64f32(logits),
             "resid_post": b64f32(resid), "mlp_act": b64f32(torch.stack(acts)), "final_norm": b64f32(hidden[0]),
             "lens": lens}
    stats = {"resid_std": [round(float(resid[l].std()), 3) for l in range(resid.shape[0])],
             "mlp_act_std": round(float(torch.stack(acts).std()), 3), "logits_std": round(float(logits.std()), 3),
             "lens_top1_prob": round(float(max(p["probs"][0] for row in lens for p in row)), 4),
             "lens_min_top1_top2_gap": round(min_gap, 6)}
    return entry, stats


ABLATION = [(0, 0.0), (1, 0.0), (2, 0.0), (3, 0.0), (5, 3.0)]  # (neuron, scale) in layer 0


@torch.no_grad()
def ablation_reference(model, ids):
    """resid_post and final_norm with layer-0 MLP neurons scaled (mlp_act[0][..., n] *= scale)."""
    def hook(mod, i, o):
        o = o.clone()
        for n, scale in ABLATION:
            o[..., n] = o[..., n] * scale
        return o
    h = model.act_modules()[0].register_forward_hook(hook)
    hidden, _, all_hidden = model.base()(*collate([ids]), None, output_hidden=True)
    h.remove()
    return {"text": 0, "interventions": [{"layer": 0, "index": n, "scale": s} for n, s in ABLATION],
            "resid_post": b64f32(torch.stack([x[0] for x in all_hidden])), "final_norm": b64f32(hidden[0])}


@torch.no_grad()
def greedy(model, cfg, ids, n):
    ids = list(ids)
    out, probs = [], []
    for _ in range(n):
        logits = model(*collate([ids]), *empty_past(cfg, 1))[0][0, -1]
        nxt = int(torch.argmax(logits).item())
        out.append(nxt)
        probs.append(round(float(F.softmax(logits, dim=-1)[nxt]), 7))
        ids.append(nxt)
    return out, probs


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------

def make_fixture(arch, out_root, encoded, verify):
    log(f"== {arch}")
    model, cfg = build(arch)
    nparams = sum(p.numel() for p in model.parameters())
    d = os.path.join(out_root, arch)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(public_config(cfg), f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(TOKENIZER_DIR, name), os.path.join(d, name))
    onnx_path = os.path.join(d, "model.onnx")
    m = export_onnx(model, cfg, arch, onnx_path)
    describe_graph(m, arch)
    seqs = [e["ids"] for e in encoded]
    if verify:
        verify_onnx(model, cfg, onnx_path, seqs)
    texts = []
    for (lang, text), e in zip(REFERENCE_TEXTS, encoded):
        entry, stats = reference_for_text(model, cfg, lang, text, e["ids"], e["tokens"])
        texts.append(entry)
        log(f"  reference {lang}: {len(e['ids'])} tokens; {stats}")
    L, H, I, _, _ = dims(cfg)
    final = {"gpt2": "transformer.ln_f (LayerNorm)", "gemma": "model.norm (GemmaRMSNorm, x * (1 + w))",
             "qwen2": "model.norm (RMSNorm)"}[arch]
    act = {"gpt2": "transformer.h.{l}.mlp.act(c_fc x) (gelu_new)", "gemma": "mlp.act_fn(gate_proj x) (gelu tanh)",
           "qwen2": "mlp.act_fn(gate_proj x) (silu)"}[arch]
    ref = {
        "model": f"arch/{arch} (random weights, seed {SEED + ARCHS.index(arch)})",
        "config": public_config(cfg),
        "encoding": "base64 little-endian float32",
        "notes": f"resid_post[l] = output of block l [{L}, seq, {H}]; mlp_act[l] = {act} [{L}, seq, {I}]; "
                 f"final_norm = {final} of resid_post[L-1]; lens[l][t] = top-5 of "
                 f"softmax(lm_head(final_norm_module(resid_post[l][t])))",
        "texts": texts,
    }
    g_ids, g_probs = greedy(model, cfg, seqs[0], GREEDY_STEPS)
    ref["greedy"] = {"lang": REFERENCE_TEXTS[0][0], "prompt": REFERENCE_TEXTS[0][1], "prompt_ids": seqs[0],
                     "generated_ids": g_ids, "generated_probs": g_probs,
                     "note": f"{GREEDY_STEPS} argmax steps, full recompute, no eos stop; probs = softmax of the chosen id"}
    log(f"  greedy: {g_ids} p={g_probs}")
    ref["ablation"] = ablation_reference(model, seqs[0])
    with open(os.path.join(d, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False)
    sizes = {n: os.path.getsize(os.path.join(d, n)) for n in sorted(os.listdir(d))}
    log(f"  {nparams} parameters; files: " + ", ".join(f"{n} {s / 1024:.0f} KiB" for n, s in sizes.items()))
    return sum(sizes.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "test", "fixtures", "arch"))
    ap.add_argument("--only", choices=ARCHS, action="append")
    ap.add_argument("--no-verify", action="store_true", help="skip the onnxruntime-node check")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    encoded = tokenize([t for _, t in REFERENCE_TEXTS])
    for (lang, _), e in zip(REFERENCE_TEXTS, encoded):
        log(f"{lang}: {e['ids']}")
    total = 0
    for arch in args.only or ARCHS:
        total += make_fixture(arch, os.path.abspath(args.out), encoded, not args.no_verify)
    log(f"total {total / 1024:.0f} KiB in {args.out}")


if __name__ == "__main__":
    main()

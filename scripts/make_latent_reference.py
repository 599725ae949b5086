#!/usr/bin/env python3
"""Reference values for the latent-language protocol (Wendler et al. 2024), computed in torch.

Dev-time script for Babelscope (test/main/api/latent-language.test.ts compares against its output).
It takes the *prompts* Babelscope builds (the CLI's --json output: prompt text, words, input ids) and
recomputes everything else independently, as the paper's notebooks do (epfl-dlab/llm-latent-language,
``Translation.ipynb``/``Cloze.ipynb``; their method, our code):

- which concepts are kept: the target word must not contain the latent word (translation and
  repetition, lower-cased), both token sets non-empty and, for target != latent, disjoint;
- token sets (the paper's ``process_tokens``): every vocabulary token equal to a prefix of the word, with
  and without ``▁``, plus ``<0xXX>`` of the first UTF-8 byte when the first character is neither ASCII
  nor Latin (the paper: for zh and ru words);
- a Llama forward pass written here from the ONNX model's weights (checked against the committed
  tiny-babel reference logits), the block outputs at the last position through the final RMSNorm and
  the unembedding, softmax in float32; per layer the probability summed over each set and the entropy
  ``-Σ p log2 p``; the paper's band mean ± 1.96·sd/√n.

Requirements: Debian ``python3-torch`` (1.13), ``python3-onnx``, ``python3-numpy``; ``node`` and the
built CLI (``npx tsc -b``). Usage (repository root):

    /usr/bin/python3 scripts/make_latent_reference.py   # writes test/fixtures/latent/reference.json
"""

import base64
import json
import math
import os
import subprocess
import unicodedata

import numpy as np
import onnx
from onnx import numpy_helper
import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(REPO, "assets", "tiny-babel")
WORDS = os.path.join(REPO, "test", "fixtures", "latent", "words.csv")
OUT = os.path.join(REPO, "test", "fixtures", "latent", "reference.json")
CASES = [
    {"task": "translation", "from": "fra", "to": "cmn"},
    {"task": "translation", "from": "fra", "to": "deu"},
    {"task": "repetition", "to": "cmn"},
    {"task": "cloze", "to": "fra"},
]

torch.set_num_threads(1)


def load_weights():
    m = onnx.load(os.path.join(MODEL, "onnx", "model.onnx"), load_external_data=False)
    onnx.load_external_data_for_model(m, os.path.join(MODEL, "onnx"))
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
    w = {k: v for k, v in inits.items() if not k.startswith("onnx::")}
    for n in m.graph.node:
        if n.op_type == "MatMul" and n.input[1] in inits and n.input[1].startswith("onnx::"):
            if n.name == "/lm_head/MatMul":
                w["lm_head.weight"] = inits[n.input[1]].T.contiguous()
            else:  # /model/layers.0/self_attn/q_proj/MatMul -> model.layers.0.self_attn.q_proj.weight
                w[n.name.strip("/").rsplit("/", 1)[0].replace("/", ".") + ".weight"] = inits[n.input[1]].T.contiguous()
    return w


class Llama:
    def __init__(self, w, cfg):
        self.w, self.cfg = w, cfg
        self.L = cfg["num_hidden_layers"]
        self.nh, self.nkv, self.hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        self.eps = cfg["rms_norm_eps"]
        self.inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))

    def norm(self, x, weight):
        return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def rope(self, x, pos):
        freqs = torch.outer(pos.float(), self.inv_freq)
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos(), emb.sin()
        x1, x2 = x[..., : self.hd // 2], x[..., self.hd // 2 :]
        return x * cos + torch.cat([-x2, x1], dim=-1) * sin

    def blocks(self, ids):
        """Residual after each block, [layers, seq, hidden]."""
        w = self.w
        T = len(ids)
        h = w["model.embed_tokens.weight"][torch.tensor(ids)]
        pos = torch.arange(T)
        mask = torch.full((T, T), float("-inf")).triu(1)
        outs = []
        for i in range(self.L):
            p = f"model.layers.{i}."
            x = self.norm(h, w[p + "input_layernorm.weight"])
            q = (x @ w[p + "self_attn.q_proj.weight"].T).view(T, self.nh, self.hd).transpose(0, 1)
            k = (x @ w[p + "self_attn.k_proj.weight"].T).view(T, self.nkv, self.hd).transpose(0, 1)
            v = (x @ w[p + "self_attn.v_proj.weight"].T).view(T, self.nkv, self.hd).transpose(0, 1)
            q, k = self.rope(q, pos), self.rope(k, pos)
            rep = self.nh // self.nkv
            k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd) + mask, dim=-1)
            a = (att @ v).transpose(0, 1).reshape(T, self.nh * self.hd)
            h = h + a @ w[p + "self_attn.o_proj.weight"].T
            x = self.norm(h, w[p + "post_attention_layernorm.weight"])
            g = torch.nn.functional.silu(x @ w[p + "mlp.gate_proj.weight"].T) * (x @ w[p + "mlp.up_proj.weight"].T)
            h = h + g @ w[p + "mlp.down_proj.weight"].T
            outs.append(h)
        return torch.stack(outs)

    def unembed(self, h):
        return self.norm(h, self.w["model.norm.weight"]) @ self.w["lm_head.weight"].T


def check_against_committed(model):
    ref = json.load(open(os.path.join(REPO, "test", "fixtures", "tiny-babel-reference.json")))
    for t in ref["texts"]:
        logits = np.frombuffer(base64.b64decode(t["logits"]["data"]), dtype=np.float32).reshape(t["logits"]["shape"])
        with torch.no_grad():
            mine = model.unembed(model.blocks(t["input_ids"])[-1]).numpy()
        err = float(np.abs(mine - logits).max())
        assert err < 1e-4, f"torch forward differs from the committed reference by {err}"


def token_set(word, vocab):
    """The paper's process_tokens (prefixes with and without ▁), plus the first-byte token."""
    prefixes = [word[:i] for i in range(1, len(word) + 1)]
    cands = set(["▁" + t for t in prefixes] + prefixes)
    ids = {vocab[t] for t in cands if t in vocab}
    c = word[0]
    if not (ord(c) < 128 or unicodedata.name(c, "").startswith("LATIN")):
        key = "<0x%02X>" % word.encode("utf-8")[0]
        if key in vocab:
            ids.add(vocab[key])
    return sorted(ids)


def decode(ids, id2tok):
    """Prompt text from ids (SentencePiece: ▁ = space, <0xXX> bytes), to check ids and prompt agree."""
    out = bytearray()
    for i in ids:
        t = id2tok[i]
        if t == "<s>":
            continue
        if len(t) == 6 and t.startswith("<0x") and t.endswith(">"):
            out.append(int(t[3:5], 16))
        else:
            out += t.replace("▁", " ").encode("utf-8")
    s = out.decode("utf-8")
    return s[1:] if s.startswith(" ") else s


def kept_concepts(rows, case):
    """Concept ids the paper's filters keep, in list order (the token-set filters need the vocab)."""
    to, latent = case["to"], "eng"
    fr = case.get("from", to)
    out = []
    for r in rows:
        if not r[to] or not r[latent] or (case["task"] != "cloze" and not r[fr]):
            continue
        if case["task"] == "cloze" and not r.get(to + "_cloze"):
            continue
        if case["task"] != "cloze" and to != latent and r[latent].lower() in r[to].lower():
            continue
        out.append(r)
    return out


def main():
    import csv

    cfg = json.load(open(os.path.join(MODEL, "config.json")))
    tok = json.load(open(os.path.join(MODEL, "tokenizer.json")))
    vocab = tok["model"]["vocab"]
    id2tok = {v: k for k, v in vocab.items()}
    model = Llama(load_weights(), cfg)
    check_against_committed(model)
    rows = list(csv.DictReader(open(WORDS, encoding="utf-8")))
    cases = []
    for case in CASES:
        args = ["node", os.path.join(REPO, "dist", "src", "main", "cli", "index.js"), "latent-language", MODEL, "--words", WORDS,
                "--task", case["task"], "--to", case["to"], "--device", "cpu", "--json"]
        if "from" in case:
            args += ["--from", case["from"]]
        bs = json.loads(subprocess.run(args, check=True, capture_output=True, text=True, cwd=REPO).stdout)
        expected_kept = []
        for r in kept_concepts(rows, case):
            t, l = token_set(r[case["to"]], vocab), token_set(r["eng"], vocab)
            if t and l and (case["to"] == "eng" or not set(t) & set(l)):
                expected_kept.append(r["concept"])
        got_kept = [p["concept"] for p in bs["prompts"]]
        assert got_kept == expected_kept, f"{case}: Babelscope kept {got_kept}, the paper's filters keep {expected_kept}"
        prompts = []
        for p in bs["prompts"]:
            assert decode(p["inputIds"], id2tok) == p["prompt"], f"input ids do not spell the prompt: {p['prompt']!r}"
            assert p["prompt"].endswith(': "')
            target, latent = token_set(p["targetWord"], vocab), token_set(p["latentWord"], vocab)
            with torch.no_grad():
                last = model.unembed(model.blocks(p["inputIds"])[:, -1, :]).float().softmax(dim=-1)
            ent = -(torch.special.xlogy(last, last).sum(dim=-1)) / math.log(2)
            prompts.append({
                "concept": p["concept"], "prompt": p["prompt"], "targetWord": p["targetWord"], "latentWord": p["latentWord"],
                "targetTokens": target, "latentTokens": latent,
                "targetProb": last[:, torch.tensor(target)].sum(dim=-1).tolist(),
                "latentProb": last[:, torch.tensor(latent)].sum(dim=-1).tolist(),
                "entropy": ent.tolist(),
            })

        def band(key):
            x = torch.tensor([p[key] for p in prompts], dtype=torch.float64)
            m, sd = x.mean(0), x.std(0)
            half = 1.96 / math.sqrt(x.shape[0]) * sd
            return {"mean": m.tolist(), "low": (m - half).tolist(), "high": (m + half).tolist()}

        cases.append({**case, "latent": "eng", "prompts": prompts, "summary": {k: band(k) for k in ("targetProb", "latentProb", "entropy")}})
    json.dump({"model": "tiny-babel", "words": "test/fixtures/latent/words.csv", "seed": 1,
               "notes": "layer l = residual after block l; entropy in bits; summary bands = mean ± 1.96·sd/√n (torch std)",
               "cases": cases}, open(OUT, "w"), ensure_ascii=False, indent=1)
    print(f"wrote {OUT}: " + ", ".join(f"{c['task']} {c.get('from', c['to'])}→{c['to']}: {len(c['prompts'])} prompts" for c in cases))


if __name__ == "__main__":
    main()

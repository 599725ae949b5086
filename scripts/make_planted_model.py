#!/usr/bin/env python3
"""Make ``test/fixtures/planted/``: a tiny Llama whose layer-0 MLP neurons are PLANTED to be language specific.

Dev-time script for Babelscope. It gives LAPE a test with a known answer, through the real path
(ONNX model -> ``babelscope capture`` -> ``babelscope lape``).

Construction (exact, not learned):

* Vocabulary and tokenizer: the bundled ``assets/tiny-babel`` tokenizer (3072 ids), copied.
* Every token gets a script label from its token string: the letters (Unicode category L* or M*) of
  the string, ``▁`` removed, classified by ``unicodedata.name`` (``CYRILLIC ...``, ``CJK UNIFIED
  IDEOGRAPH`` / ``CJK COMPATIBILITY IDEOGRAPH``, ``ARABIC ...``, ``LATIN ...``). A token is Cyrillic,
  Han, Arabic or Latin when it has at least one letter and all its letters are of that script; else
  "other" (specials, byte-fallback pieces ``<0x..>``, punctuation, digits, mixed scripts, other scripts).
* 2 layers, hidden 32, intermediate 64, 4 heads, 2 KV heads (head_dim 8), SiLU, RMSNorm weights 1.
* Attention writes nothing: ``o_proj.weight = 0`` in both layers (q/k/v are random, so the
  ``present.*`` outputs are not trivial). So every activation depends on the token id only, and the
  input of layer 0's MLP is RMSNorm(embedding).
* Embedding: dims 4..31 ~ N(0, 0.3); dim 3 = 1 for every token (a constant feature, used as a bias);
  dims 0, 1, 2 are indicator features: dim 0 = +1 for Cyrillic tokens else -1, dim 1 = +1 for Han else
  -1, dim 2 = +1 for Arabic else -1. RMSNorm only divides by a positive scalar, so signs survive.
* Layer 0 MLP: gate_proj row 5 = 4*e0, row 17 = 4*e1, row 42 = 4*e2 (all other entries 0), so
  mlp_act.0[5] = SiLU(4*x0/rms) > 0 exactly for Cyrillic tokens (and < 0 for all others), 17 for Han,
  42 for Arabic. All other gate rows, and all up_proj rows, are N(0, 0.1) on dims 4..31 and 0 on
  dims 0..2, so they cannot see the indicators (nor can the RMS scale: every token has |x_d| = 1 on
  dims 0..3). up_proj is N(0, 0.1) on dim 3 too; gate's weight on the constant dim 3 is a bias, -z * 0.3 * |row[4:]| with
  z = Phi^-1(0.7), so each fires on about 30 % of random tokens, whatever the language (that keeps
  the 0.95 quantile of all p, LAPE's thresholds, well below the planted neurons' p). down_proj:
  N(0, 0.1), with columns 5, 17, 42 and rows 0..3 zero, so nothing language-specific reaches layer 1's
  input, and dims 0..3 of the residual stay exactly as embedded.
* Layer 1: the same, without planted neurons: gate/up 0 on dims 0..2, a bias on dim 3, N(0, 0.1)
  elsewhere; down N(0, 0.1). Not language specific (act > 0 depends on the token's random dims only).
* lm_head N(0, 0.1), untied.

Export: Optimum style (``text-generation-with-past``: inputs ``input_ids``, ``attention_mask``,
``position_ids``, ``past_key_values.{i}.key/value``; outputs ``logits``, ``present.{i}.key/value``),
weights inline, with ``scripts/train_tiny_model.py``'s Llama module and exporter (imported), checked
against onnxruntime-node with ``scripts/make_arch_fixtures.py``'s check.

Files in the output folder: ``config.json`` (Llama), ``tokenizer.json`` + ``tokenizer_config.json``
(copies), ``model.onnx``, ``planted.json``: the planted neurons (layer, index, script, language) with
the sorted ids of the tokens that fire each one, and the script label of every id.

Requirements: Debian ``python3-torch`` (1.13), ``python3-onnx``, ``python3-numpy``; ``node`` with
``node_modules/tokenizers`` and ``node_modules/onnxruntime-node`` for the checks and the prediction.

Usage (from the repository root):

    /usr/bin/python3 scripts/make_planted_model.py                 # writes test/fixtures/planted/
    /usr/bin/python3 scripts/make_planted_model.py --out /tmp/planted --no-verify --no-predict

Deterministic: fixed seed, one torch thread; running it twice gives identical bytes.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import unicodedata

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_arch_fixtures as maf  # noqa: E402  (verify_onnx, run_node, NODE_TOKENIZE_JS)
import train_tiny_model as ttm  # noqa: E402  (LlamaForCausalLM, hf_config, export_onnx, UdhrParser)

REPO = os.path.dirname(HERE)
TOKENIZER_DIR = os.path.join(REPO, "assets", "tiny-babel")
SEED = 20240917

CONFIG = dict(
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=256,
    rms_norm_eps=1e-6,
    rope_theta=10000.0,
    vocab_size=ttm.VOCAB_SIZE,
)

# (indicator dim, layer-0 neuron, script, the corpus language it stands for)
PLANTED = [
    (0, 5, "Cyrillic", "rus"),
    (1, 17, "Han", "cmn"),
    (2, 42, "Arabic", "arb"),
]
N_INDICATORS = 3
BIAS_DIM = 3  # a constant +1 feature of every token, used as a gate bias
TARGET_P = 0.3  # the share of tokens each unplanted neuron fires on (in expectation over random tokens)
GATE_SCALE = 4.0
EMBED_STD = 0.3
WEIGHT_STD = 0.1
UDHR_LANGS = [("eng", "eng"), ("rus", "rus"), ("cmn", "cmn_hans"), ("arb", "arb")]
PREDICT_TEXTS = 20


def log(*a):
    print(*a, flush=True)


# ----------------------------------------------------------------------------------------------
# Script labels
# ----------------------------------------------------------------------------------------------

def char_script(ch):
    name = unicodedata.name(ch, "")
    if name.startswith("CYRILLIC"):
        return "Cyrillic"
    if name.startswith("CJK UNIFIED IDEOGRAPH") or name.startswith("CJK COMPATIBILITY IDEOGRAPH"):
        return "Han"
    if name.startswith("ARABIC"):
        return "Arabic"
    if name.startswith("LATIN"):
        return "Latin"
    return "other"


def token_script(tok, special):
    """Script label of a token string (see the module docstring)."""
    if special or (tok.startswith("<0x") and tok.endswith(">") and len(tok) == 6):
        return "other"
    scripts = {char_script(c) for c in tok.replace(ttm.SPACE, "") if unicodedata.category(c)[0] in "LM"}
    return scripts.pop() if len(scripts) == 1 else "other"


def vocab_labels():
    with open(os.path.join(TOKENIZER_DIR, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    vocab = tj["model"]["vocab"]
    special = {t["content"] for t in tj.get("added_tokens", []) if t.get("special")}
    assert len(vocab) == CONFIG["vocab_size"] and sorted(vocab.values()) == list(range(len(vocab)))
    labels = ["other"] * len(vocab)
    for tok, i in vocab.items():
        labels[i] = token_script(tok, tok in special or tok in ttm.SPECIALS)
    return labels


# ----------------------------------------------------------------------------------------------
# Weights
# ----------------------------------------------------------------------------------------------

@torch.no_grad()
def build(labels):
    torch.manual_seed(SEED)
    model = ttm.LlamaForCausalLM(dict(CONFIG))
    model.eval()
    g = torch.Generator().manual_seed(SEED)
    V, H, I = CONFIG["vocab_size"], CONFIG["hidden_size"], CONFIG["intermediate_size"]
    k = N_INDICATORS

    def randn(*shape, std):
        return std * torch.randn(*shape, generator=g)

    emb = randn(V, H, std=EMBED_STD)
    emb[:, BIAS_DIM] = 1.0
    for dim, _, script, _ in PLANTED:
        emb[:, dim] = torch.tensor([1.0 if s == script else -1.0 for s in labels])
    model.model.embed_tokens.weight.copy_(emb)

    for l, layer in enumerate(model.model.layers):
        att = layer.self_attn
        for proj in (att.q_proj, att.k_proj, att.v_proj):
            proj.weight.copy_(randn(*proj.weight.shape, std=0.8 / np.sqrt(H)))
        att.o_proj.weight.zero_()  # attention adds exactly 0 to the residual
        mlp = layer.mlp
        gate = randn(I, H, std=WEIGHT_STD)
        up = randn(I, H, std=WEIGHT_STD)
        down = randn(H, I, std=WEIGHT_STD)
        gate[:, :k] = 0.0  # no neuron sees the indicator dims ...
        up[:, :k] = 0.0
        # a bias through the constant dim, so that each neuron fires on about TARGET_P of random tokens:
        # w . x over the random dims is ~ N(0, (EMBED_STD |w|)^2) (dims of layer 1's input that the
        # layer-0 MLP writes to shift this a little; the sign test is exact either way)
        z = statistics.NormalDist().inv_cdf(1.0 - TARGET_P)
        gate[:, BIAS_DIM] = -z * EMBED_STD * gate[:, BIAS_DIM + 1:].norm(dim=1)
        if l == 0:
            for dim, neuron, _, _ in PLANTED:  # ... except the planted ones, which see only theirs
                gate[neuron] = 0.0
                gate[neuron, dim] = GATE_SCALE
                down[:, neuron] = 0.0  # their output does not reach layer 1
            down[:BIAS_DIM + 1, :] = 0.0  # the residual's indicator dims stay exactly +-1, the bias dim 1
        mlp.gate_proj.weight.copy_(gate)
        mlp.up_proj.weight.copy_(up)
        mlp.down_proj.weight.copy_(down)
        layer.input_layernorm.weight.fill_(1.0)
        layer.post_attention_layernorm.weight.fill_(1.0)
    model.model.norm.weight.fill_(1.0)
    model.lm_head.weight.copy_(randn(V, H, std=WEIGHT_STD))
    return model


@torch.no_grad()
def layer_acts(model, ids):
    """mlp_act of both layers for single-token sequences (activations depend on the token only)."""
    acts = []
    hooks = [layer.mlp.act_fn.register_forward_hook(lambda m, i, o: acts.append(o.clone()))
             for layer in model.model.layers]
    inp = torch.tensor(ids)[:, None]
    model.model(inp, torch.ones_like(inp), torch.zeros_like(inp))
    for h in hooks:
        h.remove()
    return [a[:, 0, :] for a in acts]  # [layers] of [len(ids), I]


@torch.no_grad()
def check_planted(model, labels):
    ids = list(range(CONFIG["vocab_size"]))
    a0, a1 = layer_acts(model, ids)
    for _, neuron, script, _ in PLANTED:
        fires = a0[:, neuron] > 0
        want = torch.tensor([s == script for s in labels])
        assert torch.equal(fires, want), (neuron, script)
        assert bool((a0[~want, neuron] < 0).all())
    # attention contributes exactly nothing, so a token's activations do not depend on its context
    inp = torch.tensor([[1, 300, 301, 305, 306]])
    full = []
    hooks = [layer.mlp.act_fn.register_forward_hook(lambda m, i, o: full.append(o.clone()))
             for layer in model.model.layers]
    model.model(inp, torch.ones_like(inp), torch.arange(5)[None])
    for h in hooks:
        h.remove()
    alone = layer_acts(model, inp[0].tolist())
    for l in range(2):
        assert torch.equal(full[l][0], alone[l]), l
    log("  planted neurons fire exactly on their script's tokens; activations are context free")
    return a0, a1


# ----------------------------------------------------------------------------------------------
# Prediction of LAPE's p on the UDHR (first PREDICT_TEXTS paragraphs per language)
# ----------------------------------------------------------------------------------------------

def udhr_paragraphs(fname):
    """Paragraphs in the order Babelscope's UDHR reader gives them (preamble recitals 8.. joined)."""
    p = ttm.UdhrParser()
    with open(os.path.join(ttm.UDHR_DIR, fname + ".html"), encoding="utf-8") as f:
        p.feed(f.read())
    out = []
    for a in sorted(p.paras):
        texts = p.paras[a]
        if a == 0 and len(texts) > 8:
            texts = texts[:7] + [" ".join(texts[7:])]
        out += texts
    return out


@torch.no_grad()
def predict(model, labels):
    texts = {lang: udhr_paragraphs(f)[:PREDICT_TEXTS] for lang, f in UDHR_LANGS}
    flat = [t for lang, _ in UDHR_LANGS for t in texts[lang]]
    enc = maf.run_node(maf.NODE_TOKENIZE_JS, [os.path.join(TOKENIZER_DIR, "tokenizer.json"), flat])
    maxlen = CONFIG["max_position_embeddings"]
    a0, a1 = layer_acts(model, list(range(CONFIG["vocab_size"])))
    pos = [(a0 > 0).double(), (a1 > 0).double()]
    i = 0
    p = {}
    log(f"  predicted from the first {PREDICT_TEXTS} UDHR paragraphs per language "
        f"(ids cut to {maxlen}, <s> not counted):")
    for lang, _ in UDHR_LANGS:
        ids = []
        for _ in texts[lang]:
            ids += enc[i]["ids"][:maxlen][1:]
            i += 1
        counts = {s: sum(1 for t in ids if labels[t] == s) for s in ("Cyrillic", "Han", "Arabic", "Latin", "other")}
        p[lang] = [pos[l][ids].mean(0).numpy() for l in range(2)]
        log(f"    {lang}: {len(ids)} tokens, by script {counts}; planted p: "
            + ", ".join(f"[0,{n}] {p[lang][0][n]:.4f}" for _, n, _, _ in PLANTED))
    allp = np.stack([np.concatenate(p[lang]) for lang, _ in UDHR_LANGS], 1)  # [128, 4]
    flat_p = np.sort(allp.reshape(-1))
    k = int(round(len(flat_p) * 0.95))
    log(f"    tau (0.95 quantile of all {len(flat_p)} p, k={k}): {flat_p[k - 1]:.4f}; "
        f"other neurons' p: mean {np.delete(allp, [n for _, n, _, _ in PLANTED], 0).mean():.3f}, "
        f"max {np.delete(allp, [n for _, n, _, _ in PLANTED], 0).max():.3f}")


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "test", "fixtures", "planted"))
    ap.add_argument("--no-verify", action="store_true", help="skip the onnxruntime-node check")
    ap.add_argument("--no-predict", action="store_true", help="skip the UDHR prediction of p")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = os.path.abspath(args.out)

    labels = vocab_labels()
    by_script = {s: labels.count(s) for s in ("Cyrillic", "Han", "Arabic", "Latin", "other")}
    log(f"vocabulary labels: {by_script}")
    model = build(labels)
    check_planted(model, labels)

    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    cfg = ttm.hf_config(model.cfg)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(TOKENIZER_DIR, name), os.path.join(out, name))
    onnx_path = os.path.join(out, "model.onnx")
    ttm.export_onnx(model, onnx_path, external_data=False)
    planted = {
        "description": "Layer-0 MLP neurons planted by scripts/make_planted_model.py: mlp_act.0[index] > 0 "
                       "exactly for the token ids listed (the tokens whose letters are all of that script), "
                       "< 0 for every other id; attention outputs 0, so this holds in any context.",
        "seed": SEED,
        "neurons": [{"layer": 0, "index": n, "script": s, "lang": lang,
                     "token_ids": [i for i, x in enumerate(labels) if x == s]} for _, n, s, lang in PLANTED],
        "labels": labels,
    }
    with open(os.path.join(out, "planted.json"), "w", encoding="utf-8") as f:
        json.dump(planted, f, ensure_ascii=False)
        f.write("\n")

    if not args.no_verify:
        enc = maf.run_node(maf.NODE_TOKENIZE_JS, [os.path.join(TOKENIZER_DIR, "tokenizer.json"),
                                                  ["Каждый человек имеет право на образование.",
                                                   "人人有权享有生命、自由和人身安全。"]])
        maf.verify_onnx(model, cfg, onnx_path, [e["ids"] for e in enc])
    if not args.no_predict:
        predict(model, labels)
    sizes = {n: os.path.getsize(os.path.join(out, n)) for n in sorted(os.listdir(out))}
    log("files: " + ", ".join(f"{n} {s} B" for n, s in sizes.items()))


if __name__ == "__main__":
    main()

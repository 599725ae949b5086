#!/usr/bin/env python3
"""
Reference sentence embeddings for Babelscope's `wmean` pooling and Hugging Face layer numbering.

MEXA (cisnlp/MEXA embed_extractor.py at bc28c41093b232a7734f3182b6a584d2fb6f3249, Apache-2.0) embeds a
sentence, at every entry of Hugging Face's `hidden_states` (0 = embedding output, i = output of
decoder layer i - 1, L = model.norm(output of the last layer)), as

    weights = attention_mask * arange(1, n + 1)            # every token, <bos> included
    embd_weighted = sum(layer * weights) / sum(weights)
    embd_lasttoken = layer[0, n - 1]

This script applies those two functions, written in numpy line for line, to the bundled model's
hidden states as torch computed them (test/fixtures/tiny-babel-reference.json, made by
scripts/train_tiny_model.py: resid_post and final_norm) plus the embedding output (the rows of
model.embed_tokens.weight for the ids, read from assets/tiny-babel/onnx/model.onnx), and writes
test/fixtures/mexa-pooling-reference.json.

Run with Debian's python (numpy, onnx):  /usr/bin/python3 scripts/make_mexa_pooling_reference.py
"""
import base64
import json
import os

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.path.join(ROOT, "test", "fixtures", "tiny-babel-reference.json")
MODEL = os.path.join(ROOT, "assets", "tiny-babel", "onnx", "model.onnx")
OUT = os.path.join(ROOT, "test", "fixtures", "mexa-pooling-reference.json")


def decode(a):
    return np.frombuffer(base64.b64decode(a["data"]), dtype="<f4").reshape(a["shape"])


def enc(a):
    return {"shape": list(a.shape), "dtype": "float32", "data": base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()}


def weighted_embeddings(layer, attention_mask):
    # embed_extractor.py's weighted_embeddings, in numpy: layer [1, n, hidden], attention_mask [1, n]
    weights_for_non_padding = attention_mask * np.arange(1, layer.shape[1] + 1)[None, :]
    sum_embeddings = np.sum(layer * weights_for_non_padding[..., None], axis=1)
    num_of_non_padding_tokens = np.sum(weights_for_non_padding, axis=-1)[..., None]
    return (sum_embeddings / num_of_non_padding_tokens).squeeze().astype(np.float32)


def lasttoken_embeddings(layer, attention_mask):
    idx_of_last_token = int(attention_mask.astype(bool).sum()) - 1
    return layer[0, idx_of_last_token, :].astype(np.float32)


def main():
    ref = json.load(open(REF, encoding="utf-8"))
    cfg = ref["config"]
    model = onnx.load(MODEL)  # external data (model.onnx_data) beside it
    embed = next(numpy_helper.to_array(t) for t in model.graph.initializer if list(t.dims) == [cfg["vocab_size"], cfg["hidden_size"]])
    texts = []
    for t in ref["texts"]:
        ids = np.array(t["input_ids"])
        resid = decode(t["resid_post"])  # [L, n, hidden]
        hidden_states = [embed[ids]] + [resid[l] for l in range(resid.shape[0] - 1)] + [decode(t["final_norm"])]
        mask = np.ones((1, len(ids)), dtype=np.int64)
        wmean = np.stack([weighted_embeddings(h[None].astype(np.float32), mask) for h in hidden_states])
        last = np.stack([lasttoken_embeddings(h[None], mask) for h in hidden_states])
        texts.append({"lang": t["lang"], "text": t["text"], "input_ids": t["input_ids"], "wmean": enc(wmean), "last": enc(last)})
    out = {
        "source": "scripts/make_mexa_pooling_reference.py: cisnlp/MEXA embed_extractor.py's weighted_embeddings and lasttoken_embeddings (numpy) on torch hidden states of assets/tiny-babel",
        "layers": "Hugging Face hidden_states: 0 = embedding output, i = after decoder layer i-1, L = model.norm(after the last layer)",
        "numLayers": cfg["num_hidden_layers"],
        "texts": texts,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(texts)} texts, {len(texts[0]['wmean']['shape']) and texts[0]['wmean']['shape'][0]} layers")


if __name__ == "__main__":
    main()

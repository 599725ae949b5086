#!/usr/bin/env python3
"""
Reference numbers for Babelscope's MEXA and retrieval, from MEXA's own `compute_mexa.py`.

Writes test/fixtures/mexa-reference.json: anisotropic synthetic sentence embeddings (4 languages,
35 parallel texts, 6 layers, 64 dimensions, float32; alignment strength varying by layer and language
so scores run from chance to 1), the MEXA score of every language against the pivot at every layer as
`scripts/third_party/mexa/compute_mexa.py` computes it (run as a program on pickles in its own input
format), and retrieval in both directions from the same similarity matrix built with that script's
own `cosine_similarity` (compute_mexa.py itself reports only MEXA; retrieval counts a text whose
translation beats every other entry of its row (pivot -> language) or of its column (language ->
pivot), strictly, as its `mexa()` does for both at once).

Run with Debian's python (numpy, scipy, tqdm):  /usr/bin/python3 scripts/make_mexa_reference.py
"""
import base64
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MEXA_DIR = os.path.join(HERE, "third_party", "mexa")
OUT = os.path.join(ROOT, "test", "fixtures", "mexa-reference.json")
MEXA_COMMIT = "bc28c41093b232a7734f3182b6a584d2fb6f3249"

LANGS = ["eng_Latn", "fra_Latn", "deu_Latn", "zho_Hans"]
PIVOT = "eng_Latn"
N, LAYERS, DIM = 35, 6, 64
SEED = 20241207


def embeddings():
    rng = np.random.default_rng(SEED)
    mu = rng.normal(size=DIM) * 6.0  # a large common direction: cosines of unrelated texts near 0.9
    concepts = rng.normal(size=(N, DIM))
    out = {}
    for li, lang in enumerate(LANGS):
        offset = rng.normal(size=DIM) * 2.0
        per_layer = []
        for layer in range(LAYERS):
            # alignment grows then falls over layers, weaker for languages further down the list
            strength = (0.0 if layer == 0 else np.sin(np.pi * layer / LAYERS) * 2.6) / (1 + 0.5 * li) if lang != PIVOT else 2.0
            noise = rng.normal(size=(N, DIM))
            v = mu + offset + strength * concepts + noise
            per_layer.append(v.astype(np.float32))
        out[lang] = per_layer
    return out


def main():
    emb = embeddings()
    spec = importlib.util.spec_from_file_location("compute_mexa", os.path.join(MEXA_DIR, "compute_mexa.py"))
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)  # defines the functions; its __main__ block does not run
    with tempfile.TemporaryDirectory() as tmp:
        emb_dir = os.path.join(tmp, "embd")
        save_dir = os.path.join(tmp, "out")
        os.makedirs(emb_dir)
        for lang, layers in emb.items():
            # embed_extractor.py's format: {layer: [{'id', 'embd_weighted', 'embd_lasttoken'}, ...]}
            d = {layer: [{"id": i + 1, "embd_weighted": v[i], "embd_lasttoken": v[i]} for i in range(N)] for layer, v in enumerate(layers)}
            with open(os.path.join(emb_dir, f"{lang}.pkl"), "wb") as f:
                pickle.dump(d, f)
        subprocess.run([sys.executable, "-W", "ignore", os.path.join(MEXA_DIR, "compute_mexa.py"), "--pivot", PIVOT, "--embedding_path", emb_dir,
                        "--save_path", save_dir, "--num_sents", "100", "--embedding_type", "embd_weighted"], check=True)
        mexa = {}
        for lang in LANGS:
            with open(os.path.join(save_dir, f"{lang}.json")) as f:
                scores = json.load(f)
            mexa[lang] = [scores[str(layer)] for layer in range(LAYERS)]

    retrieval_to_pivot, retrieval_from_pivot = {}, {}
    margin = np.inf
    for lang in LANGS:
        to_p, from_p = [], []
        for layer in range(LAYERS):
            P, Lv = emb[PIVOT][layer], emb[lang][layer]
            S = np.array([[ref.cosine_similarity(P[i], Lv[j]) for j in range(N)] for i in range(N)])  # rows pivot, columns lang
            rows = [S[i, i] > np.max(np.delete(S[i], i)) for i in range(N)]
            cols = [S[j, j] > np.max(np.delete(S[:, j], j)) for j in range(N)]
            from_p.append(sum(rows) / N)
            to_p.append(sum(cols) / N)
            if lang != PIVOT:
                for i in range(N):
                    margin = min(margin, abs(S[i, i] - np.max(np.delete(S[i], i))), abs(S[i, i] - np.max(np.delete(S[:, i], i))))
        retrieval_to_pivot[lang], retrieval_from_pivot[lang] = to_p, from_p

    enc = lambda a: base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()
    fixture = {
        "source": f"scripts/make_mexa_reference.py (seed {SEED}); MEXA scores from cisnlp/MEXA compute_mexa.py at {MEXA_COMMIT} (Apache-2.0)",
        "pivot": PIVOT,
        "languages": LANGS,
        "n": N,
        "layers": LAYERS,
        "dim": DIM,
        "encoding": "base64 little-endian float32, [n, dim] row-major per language and layer; text i has id i+1",
        "embeddings": {lang: [enc(v) for v in emb[lang]] for lang in LANGS},
        "mexa": mexa,
        "retrievalToPivot": retrieval_to_pivot,
        "retrievalFromPivot": retrieval_from_pivot,
        "minMargin": float(margin),
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}; min |diagonal - best rival| over non-pivot languages {margin:.3g}")
    for lang in LANGS:
        print(lang, "mexa", mexa[lang], "to pivot", [round(x, 3) for x in retrieval_to_pivot[lang]])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Build (never commit) a large random-weight Llama for `npm run bench`: fp32, external data, >= 1.5 GB.

Dev-time script for Babelscope. It reuses the Llama modules of ``scripts/train_tiny_model.py`` (the
same module tree as transformers, so the TorchScript exporter gives Optimum's node names), initialises
9 layers of hidden size 2048 / MLP 5632 / 16 heads (4 KV heads) with random weights (fixed seed),
exports it the way Optimum does (``text-generation-with-past``) with every weight in one
``model.onnx_data`` file, and copies the bundled tokenizer (vocabulary 3072). About 418 M parameters,
1.67 GB of weights.

Requirements: Debian ``python3-torch`` (1.13), ``python3-onnx``; about 6 GB of free memory.

    /usr/bin/python3 scripts/make_large_model.py            # writes bench/models/large-llama/
    /usr/bin/python3 scripts/make_large_model.py --out DIR --layers 9
    /usr/bin/python3 scripts/make_large_model.py --preset medium    # bench/models/medium-llama: 158 M params, 0.63 GB
    /usr/bin/python3 scripts/make_large_model.py --preset compute   # bench/models/compute-llama: 8 layers, d 256, 1024 neurons
    /usr/bin/python3 scripts/make_large_model.py --preset wide-vocab  # bench/models/wide-vocab-llama: Llama 3's 128,256-token vocabulary, 0.57 GB

``medium`` is where a batched forward's activations, not its weights, dominate memory (issue 22's
capture-vs-bare-forward rows); ``compute`` is small and compute-bound (capture-vs-bare-forward speed);
``wide-vocab`` has a large model's vocabulary on small blocks (the lens's logits, not the blocks, dominate
its memory). Its tokenizer is still the bundled one: ids beyond 3072 are never fed, only unembedded.
"""

PRESETS = {
    "large": dict(layers=9, hidden=2048, intermediate=5632),
    "medium": dict(layers=6, hidden=1536, intermediate=4096),
    "compute": dict(layers=8, hidden=256, intermediate=1024),
    "wide-vocab": dict(layers=4, hidden=512, intermediate=1408, vocab=128256),
}

import argparse
import importlib.util
import json
import os
import shutil
import time

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_tiny_module():
    spec = importlib.util.spec_from_file_location("train_tiny_model", os.path.join(REPO, "scripts", "train_tiny_model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="large", help="size (default large); --layers/--hidden/--intermediate override it")
    ap.add_argument("--out", help="default bench/models/<preset>-llama")
    ap.add_argument("--layers", type=int)
    ap.add_argument("--hidden", type=int)
    ap.add_argument("--intermediate", type=int)
    ap.add_argument("--vocab", type=int, help="vocabulary size (default the bundled tokenizer's)")
    args = ap.parse_args()
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    tiny = load_tiny_module()
    args.vocab = args.vocab or tiny.VOCAB_SIZE
    args.out = args.out or os.path.join(REPO, "bench", "models", f"{args.preset}-llama")
    tiny.TRAIN_DROPOUT = 0.0
    torch.manual_seed(20251202)
    cfg = dict(tiny.CONFIG)
    cfg.update(hidden_size=args.hidden, intermediate_size=args.intermediate, num_hidden_layers=args.layers,
               num_attention_heads=16, num_key_value_heads=4, max_position_embeddings=512, vocab_size=args.vocab)
    t0 = time.time()
    model = tiny.LlamaForCausalLM(cfg)
    tiny.init_weights(model, std=0.02)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    print(f"{params / 1e6:.0f} M parameters ({params * 4 / 1e9:.2f} GB fp32); exporting to {args.out}", flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(tiny.hf_config(cfg), f, indent=2)
    src = os.path.join(REPO, "assets", "tiny-babel")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(src, name), os.path.join(args.out, name))
    tiny.export_onnx(model, os.path.join(args.out, "onnx", "model.onnx"), external_data=True)
    size = os.path.getsize(os.path.join(args.out, "onnx", "model.onnx_data"))
    print(f"done in {time.time() - t0:.0f}s: model.onnx_data is {size / 1e9:.2f} GB", flush=True)


if __name__ == "__main__":
    main()

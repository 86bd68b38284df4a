#!/usr/bin/env bash
# Run plainsight over one shard of a directory of captures, so that an
# archive can be split over N jobs on one or many machines by any job
# runner: xargs or GNU parallel locally, a Slurm array, a Kubernetes
# Indexed Job. Every job lists the same directory and computes the same
# split, so the jobs need no coordination; together they read every file
# exactly once.
#
# usage: shard.sh --of N [--shard K] [--bin PLAINSIGHT] DIR OUTDIR [plainsight options...]
#
#   --of N      number of shards
#   --shard K   this job's shard, 0..N-1; default: $SLURM_ARRAY_TASK_ID,
#               $JOB_COMPLETION_INDEX (Kubernetes) or $PARALLEL_SEQ-1 (GNU
#               parallel), whichever is set
#   --bin PATH  the plainsight binary (default: $PLAINSIGHT, plainsight on
#               PATH, or build/plainsight of this checkout)
#   DIR         directory of capture files (pcap or pcapng; others skipped)
#   OUTDIR      where shard K writes eve-K.json (must exist and be shared
#               when the jobs run on several machines, or be collected after)
#
# The split balances bytes: files in decreasing size order each go to the
# shard with the fewest bytes so far (ties: lowest shard). A shard reads its
# files in name order as one packet stream, as plainsight -r does.
#
# Example, 3 shards on this machine, 3 at a time:
#   seq 0 2 | xargs -P 3 -I{} scripts/shard.sh --of 3 --shard {} captures/ out/ -q
#
# A flow whose packets are split over two files that land in different
# shards is reported by each shard as a separate, partial flow: rotate
# captures on time boundaries and expect only the flows that cross them
# to be cut.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//;/^set -euo/d' >&2; exit 64; }

of="" shard="" bin=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --of) of=$2; shift 2 ;;
    --shard) shard=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "shard.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -ge 2 ]] || usage
dir=$1 outdir=$2
shift 2

if [[ -z $shard ]]; then
  if [[ -n ${SLURM_ARRAY_TASK_ID:-} ]]; then shard=$SLURM_ARRAY_TASK_ID
  elif [[ -n ${JOB_COMPLETION_INDEX:-} ]]; then shard=$JOB_COMPLETION_INDEX
  elif [[ -n ${PARALLEL_SEQ:-} ]]; then shard=$((PARALLEL_SEQ - 1))
  fi
fi
[[ $of =~ ^[1-9][0-9]*$ ]] || { echo "shard.sh: --of N: a positive number is needed" >&2; exit 64; }
[[ $shard =~ ^[0-9]+$ ]] && ((shard < of)) ||
  { echo "shard.sh: --shard K: 0..$((of - 1)) is needed (or an array task id)" >&2; exit 64; }
[[ -d $dir ]] || { echo "shard.sh: $dir: not a directory" >&2; exit 66; }
[[ -d $outdir ]] || { echo "shard.sh: $outdir: not a directory" >&2; exit 73; }

if [[ -z $bin ]]; then
  bin=${PLAINSIGHT:-}
  [[ -z $bin ]] && bin=$(command -v plainsight || true)
  [[ -z $bin ]] && bin="$(dirname "$0")/../build/plainsight"
fi

# Capture files only: pcap (either byte order, micro or nano) and pcapng.
is_capture() {
  local magic
  magic=$(od -An -tx1 -N4 -- "$1" 2>/dev/null | tr -d ' \n')
  case $magic in
    d4c3b2a1|a1b2c3d4|4d3cb2a1|a1b23c4d|0a0d0d0a) return 0 ;;
    *) return 1 ;;
  esac
}

listing=()
while IFS= read -r -d '' f; do
  if is_capture "$f"; then
    listing+=("$(stat -c '%s' -- "$f")"$'\t'"$f")
  fi
done < <(find "$dir" -maxdepth 1 -type f ! -name '.*' -print0)

mine=()
if ((${#listing[@]} > 0)); then
  # Greedy by size, the same on every job: largest file first, to the
  # least loaded shard; equal sizes in name order.
  while IFS= read -r f; do mine+=("$f"); done < <(
    printf '%s\n' "${listing[@]}" | LC_ALL=C sort -t $'\t' -k1,1nr -k2,2 |
      awk -F'\t' -v n="$of" -v k="$shard" '
        BEGIN { for (i = 0; i < n; i++) load[i] = 0 }
        { best = 0
          for (i = 1; i < n; i++) if (load[i] < load[best]) best = i
          load[best] += $1
          if (best == k) print $2 }' | LC_ALL=C sort)
fi

out="$outdir/eve-$shard.json"
if ((${#mine[@]} == 0)); then
  echo "shard.sh: shard $shard of $of has no files (fewer files than shards)" >&2
  : >"$out"
  exit 0
fi
args=()
for f in "${mine[@]}"; do args+=(-r "$f"); done
exec "$bin" "${args[@]}" -o "$out" "$@"

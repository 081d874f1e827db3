#!/usr/bin/env bash
# celeba-pack across MPI ranks on this machine: 1 process x T threads against N ranks x T/N threads on the same
# input, one after the other (never at once). Prints each run's images/s (from the summary line), the ratio against
# the one-process run, and whether the N-rank cache is byte-identical to the one-process cache at the same
# --threads (a third, one-process run at T/N threads). Usage:
#   bench/mpi_pack.sh INPUT_DIR [RANKS=2] [THREADS=2] [extra celeba-pack options...]
# The tool comes from build/release (DCGAN_BUILD=dir to change). An input: ../shared/tools/make_celeba_like.py DIR
# --n 2000, or /usr/share/datasets/fashion-mnist with --layout idx --channels 1 --limit 20000.
set -euo pipefail
[ $# -ge 1 ] || { sed -n 2,8p "$0" >&2; exit 2; }
input="$1"; ranks="${2:-2}"; threads="${3:-2}"
shift $(( $# < 3 ? $# : 3 ))
source "$(dirname "${BASH_SOURCE[0]}")/mpi_common.sh"
pack="$tools/celeba-pack"
common=(--input "$input" --quiet "$@")
rate() { sed -n 's/.* s, \([0-9.]*\) images\/s.*/\1/p' "$1"; }
per_rank=$(( threads / ranks ))

"$pack" "${common[@]}" --threads "$threads" --output "$work/one" >"$work/one.log" 2>"$work/one.err"
"${mpirun[@]}" -np "$ranks" "$pack" "${common[@]}" --threads "$per_rank" --output "$work/many" \
  >"$work/many.log" 2>"$work/many.err"
"$pack" "${common[@]}" --threads "$per_rank" --output "$work/same" >"$work/same.log" 2>"$work/same.err"
one=$(rate "$work/one.log"); many=$(rate "$work/many.log")
same=identical; diff -rq -x .lock "$work/same" "$work/many" >/dev/null || same=DIFFERENT
printf '%-30s %8s images/s\n' "1 process x $threads threads" "$one"
printf '%-30s %8s images/s  %.2fx   cache %s to 1 process x %s threads\n' "$ranks ranks x $per_rank threads" "$many" \
  "$(echo "$many / $one" | bc -l)" "$same" "$per_rank"

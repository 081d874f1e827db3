#!/usr/bin/env bash
# Data-parallel training on this machine: 1 process x T threads against N ranks x T/N threads at the same global
# batch, one after the other (never at once), and N ranks with the gradient average after backward instead of
# during it. Prints each run's images/s (from train's summary line), the ratio against the one-process run, and the
# gradient average's bytes, time and wait per iteration. Usage:
#   bench/mpi_train.sh CACHE_DIR [ITERS=20] [BATCH=64] [RANKS=2] [THREADS=2] [extra train options...]
# The tools come from build/release (DCGAN_BUILD=dir to change). A cache: celeba-pack --input
# /usr/share/datasets/fashion-mnist --layout idx --channels 1 --limit 2048 --output CACHE_DIR.
set -euo pipefail
[ $# -ge 1 ] || { sed -n 2,8p "$0" >&2; exit 2; }
cache="$1"; iters="${2:-20}"; batch="${3:-64}"; ranks="${4:-2}"; threads="${5:-2}"
shift $(( $# < 5 ? $# : 5 ))
source "$(dirname "${BASH_SOURCE[0]}")/mpi_common.sh"
dcgan="$tools/dcgan-onednn"
common=(train --data "$cache" --batch "$batch" --iters "$iters" --no-progress --sample-every 0 --log-every 0 "$@")
rate() { sed -n 's/.* s: \([0-9.]*\) images\/s.*/\1/p' "$1"; }

"$dcgan" "${common[@]}" --threads "$threads" --out "$work/one" >"$work/one.log"
"${mpirun[@]}" -np "$ranks" "$dcgan" "${common[@]}" --threads $(( threads / ranks )) --out "$work/many" >"$work/many.log"
"${mpirun[@]}" -np "$ranks" "$dcgan" "${common[@]}" --threads $(( threads / ranks )) --no-grad-overlap \
  --out "$work/after" >"$work/after.log"
one=$(rate "$work/one.log")
printf '%-44s %8s images/s\n' "1 process x $threads threads" "$one"
for k in many after; do
  r=$(rate "$work/$k.log")
  label="$ranks ranks x $(( threads / ranks )) threads"; [ "$k" = after ] && label+=" (--no-grad-overlap)"
  printf '%-44s %8s images/s  %.2fx   %s\n' "$label" "$r" "$(echo "$r / $one" | bc -l)" \
    "$(sed -n 's/^gradient average (rank 0): //p' "$work/$k.log")"
done

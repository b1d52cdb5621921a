#!/usr/bin/env bash
# The measurements of docs/scaling.md: sgn and scaling.py (PyTorch) on
# 784-H-10 relu networks, each command under /usr/bin/time -v, one line per
# command (wall, user and system CPU seconds, peak resident memory, the load
# average before and after) in OUT/summary.txt, the full output in OUT/NAME.log.
#
#   internal/speedref/scaling.sh [OUT] [HIDDEN...]
#
# Run from the repository root after `make build`. OUT defaults to
# out/scaling, the widths to 1 13 126 1000 (P = 805, 10,345, 100,180,
# 795,010). SGN (default bin/sgn) and PYTHON (default /usr/bin/python3) as in
# compare.sh; N_SIZES (default "2000") the --first of hessian, covariance and
# noise; N_SWEEP_H (default 126) the width whose hessian and covariance are
# also run at N = 10,000 and 60,000.
set -euo pipefail
out=${1:-out/scaling}
shift || true
widths=${*:-1 13 126 1000}
SGN=${SGN:-bin/sgn}
PYTHON=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
run() { # NAME command...
	local name=$1 log="$out/$1.log"
	shift
	local before
	before=$(cut -d' ' -f1-3 /proc/loadavg)
	/usr/bin/time -v "$@" >"$log" 2>&1 || true
	awk -v n="$name" -v b="$before" -v a="$(cut -d' ' -f1-3 /proc/loadavg)" '
		/User time/ {u=$NF} /System time/ {s=$NF} /Elapsed/ {w=$NF} /Maximum resident/ {r=$NF} /Exit status/ {x=$NF}
		END {printf "%s wall=%s user=%s sys=%s maxrss_kb=%s exit=%s load_before=%s load_after=%s\n", n, w, u, s, r, x, b, a}' "$log" >>"$out/summary.txt"
}
data=$out/data/train.safetensors
[ -f "$data" ] || "$SGN" data export --pool 1 --split train --out "$data"
for h in $widths; do
	run "train-h$h" "$SGN" train --preset mnist --layers "784,$h,10" --activation relu --pool 1 --epochs 1 --quiet --out "$out/m$h"
	run "torch-train-h$h" "$PYTHON" "$here/scaling.py" train --data "$data" --hidden "$h"
done
for n in ${N_SIZES:-2000}; do
	for h in $widths; do
		ck=$out/m$h/model.safetensors
		run "hessian-h$h-n$n" "$SGN" hessian --checkpoint "$ck" --first "$n" --top-k 20 --trace --quiet --out "$out/hessian-h$h-n$n"
		run "torch-hessian-h$h-n$n" "$PYTHON" "$here/scaling.py" hessian --data "$data" --checkpoint "$ck" --first "$n"
		run "covariance-h$h-n$n" "$SGN" covariance --checkpoint "$ck" --first "$n" --batch-size 128 --mode matfree --top-k 20 --quiet --out "$out/covariance-h$h-n$n"
		run "torch-covariance-h$h-n$n" "$PYTHON" "$here/scaling.py" covariance --data "$data" --checkpoint "$ck" --first "$n"
		run "noise-h$h-n$n" "$SGN" noise --checkpoint "$ck" --first "$n" --quiet --out "$out/noise-h$h-n$n"
	done
done
h=${N_SWEEP_H:-126}
ck=$out/m$h/model.safetensors
for n in 10000 60000; do
	run "hessian-h$h-n$n" "$SGN" hessian --checkpoint "$ck" --first "$n" --top-k 20 --trace --quiet --out "$out/hessian-h$h-n$n"
	run "torch-hessian-h$h-n$n" "$PYTHON" "$here/scaling.py" hessian --data "$data" --checkpoint "$ck" --first "$n"
	run "covariance-h$h-n$n" "$SGN" covariance --checkpoint "$ck" --first "$n" --batch-size 128 --mode matfree --top-k 20 --quiet --out "$out/covariance-h$h-n$n"
	run "torch-covariance-h$h-n$n" "$PYTHON" "$here/scaling.py" covariance --data "$data" --checkpoint "$ck" --first "$n"
done
cat "$out/summary.txt"

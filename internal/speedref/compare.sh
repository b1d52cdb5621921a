#!/usr/bin/env bash
# sgn against the PyTorch references of this folder, interleaved, in one sitting.
#
#   internal/speedref/compare.sh figure [REPS]   make figure's two commands vs figure_pipeline.py
#   internal/speedref/compare.sh train [REPS]    one sgn train epoch vs train_step.py (samples/s)
#   internal/speedref/compare.sh replicas [REPS] escape/network BenchmarkReplicaSteps49_8_10 vs
#                                                replica_steps.py, 100 and 16 replicas stepped
#                                                together on each side (replica-steps/s and per
#                                                CPU-second; needs go)
#
# Run from the repository root after `make build`. REPS defaults to 3; the
# order alternates between repetitions. PYTHON (default: the first of python3
# and /usr/bin/python3 that imports torch and numpy) must import
# torch; SGN (default bin/sgn) is the binary measured. Wall-clock and CPU
# (user + system) seconds of whole commands (process start and imports
# included), the load average before each repetition, and the ratios
# PyTorch/sgn per repetition (CPU seconds are what a time-shared machine
# dilutes least).
set -euo pipefail
mode=${1:-figure}
reps=${2:-3}
if [ -z "${PYTHON:-}" ]; then
	# the first interpreter that imports torch (a virtualenv's python3 may not;
	# Debian's python3-torch is in /usr/bin/python3)
	for p in python3 /usr/bin/python3; do
		if "$p" -c 'import torch, numpy' >/dev/null 2>&1; then PYTHON=$p; break; fi
	done
	if [ -z "${PYTHON:-}" ]; then
		echo "compare.sh: no python3 here imports torch and numpy (apt-get install python3-torch, or set PYTHON)" >&2
		exit 1
	fi
fi
SGN=${SGN:-bin/sgn}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# timed WALL CPU cmd...: runs cmd (output discarded, stderr kept in
# $work/stderr) and sets $WALL to its wall-clock and $CPU to its user+system
# seconds.
timed() {
	local wv=$1 cv=$2 t w u s
	shift 2
	t=$({ TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>>"$work/stderr"; } 2>&1) || { cat "$work/stderr" >&2; exit 1; }
	read -r w u s <<<"$t"
	printf -v "$wv" '%s' "$w"
	printf -v "$cv" '%s' "$(echo "$u + $s" | bc)"
}
load() { cut -d' ' -f1 /proc/loadavg; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

case $mode in
figure)
	$SGN data export --pool 4 --split train --out "$work/data/train.safetensors" --quiet >/dev/null
	$SGN data export --pool 4 --split test --out "$work/data/test.safetensors" --quiet >/dev/null
	sgn_run() {
		rm -rf "$work/out"
		timed st stc $SGN train --preset figure --out "$work/out/figure-model" --quiet
		timed sc scc $SGN covariance --checkpoint "$work/out/figure-model/model.safetensors" --first 2000 --batch-size 64 --out "$work/out/cvh" --quiet
		sgn=$(echo "$st + $sc" | bc) sgnc=$(echo "$stc + $scc" | bc)
	}
	torch_run() {
		timed torch torchc $PYTHON "$here/figure_pipeline.py" --data "$work/data" --out "$work/torch.json"
	}
	echo "rep load sgn_train_s sgn_covariance_s sgn_s torch_s torch/sgn | sgn_cpu_s torch_cpu_s torch/sgn_cpu"
	for r in $(seq "$reps"); do
		l=$(load)
		if ((r % 2)); then sgn_run; torch_run; else torch_run; sgn_run; fi
		printf '%d %s %.2f %.2f %.2f %.2f %.2f | %.2f %.2f %.2f\n' "$r" "$l" "$st" "$sc" "$sgn" "$torch" "$(echo "$torch / $sgn" | bc -l)" \
			"$sgnc" "$torchc" "$(echo "$torchc / $sgnc" | bc -l)"
	done
	echo "cross-check of the last sgn run's numbers:"
	$PYTHON "$here/figure_pipeline.py" --data "$work/data" --check "$work/out/cvh" | tail -1
	;;
train)
	$SGN data export --pool 1 --split train --out "$work/train.safetensors" --quiet >/dev/null
	sgn_run() {
		rm -rf "$work/tr"
		$SGN train --layers 784,100,10 --activation relu --pool 1 --batch-size 128 --eta 0.1 --epochs 1 --out "$work/tr" --quiet >/dev/null
		sgn=$(grep -o '"samples_per_sec":[0-9.e+]*' "$work/tr/log.jsonl" | tail -1 | cut -d: -f2)
	}
	torch_run() {
		torch=$($PYTHON "$here/train_step.py" "$work/train.safetensors" 1 | grep -o '"samples_per_sec": [0-9.e+]*' | cut -d' ' -f2)
	}
	echo "rep load sgn_samples_per_s torch_samples_per_s sgn/torch"
	for r in $(seq "$reps"); do
		l=$(load)
		if ((r % 2)); then sgn_run; torch_run; else torch_run; sgn_run; fi
		printf '%d %s %.0f %.0f %.2f\n' "$r" "$l" "$sgn" "$torch" "$(echo "$sgn / $torch" | bc -l)"
	done
	;;
replicas)
	go test -c -o "$work/network.test" ./escape/network/
	sgn_run() { # R
		local out
		out=$("$work/network.test" -test.run '^$' -test.bench "ReplicaSteps49_8_10/R=$1\$" -test.benchtime 100000x | grep '^BenchmarkReplicaSteps')
		sgn=$(echo "$out" | grep -o '[0-9.]* replica-steps/s' | cut -d' ' -f1)
		sgnc=$(echo "$out" | grep -o '[0-9.]* replica-steps/cpu-s' | cut -d' ' -f1)
	}
	torch_run() { # R
		local out
		out=$($PYTHON "$here/replica_steps.py" "$1" 500 1)
		torch=$(echo "$out" | grep -o '"replica_steps_per_sec": [0-9.e+]*' | cut -d' ' -f2)
		torchc=$(echo "$out" | grep -o '"replica_steps_per_cpu_sec": [0-9.e+]*' | cut -d' ' -f2)
	}
	echo "rep load replicas sgn_steps_per_s torch_steps_per_s sgn/torch | sgn_per_cpu_s torch_per_cpu_s sgn/torch_cpu"
	for r in $(seq "$reps"); do
		for R in 100 16; do
			l=$(load)
			if ((r % 2)); then sgn_run "$R"; torch_run "$R"; else torch_run "$R"; sgn_run "$R"; fi
			printf '%d %s %d %.0f %.0f %.2f | %.0f %.0f %.2f\n' "$r" "$l" "$R" "$sgn" "$torch" "$(echo "$sgn / $torch" | bc -l)" \
				"$sgnc" "$torchc" "$(echo "$sgnc / $torchc" | bc -l)"
		done
	done
	;;
*)
	echo "compare.sh: mode $mode: expected figure, train or replicas" >&2
	exit 2
	;;
esac

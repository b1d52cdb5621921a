#!/usr/bin/env bash
# sgn against the PyTorch references of this folder, interleaved, in one sitting.
#
#   internal/speedref/compare.sh figure [REPS]   make figure's two commands vs figure_pipeline.py
#   internal/speedref/compare.sh train [REPS]    one sgn train epoch vs train_step.py (samples/s)
#   internal/speedref/compare.sh replicas [REPS] escape/network BenchmarkReplicaSteps49_8_10 vs
#                                                replica_steps.py, 100 and 16 replicas stepped
#                                                together on each side (replica-steps/s and per
#                                                CPU-second; needs go)
#   internal/speedref/compare.sh table [REPS]    every row of the README's "Measured speed" table, each
#                                                against its reference (the three above; BenchmarkTrain,
#                                                the SGD step and NetworkRunsWorkers on 2 workers against
#                                                1; DGEMM against OpenBLAS when -tags openblas builds),
#                                                interleaved, printed as that table in Markdown (needs go)
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
table)
	# Every row of the README's table, each sgn measurement against its
	# reference, interleaved (the order alternates between repetitions),
	# then the table in Markdown with ranges over the repetitions.
	gotest() { # PKG OUT [TAGS]: a test binary
		go test -c ${3:+-tags "$3"} -o "$2" "$1" >/dev/null
	}
	gotest ./train/ "$work/train.test"
	gotest ./model/graph/ "$work/graph.test"
	gotest ./escape/network/ "$work/network.test"
	gotest ./escape/kramers/ "$work/kramers.test"
	gotest ./internal/gemm/ "$work/gemm.test"
	# the OpenBLAS build, linked as make BLAS=openblas links it, if it builds
	openblas=
	if CGO_LDFLAGS=-lopenblas gotest ./internal/gemm/ "$work/gemm-openblas.test" openblas 2>/dev/null; then openblas=1; fi
	$SGN data export --pool 1 --split train --out "$work/train784.safetensors" --quiet >/dev/null
	$SGN data export --pool 4 --split train --out "$work/data/train.safetensors" --quiet >/dev/null
	$SGN data export --pool 4 --split test --out "$work/data/test.safetensors" --quiet >/dev/null
	mkdir -p "$work/v"
	# put ROW KEY VALUE: one repetition's value of a row.
	put() { echo "$3" >>"$work/v/$1.$2"; }
	# metric OUT NAME UNIT: the value of UNIT on the benchmark line NAME.
	metric() { echo "$1" | grep "^Benchmark$2[-[:space:]]" | grep -oE "[0-9.e+]+ $3([[:space:]]|\$)" | head -1 | cut -d' ' -f1; }
	bench() { # BINARY PATTERN BENCHTIME
		(cd "$work" && "$1" -test.run '^$' -test.bench "$2" -test.benchtime "$3" 2>&1) | grep '^Benchmark' || true
	}
	# The rows: each function measures sgn ("s") or the reference ("r").
	row_train() {
		if [ "$1" = s ]; then
			rm -rf "$work/tr"
			$SGN train --layers 784,100,10 --activation relu --pool 1 --batch-size 128 --eta 0.1 --epochs 1 --out "$work/tr" --quiet >/dev/null
			put train s "$(grep -o '"samples_per_sec":[0-9.e+]*' "$work/tr/log.jsonl" | tail -1 | cut -d: -f2)"
		else
			put train r "$($PYTHON "$here/train_step.py" "$work/train784.safetensors" 1 | grep -o '"samples_per_sec": [0-9.e+]*' | cut -d' ' -f2)"
		fi
	}
	row_figure() {
		if [ "$1" = s ]; then
			rm -rf "$work/out"
			timed st stc $SGN train --preset figure --out "$work/out/figure-model" --quiet
			timed sc scc $SGN covariance --checkpoint "$work/out/figure-model/model.safetensors" --first 2000 --batch-size 64 --out "$work/out/cvh" --quiet
			put figure s "$(echo "$st + $sc" | bc)"
			put figure-cpu s "$(echo "$stc + $scc" | bc)"
		else
			timed torch torchc $PYTHON "$here/figure_pipeline.py" --data "$work/data" --out "$work/torch.json"
			put figure r "$torch"
			put figure-cpu r "$torchc"
		fi
	}
	row_replicas() { # s|r R
		local out
		if [ "$1" = s ]; then
			out=$(bench "$work/network.test" "ReplicaSteps49_8_10/R=$2\$" 100000x)
			put "replicas$2" s "$(metric "$out" "ReplicaSteps49_8_10/R=$2" replica-steps/cpu-s)"
			put "replicas$2-wall" s "$(metric "$out" "ReplicaSteps49_8_10/R=$2" replica-steps/s)"
		else
			out=$($PYTHON "$here/replica_steps.py" "$2" 500 1)
			put "replicas$2" r "$(echo "$out" | grep -o '"replica_steps_per_cpu_sec": [0-9.e+]*' | cut -d' ' -f2)"
			put "replicas$2-wall" r "$(echo "$out" | grep -o '"replica_steps_per_sec": [0-9.e+]*' | cut -d' ' -f2)"
		fi
	}
	row_trainbench() { # s (2 workers) | r (1 worker)
		local w=1 out
		[ "$1" = s ] && w=2
		out=$(bench "$work/train.test" "^BenchmarkTrain\$/^workers=$w\$" 5x)
		put trainw "$1" "$(metric "$out" "Train/workers=$w" samples/s)"
		put trainw-cpu "$1" "$(metric "$out" "Train/workers=$w" cpu-samples/s)"
	}
	row_step() {
		local name=SGDStepGorgonia out
		[ "$1" = s ] && name=SGDStepGorgonia2Workers
		out=$(bench "$work/graph.test" "^Benchmark$name\$" 2000x)
		put step "$1" "$(metric "$out" "$name" samples/s)"
		put step-cpu "$1" "$(metric "$out" "$name" cpu-samples/s)"
	}
	row_runs() {
		local w=1 out
		[ "$1" = s ] && w=2
		out=$(bench "$work/kramers.test" "^BenchmarkNetworkRunsWorkers\$/^workers=$w\$" 2x)
		put runs "$1" "$(metric "$out" "NetworkRunsWorkers/workers=$w" runs/s)"
		put runs-cpu "$1" "$(metric "$out" "NetworkRunsWorkers/workers=$w" runs/cpu-s)"
	}
	row_dgemm() {
		local out
		if [ "$1" = s ]; then
			out=$(bench "$work/gemm.test" '^BenchmarkDgemm$' 300ms)
		else
			out=$(bench "$work/gemm-openblas.test" '^BenchmarkDgemmOpenBLAS$' 300ms)
		fi
		# one value per shape, in the benchmark's order
		echo "$out" | grep -o '[0-9.]* cpu-GFLOP/s' | cut -d' ' -f1 | tr '\n' ' ' >>"$work/v/dgemm.$1"
		echo >>"$work/v/dgemm.$1"
	}
	rows="train figure replicas100 replicas16 trainbench step runs"
	[ -n "$openblas" ] && rows="$rows dgemm"
	loads=()
	t0=$(date +%s)
	for r in $(seq "$reps"); do
		loads+=("$(load)")
		for row in $rows; do
			case $row in
			replicas*) f=row_replicas arg=${row#replicas} ;;
			*) f=row_$row arg= ;;
			esac
			if ((r % 2)); then $f s $arg; $f r $arg; else $f r $arg; $f s $arg; fi
		done
	done
	loads+=("$(load)")
	# rng ROW: the range of sgn's values, of the reference's, and of the
	# per-repetition ratios sgn/reference (INV: reference/sgn, for times)
	rng() { # FILE [SCALE]
		sort -g "$1" | awk -v sc="${2:-1}" 'NR==1{lo=$1} {hi=$1} END{f=(hi*sc>=100)?"%.0f":(hi*sc>=10?"%.1f":"%.2f"); a=sprintf(f, lo*sc); b=sprintf(f, hi*sc); printf "%s", (a==b ? a : a "–" b)}'
	}
	ratio() { # ROW [INV]
		paste -d' ' "$work/v/$1.s" "$work/v/$1.r" | awk -v inv="${2:-}" '{print (inv ? $2/$1 : $1/$2)}' >"$work/v/$1.x"
		sort -g "$work/v/$1.x" | awk 'NR==1{lo=$1} {hi=$1} END{a=sprintf("%.2f", lo); b=sprintf("%.2f", hi); printf "**%s×**", (a==b ? a : a "–" b)}'
	}
	k() { rng "$1" 0.001 | sed 's/$/k/'; }
	echo "Measured by \`internal/speedref/compare.sh table $reps\` on $(date -u '+%Y-%m-%d %H:%M') UTC, $(getconf _NPROCESSORS_ONLN) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $reps repetitions in $(( $(date +%s) - t0 )) s, load average $(printf '%s\n' "${loads[@]}" | sort -g | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//; s/ /–/')."
	echo
	echo "| what | command | sgn | reference | sgn against the reference |"
	echo "| --- | --- | --- | --- | --- |"
	V=$work/v
	echo "| one \`sgn train\` epoch, 784-100-10 relu, B = 128, one worker, samples/s of the training loop, against PyTorch (\`train_step.py\`) | \`compare.sh train\` | $(k $V/train.s) | $(k $V/train.r) | $(ratio train) |"
	echo "| \`make figure\` (\`sgn train --preset figure\`, \`sgn covariance … --first 2000 --batch-size 64\`), seconds, against the same pipeline in PyTorch (\`figure_pipeline.py\`) | \`compare.sh figure\` | $(rng $V/figure.s) s | $(rng $V/figure.r) s | $(ratio figure inv) faster; CPU seconds $(rng $V/figure-cpu.s) against $(rng $V/figure-cpu.r): $(ratio figure-cpu inv) |"
	for R in 100 16; do
		echo "| replica-steps of network escape runs (49-8-10 tanh, SGD B = 16), $R runs stepped together (\`escape/network BenchmarkReplicaSteps49_8_10/R=$R\`), per CPU-second, against PyTorch stepping $R replicas stacked (\`replica_steps.py $R\`) | \`compare.sh replicas\` | $(k $V/replicas$R.s) | $(k $V/replicas$R.r) | $(ratio replicas$R); wall clock $(ratio replicas$R-wall) |"
	done
	echo "| \`sgn train\`'s loop (one epoch of 12,800 images, B = 128), 2 workers against 1, samples/s | \`go test -run '^\$' -bench Train -benchtime 5x ./train/\` | $(k $V/trainw.s) | $(k $V/trainw.r) | $(ratio trainw); per CPU-second $(ratio trainw-cpu) |"
	echo "| one SGD step, 784-100-10 relu, B = 128 (one chunk), 2 workers against 1, samples/s | \`go test -run '^\$' -bench 'SGDStepGorgonia(2Workers)?\$' ./model/graph/\` | $(k $V/step.s) | $(k $V/step.r) | $(ratio step); per CPU-second $(ratio step-cpu) |"
	echo "| whole network escape runs (16 per point), 2 workers against 1, runs/s | \`go test -run '^\$' -bench NetworkRunsWorkers ./escape/kramers/\` | $(rng $V/runs.s) | $(rng $V/runs.r) | $(ratio runs); per CPU-second $(ratio runs-cpu) |"
	if [ -n "$openblas" ]; then
		# per shape: ratio of the medians is not needed; ranges over shapes and repetitions
		paste -d' ' <(tr ' ' '\n' <"$V/dgemm.s" | grep .) <(tr ' ' '\n' <"$V/dgemm.r" | grep .) | awk '{print $1/$2}' >"$V/dgemm.x"
		echo "| DGEMM on the training shapes (784-100-10, B = 128 and 64, both layers, forward and backward), one thread, GFLOP/s per CPU-second, against OpenBLAS | \`make bench BLAS=openblas\` (\`internal/gemm BenchmarkDgemm\`, \`BenchmarkDgemmOpenBLAS\`) | $(tr ' ' '\n' <"$V/dgemm.s" | grep . >"$V/dgemm.s1"; rng "$V/dgemm.s1") | $(tr ' ' '\n' <"$V/dgemm.r" | grep . >"$V/dgemm.r1"; rng "$V/dgemm.r1") | $(sort -g "$V/dgemm.x" | awk 'NR==1{lo=$1} {hi=$1} END{printf "**%.2f–%.2f×** over the shapes and repetitions", lo, hi}') |"
	else
		echo "| DGEMM against OpenBLAS | \`make bench BLAS=openblas\` | not measured: \`go test -tags openblas ./internal/gemm/\` does not build here (\`apt-get install libopenblas-dev\`) | | |"
	fi
	echo
	echo "Cross-check of the last sgn figure run's numbers against PyTorch:"
	$PYTHON "$here/figure_pipeline.py" --data "$work/data" --check "$work/out/cvh" | tail -1
	;;
*)
	echo "compare.sh: mode $mode: expected figure, train, replicas or table" >&2
	exit 2
	;;
esac

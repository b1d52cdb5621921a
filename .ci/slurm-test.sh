#!/usr/bin/env bash
# The cluster guide's Slurm commands (docs/cluster.md) on a real one-node
# Slurm cluster (this machine, 2 CPUs). Run as root from anywhere in the
# repository; .ci/run calls it.
#
#  1. installs Debian's slurmctld, slurmd, slurm-client and munge if missing;
#  2. builds bin/sgn (make build) and runs a small 4-shard network escape
#     sweep in one process: the reference;
#  3. starts munged, slurmctld and slurmd with every file in a temporary
#     folder (the system's /etc/munge and /etc/slurm are not touched);
#  4. A: runs the guide's submit block as it is, 2 shards — sgn cluster slurm
#     writes the scripts (OUT with a trailing slash, as tab completion leaves it),
#     submit.sh submits the array and the merge — in a shell whose PATH holds
#     no Go and whose HOME is empty; 1 CPU per task, two tasks at a time.
#     Task 1 is stopped by its time limit: once it runs, its limit is
#     lowered to 1 minute, so Slurm warns it (--signal=B:USR1@120); the
#     task must stop at a run boundary and requeue itself, and only itself;
#     then its limit is raised back and it resumes.
#     The merged runs.jsonl and rates.csv must be byte-identical to the
#     reference;
#  5. B: the submit block again, 4 shards; cancels array task 2 mid-run
#     (scancel: it must not requeue itself), checks that sgn sweep status
#     reports it incomplete and lists it to
#     retry, runs the guide's resume block as it is (submit.sh with that
#     list; the pending merge is cancelled), waits; byte-identical again;
#  6. C: the submit block for the training sweep of `sgn selection networks`
#     (--family, 2 shards): runs.jsonl and selection-networks.csv
#     byte-identical to one process;
#  7. stops every daemon it started (also on failure or interrupt).
#
# The two blocks are read from docs/cluster.md (the ```sh blocks after the
# lines "<!-- .ci/slurm-test.sh runs this block as it is -->"), so the guide
# shows exactly what ran.
set -euo pipefail
CI_NAME=slurm-test
. "$(dirname "$0")/lib.sh"
need_root "it starts munged, slurmctld and slurmd"
missing=()
for c in slurmctld slurmd sbatch munged mungekey; do
	command -v "$c" >/dev/null || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})"
	apt_install slurmctld slurmd slurm-client munge
fi
say "$(dpkg-query -W -f 'slurmctld ${Version}, munge ' slurmctld)$(dpkg-query -W -f '${Version}' munge)"

# ---------------------------------------------------------------- the build
make build >/dev/null
T=$(mktemp -d /tmp/sgn-slurm-test.XXXXXX)
say "work folder $T"

# ---------------------------------------------------------------- daemons
pids=()
cleanup() {
	local rc=$?
	if [ -n "${SLURM_CONF:-}" ]; then # the jobs of this private cluster
		squeue -h -o %A 2>/dev/null | sort -u | xargs -r scancel 2>/dev/null || true
		sleep 6 # KillWait + 1
	fi
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ $rc -ne 0 ]; then
		for f in "$T"/*.stderr "$T"/run-*/block.log "$T"/run-*/jobs/*/logs/*; do
			[ -f "$f" ] && { echo "--- $f (last lines)" >&2; tail -n 15 "$f" >&2; }
		done
		say "kept $T for inspection"
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

host=$(uname -n)
host=${host%%.*}
mkdir -p "$T/munge" "$T/state" "$T/spool"
chmod 755 "$T/munge"
mungekey -c -k "$T/munge/munge.key"
munged -F --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.socket" \
	--pid-file="$T/munge/munged.pid" --seed-file="$T/munge/munged.seed" \
	--log-file="$T/munged.log" 2>"$T/munged.stderr" &
pids+=($!)
cat >"$T/slurm.conf" <<EOF
ClusterName=sgnci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=3600
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=1024 State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$T/slurm.conf"
for i in $(seq 50); do
	[ -S "$T/munge/munge.socket" ] && break
	sleep 0.1
done
slurmctld -D -f "$SLURM_CONF" 2>"$T/slurmctld.stderr" &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" 2>"$T/slurmd.stderr" &
pids+=($!)
for i in $(seq 60); do
	state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
	[ "$state" = idle ] && break
	sleep 1
done
[ "$state" = idle ] || fail "node $host is not idle after 60 s (state '$state')"
say "one-node cluster up: $host, $(sinfo -h -o '%c CPUs, partition %P')"

# ---------------------------------------------------------------- the sweep
# A network escape sweep: a 49-8-10 MLP on 200 MNIST images, its minimum
# found by L-BFGS with weight decay 1e-3 (in every shard), minibatch SGD at
# three sharpnesses (k = 4 escapes, k = 1 and 2 run to max_steps). 300 runs a
# point: a shard on one CPU of a quiet machine takes about a minute, longer
# than Slurm needs to deliver the time-limit signal in A (slurmctld checks
# time limits every 30 s), and B has runs left to cancel.
cat >"$T/sweep.json" <<'EOF'
{"seed": 5, "network": {"layers": [49, 8, 10], "first": 200, "weight_decay": 0.001, "check_every": 10},
 "dynamics": ["sgd"], "sharpness": [1, 2, 4], "batch_size": [10], "eta": [0.1], "runs": 300, "max_steps": 6000,
 "criterion": {"kind": "loss", "delta": 0.1}}
EOF
start=$SECONDS
bin/sgn escape sweep --config "$T/sweep.json" --out "$T/single" --workers 2 --quiet >/dev/null
bin/sgn escape fit "$T/single" >/dev/null
say "single-process reference: $(wc -l <"$T/single/runs.jsonl") runs in $((SECONDS - start)) s"

# block N of the guide marked for this test.
block() {
	awk -v want="$1" '
		/^<!-- \.ci\/slurm-test\.sh runs this block as it is -->$/ { n++; armed = (n == want); next }
		armed && /^```sh$/ { inside = 1; next }
		inside && /^```$/ { exit }
		inside { print }
	' "$repo/docs/cluster.md"
}
submit=$(block 1)
resume=$(block 2)
[ -n "$submit" ] && [ -n "$resume" ] || fail "docs/cluster.md lacks the two marked sh blocks"

# run-folder: a folder holding the repository's bin/ (what the guide's
# commands name) where the jobs are submitted from.
runfolder() {
	local d="$T/run-$1"
	mkdir -p "$d/home"
	ln -s "$repo/bin" "$d/bin"
	echo "$d"
}

# field ID NAME prints a field of a job's record (array tasks: ID_i).
field() { scontrol -o show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
job_state() { field "$1" JobState; }

# wait_gone ID waits until job ID (all tasks of an array) has left the queue.
wait_gone() {
	for i in $(seq 900); do
		[ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
		sleep 1
	done
	fail "job $1 still queued after 900 s"
}

# wait_state ID STATE waits until job ID is in STATE.
wait_state() {
	for i in $(seq 3000); do
		[ "$(job_state "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	fail "job $1 is $(job_state "$1"), not $2, after 600 s"
}

# same REF DIR FILE...: the merged files in DIR equal the reference's.
same() {
	local ref=$1 dir=$2
	shift 2
	for f in "$@"; do
		[ -f "$dir/$f" ] || fail "$dir/$f was not written"
		cmp "$ref/$f" "$dir/$f" || fail "$dir/$f differs from the single-process sweep"
	done
}

# sub DIR BLOCK VARS...: runs a guide block in DIR in the shell the guide's
# blocks run in (a PATH with no Go toolchain, an empty HOME, no module cache:
# bin/sgn must be self-contained), with the variables VARS; prints "$jid
# $mid" (the block's own output goes to DIR/block.log).
sub() {
	local d=$1 code=$2
	shift 2
	(cd "$d" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SLURM_CONF="$SLURM_CONF" HOME="$d/home" "$@" \
		bash -euo pipefail -c "$code"$'\n''echo "$jid $mid" >&3' 3>&1 >>"$d/block.log" 2>&1)
}

# ---------------------------------------------------------------- A: a clean run, task 1 stopped by its time limit
d=$(runfolder a)
start=$SECONDS
ids=$(sub "$d" "$submit" SHARDS=2 CPUS=1 CONFIG="$T/sweep.json" OUT=out/sweep/ JOBS=jobs/sweep)
read -r jid mid <<<"$ids"
say "A: submitted array $jid and merge $mid (OUT=out/sweep/)"
[ -d "$d/out/sweep-shard-0" ] || [ -d "$d/jobs/sweep" ] || fail "A: no job folder"
wait_state "${jid}_1" RUNNING
scontrol update JobId="${jid}_1" TimeLimit=00:01:00
lowered=$((SECONDS - start))
say "A: task 1 runs; its time limit lowered to 1 minute"
for i in $(seq 900); do
	[ "$(field "${jid}_1" Restarts)" -ge 1 ] 2>/dev/null && [ "$(job_state "${jid}_1")" = PENDING ] && break
	# Only a final state fails: scontrol also shows transient flag states
	# (SIGNALING while the time-limit signal is delivered, REQUEUED,
	# COMPLETING, CONFIGURING, STAGE_OUT, RESIZING) and "" when it does not answer.
	st=$(job_state "${jid}_1")
	case "$st" in
	COMPLETED | CANCELLED | FAILED | TIMEOUT | NODE_FAIL | PREEMPTED | BOOT_FAIL | DEADLINE | OUT_OF_MEMORY) fail "A: task 1 ended $st instead of requeueing itself ($(grep -c '' "$d/out/sweep-shard-1/runs.jsonl" 2>/dev/null || echo 0) runs written; lowered limit at $lowered s, now $((SECONDS - start)) s)" ;;
	*) ;;
	esac
	sleep 0.2
done
[ "$(job_state "${jid}_1")" = PENDING ] || fail "A: task 1 was not requeued within 180 s"
runs1=$(grep -c '' "$d/out/sweep-shard-1/runs.jsonl" 2>/dev/null || echo 0)
scontrol update JobId="${jid}_1" TimeLimit=04:00:00 StartTime=now
say "A: task 1 stopped after $runs1 runs and requeued itself; limit raised back"
wait_gone "$mid"
[ "$(job_state "$mid")" = COMPLETED ] || fail "A: merge job $mid ended $(job_state "$mid")"
for i in 0 1; do
	[ "$(job_state "${jid}_$i")" = COMPLETED ] || fail "A: task ${jid}_$i ended $(job_state "${jid}_$i")"
done
logs="$d/jobs/sweep/logs"
grep -q "time limit near: stopping after the runs under way" "$logs/sweep-${jid}_1.out" || fail "A: task 1's log shows no warning of its time limit"
grep -q "requeueing" "$logs/sweep-${jid}_1.out" || fail "A: task 1's log shows no requeue"
grep -q "(start 1), $runs1 runs done" "$logs/sweep-${jid}_1.out" || fail "A: task 1 did not start again from its $runs1 runs (append mode keeps both starts)"
! grep -q "(start 1)" "$logs/sweep-${jid}_0.out" || fail "A: task 0 was requeued too: the requeue must name the array task, not the job"
same "$T/single" "$d/out/sweep" runs.jsonl rates.csv
say "A: 2 array tasks (task 1 requeued by its time limit) and the merge completed in $((SECONDS - start)) s; runs.jsonl and rates.csv byte-identical"

# ---------------------------------------------------------------- B: a task cancelled mid-run
d=$(runfolder b)
start=$SECONDS
vars=(SHARDS=4 CPUS=1 CONFIG="$T/sweep.json" OUT=out/sweep JOBS=jobs/sweep)
ids=$(sub "$d" "$submit" "${vars[@]}")
read -r jid mid <<<"$ids"
say "B: submitted array $jid and merge $mid"
runs2="$d/out/sweep-shard-2/runs.jsonl"
share=$(($(wc -l <"$T/single/runs.jsonl") / 4))
for i in $(seq 3000); do
	if [ "$(job_state "${jid}_2")" = RUNNING ] && [ -s "$runs2" ]; then
		break
	fi
	sleep 0.1
done
scancel "${jid}_2"
for i in $(seq 100); do
	[ -z "$(squeue -h -j "${jid}_2" 2>/dev/null)" ] && break
	sleep 0.2
done
[ "$(job_state "${jid}_2")" = CANCELLED ] || fail "B: task ${jid}_2 ended $(job_state "${jid}_2"), not CANCELLED (cancelled too late?)"
done2=$(grep -c '' "$runs2" || true)
((done2 < share)) || fail "B: task 2 had finished its $share runs before scancel: nothing to resume"
say "B: cancelled task 2 after $done2 of its $share runs"
for i in 0 1 3; do
	for k in $(seq 900); do
		[ -z "$(squeue -h -j "${jid}_$i" 2>/dev/null)" ] && break
		sleep 1
	done
	[ "$(job_state "${jid}_$i")" = COMPLETED ] || fail "B: task ${jid}_$i ended $(job_state "${jid}_$i")"
done
status=$(cd "$d" && bin/sgn sweep status out/sweep --shards 4) && fail "B: sgn sweep status exits 0 with a shard cancelled"
grep -q "^incomplete: 2$" <<<"$status" || fail "B: sgn sweep status does not report shard 2 incomplete: $status"
retry=$(cd "$d" && bin/sgn sweep status out/sweep --shards 4 --retry || true)
[ "$retry" = 2 ] || fail "B: sgn sweep status --retry printed '$retry', want 2"
ids=$(sub "$d" "$resume" "${vars[@]}")
read -r jid2 mid2 <<<"$ids"
say "B: resubmitted task 2 as $jid2 and the merge as $mid2"
wait_gone "$mid2"
[ "$(job_state "$mid")" = CANCELLED ] || fail "B: the first merge job $mid ended $(job_state "$mid"), not CANCELLED by submit.sh"
[ "$(job_state "${jid2}_2")" = COMPLETED ] || fail "B: resubmitted task ${jid2}_2 ended $(job_state "${jid2}_2")"
[ "$(job_state "$mid2")" = COMPLETED ] || fail "B: merge job $mid2 ended $(job_state "$mid2")"
same "$T/single" "$d/out/sweep" runs.jsonl rates.csv
say "B: resumed and merged in $((SECONDS - start)) s; runs.jsonl and rates.csv byte-identical"

# ---------------------------------------------------------------- C: another sharded sweep
# Training runs over (B, η) of `sgn selection networks`, through the same
# block with the guide's --family line.
cat >"$T/sel.json" <<'EOF'
{"seed": 1, "model": {"layers": [49, 8, 10], "activation": "tanh", "init": "auto", "seed": 1},
 "pool": 4, "train_first": 300, "test_first": 300, "batch_sizes": [16, 64], "etas": [0.05, 0.1],
 "epochs": 3, "runs": 1, "engine": "gorgonia", "exact_trace_max_params": 3000}
EOF
bin/sgn selection networks sweep --config "$T/sel.json" --out "$T/sel-single" --workers 2 --quiet >/dev/null
bin/sgn selection networks fit "$T/sel-single" >/dev/null
family=$(sed -n 's/^export SGN_FAMILY=//p' "$repo/docs/cluster.md" | head -n 1)
[ -n "$family" ] || fail "docs/cluster.md has no 'export SGN_FAMILY=' line"
d=$(runfolder c)
start=$SECONDS
ids=$(sub "$d" "export SGN_FAMILY=$family"$'\n'"$submit" SHARDS=2 CPUS=1 CONFIG="$T/sel.json" OUT=out/sel JOBS=jobs/sel)
read -r jid mid <<<"$ids"
wait_gone "$mid"
[ "$(job_state "$mid")" = COMPLETED ] || fail "C: merge job $mid ended $(job_state "$mid")"
same "$T/sel-single" "$d/out/sel" runs.jsonl selection-networks.csv
say "C: selection networks, 2 array tasks and the merge in $((SECONDS - start)) s; runs.jsonl and selection-networks.csv byte-identical"
say "ok"

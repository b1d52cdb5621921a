package cluster

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Slurm is a Spec run as a Slurm job array and a dependent merge job.
type Slurm struct {
	Spec
	// Binary is the frozen sgn the jobs run (Freeze), Dir the folder of
	// the scripts and of their logs (Dir/logs): absolute paths on a file
	// system the compute nodes share, like Spec.Out and a Spec.Config file.
	Binary, Dir string
	// Time is each task's time limit (sbatch --time), Mem its memory
	// (--mem); Partition and Account are passed to sbatch when not empty.
	Time, Mem, Partition, Account string
	// SignalSeconds is how long before the time limit Slurm warns the
	// task (--signal=B:USR1@s): the time to finish the runs under way,
	// write them and requeue. USR1, not TERM: scancel also sends TERM, and
	// a cancelled task must not requeue itself.
	SignalSeconds int
}

// slurmTime matches sbatch's --time formats.
var slurmTime = regexp.MustCompile(`^(\d+-)?\d+(:\d+){0,2}$|^\d+-\d+$`)

// Files returns sweep.sbatch (the array: one shard per task), merge.sbatch
// (status check, merge, fit) and submit.sh (submits both, or resubmits the
// array indices it is given and a new merge).
func (s Slurm) Files() ([]File, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	for _, p := range []struct{ what, v string }{{"binary", s.Binary}, {"script folder", s.Dir}, {"output folder", s.Out}} {
		if !filepath.IsAbs(p.v) {
			return nil, fmt.Errorf("%w: %s %q: want an absolute path", ErrSpec, p.what, p.v)
		}
	}
	if !slurmTime.MatchString(s.Time) {
		return nil, fmt.Errorf("%w: time %q: want sbatch's --time format, e.g. 04:00:00 or 1-00:00:00", ErrSpec, s.Time)
	}
	if s.SignalSeconds < 1 {
		return nil, fmt.Errorf("%w: signal %d s before the limit: want at least 1", ErrSpec, s.SignalSeconds)
	}
	out := filepath.Clean(s.Out)
	return []File{
		{Name: "sweep.sbatch", Mode: 0o755, Data: []byte(s.sweepScript(out))},
		{Name: "merge.sbatch", Mode: 0o755, Data: []byte(s.mergeScript(out))},
		{Name: "submit.sh", Mode: 0o755, Data: []byte(s.submitScript(out))},
	}, nil
}

// Write writes the files of s into s.Dir: config, the content of a config
// file (nil for builtin:NAME), as a read-only config.json that s.Config
// then names; the program exe frozen beside them (Freeze, which s.Binary
// then names); and the scripts (Files), whose paths it returns.
func (s *Slurm) Write(exe string, config []byte) ([]string, error) {
	if config != nil {
		if _, err := WriteFiles(s.Dir, []File{{Name: "config.json", Mode: 0o444, Data: config}}); err != nil {
			return nil, err
		}
		s.Config = filepath.Join(s.Dir, "config.json")
	}
	bin, err := Freeze(exe, s.Dir, s.Version)
	if err != nil {
		return nil, err
	}
	s.Binary = bin
	files, err := s.Files()
	if err != nil {
		return nil, err
	}
	return WriteFiles(s.Dir, files)
}

// header is the top of each script: what wrote it.
func (s Slurm) header(what string) string {
	return fmt.Sprintf(`#!/bin/bash
# %s
# Written by sgn %s (sgn cluster slurm) for the sweep %s: %d shards of
# --config %s into %s. Submit with submit.sh in this folder.
`, what, s.Version, s.Name, s.Shards, s.Config, filepath.Clean(s.Out))
}

// directives are the #SBATCH lines common to both jobs.
func (s Slurm) directives() string {
	var b strings.Builder
	if s.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", s.Partition)
	}
	if s.Account != "" {
		fmt.Fprintf(&b, "#SBATCH --account=%s\n", s.Account)
	}
	b.WriteString("#SBATCH --open-mode=append\n")
	return b.String()
}

func (s Slurm) sweepScript(out string) string {
	var b strings.Builder
	b.WriteString(s.header("One shard of the sweep per array task; the task resumes its shard folder."))
	fmt.Fprintf(&b, `#
# Near the time limit Slurm sends the script USR1 (--signal): sgn gets
# SIGTERM, stops after the runs under way, at a record boundary, and the
# task requeues itself (its array task, not the array) and resumes its
# shard. A task that finished no run in its time does not requeue after its
# third start (raise --time). SIGTERM itself (scancel, preemption) stops sgn
# the same way without a requeue: Slurm requeues a preempted job itself
# when the site's PreemptMode says so (--requeue allows it). The shard is
# $SLURM_ARRAY_TASK_ID of SHARDS, fixed here: a resubmitted index keeps the
# split (SLURM_ARRAY_TASK_COUNT would not).
#SBATCH --job-name=%s
#SBATCH --array=0-%d
#SBATCH --cpus-per-task=%d
#SBATCH --mem=%s
#SBATCH --time=%s
#SBATCH --requeue
#SBATCH --signal=B:USR1@%d
#SBATCH --output=%s
%sset -uo pipefail

SGN=%s
CONFIG=%s
OUT=%s
SHARDS=%d

: "${SLURM_ARRAY_TASK_ID:?not an array task: submit with submit.sh}"
if ((SLURM_ARRAY_TASK_ID < 0 || SLURM_ARRAY_TASK_ID >= SHARDS)); then
	echo "array index $SLURM_ARRAY_TASK_ID is outside 0..$((SHARDS - 1))" >&2
	exit 2
fi
shard_dir="$OUT-shard-$SLURM_ARRAY_TASK_ID"
runs() { if [ -f "$shard_dir/runs.jsonl" ]; then grep -c '' "$shard_dir/runs.jsonl" || true; else echo 0; fi; }
before=$(runs)
echo "$(date -u +%%FT%%TZ) shard $SLURM_ARRAY_TASK_ID/$SHARDS on $(hostname), job ${SLURM_JOB_ID:-?} (start ${SLURM_RESTART_COUNT:-0}), $before runs done, $("$SGN" version)"

stop() {
	echo "$(date -u +%%FT%%TZ) SIGTERM: stopping after the runs under way"
	kill -TERM "$child" 2>/dev/null
	wait "$child"
	exit 143
}
requeue() {
	echo "$(date -u +%%FT%%TZ) time limit near: stopping after the runs under way"
	kill -TERM "$child" 2>/dev/null
	wait "$child"
	local now task
	now=$(runs)
	if ((now <= before && ${SLURM_RESTART_COUNT:-0} >= 2)); then
		echo "no run finished in this task, its third start (--time too short for one run?): not requeued" >&2
		exit 1
	fi
	task="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
	echo "$(date -u +%%FT%%TZ) $now runs done; requeueing array task $task"
	scontrol requeue "$task" || exit 1
	exit 0
}
trap requeue USR1
trap stop TERM

"$SGN" %s --config "$CONFIG" --out "$OUT" \
	--shard "$SLURM_ARRAY_TASK_ID/$SHARDS" --workers "${SLURM_CPUS_PER_TASK:-%d}" &
child=$!
wait "$child"
`, s.jobName(), s.Shards-1, s.CPUs, s.Mem, s.Time, s.SignalSeconds,
		filepath.Join(s.Dir, "logs", "sweep-%A_%a.out"), s.directives(),
		sh(s.Binary), sh(s.Config), sh(out), s.Shards, shWords(s.command("sweep")), s.CPUs)
	return b.String()
}

func (s Slurm) mergeScript(out string) string {
	var b strings.Builder
	b.WriteString(s.header("Merges the shards and fits, once every shard is done."))
	fmt.Fprintf(&b, `#
# submit.sh submits it with --dependency=afterok on the array. It refuses a
# partial merge: sgn sweep status must find every shard done.
#SBATCH --job-name=%s
#SBATCH --cpus-per-task=1
#SBATCH --mem=%s
#SBATCH --time=01:00:00
#SBATCH --output=%s
%sset -euo pipefail

SGN=%s
OUT=%s
SHARDS=%d

if ! "$SGN" sweep status "$OUT" --shards "$SHARDS"; then
	echo "merge: not every shard is done; resubmit them: %s $("$SGN" sweep status "$OUT" --shards "$SHARDS" --retry || true)" >&2
	exit 1
fi
"$SGN" %s \
`, s.mergeName(), s.Mem, filepath.Join(s.Dir, "logs", "merge-%j.out"), s.directives(),
		sh(s.Binary), sh(out), s.Shards, filepath.Join(s.Dir, "submit.sh"), shWords(s.command("merge")))
	for _, d := range s.shardDirs(out) {
		fmt.Fprintf(&b, "\t%s \\\n", sh(d))
	}
	fmt.Fprintf(&b, "\t--out \"$OUT\"\n\"$SGN\" %s \"$OUT\"\n", shWords(s.command("fit")))
	return b.String()
}

func (s Slurm) submitScript(out string) string {
	var b strings.Builder
	b.WriteString(s.header("Submits the array and the merge that waits for it."))
	fmt.Fprintf(&b, `#
# Usage: submit.sh [INDICES]
#   submit.sh          all %d shards (--array=0-%d) and the merge
#   submit.sh 2,5-7    those array indices again (they resume their shards)
#                      and a new merge; a merge of an earlier submission
#                      still pending is cancelled
# Prints "ARRAY_JOB_ID MERGE_JOB_ID". Which shards are done:
#   %s sweep status %s --shards %d
set -euo pipefail
cd %s
SGN=%s
indices=${1:-0-%d}
"$SGN" version >/dev/null # the frozen binary runs here
mkdir -p logs
scancel --name=%s --state=PENDING 2>/dev/null || true
jid=$(sbatch --parsable --array="$indices" sweep.sbatch)
jid=${jid%%%%;*}
mid=$(sbatch --parsable --dependency=afterok:"$jid" merge.sbatch)
mid=${mid%%%%;*}
echo "$jid $mid"
`, s.Shards, s.Shards-1, sh(s.Binary), sh(out), s.Shards, sh(s.Dir), sh(s.Binary), s.Shards-1, s.mergeName())
	return b.String()
}

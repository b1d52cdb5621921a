package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/outlock"
	"github.com/sgn-project/sgn/internal/sweep"
)

// errNotComplete is the error of 'sgn sweep status' when a shard is not
// done: exit status 1 after the report.
var errNotComplete = errors.New("not every shard is done")

// runSweepTools implements 'sgn sweep': the commands that look at the
// shard folders of any sharded sweep.
func runSweepTools(a *app, args []string) error {
	return cli.Group[*app]{
		Path: "sgn sweep",
		About: `The shard folders OUT-shard-0 … OUT-shard-(N−1) of a sharded sweep of any
kind (escape, selection), as the tasks of a Slurm array or a Kubernetes
Indexed Job leave them. sgn sweep status exits with status 0 when every
shard is done (the merge can run), 1 otherwise. Guide: docs/cluster.md.`,
		Example: "sgn sweep status out/sweep --shards 16",
		Subs: []cli.Sub[*app]{
			{Name: "status", Summary: "done/total runs per shard; missing, incomplete, running (locked), bad; the shards to start again", Run: runSweepStatus},
		},
	}.Run(a, a.stdout, args)
}

// runSweepStatus implements 'sgn sweep status'.
func runSweepStatus(a *app, args []string) error {
	fs := a.newFlagSet("sweep status", "sweep status OUT --shards N [--retry]",
		"sgn sweep status out/sweep --shards 16\nout/sweep-slurm/submit.sh $(sgn sweep status out/sweep --shards 16 --retry)")
	shards := fs.Int("shards", 0, "the number of shards `N` the sweep was split into (required)")
	retry := fs.Bool("retry", false, "print only the shards to start again, as an sbatch --array list (e.g. 2,5-7; empty if none)")
	fs.Bool("quiet", false, "no progress (status prints none)")
	pos, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return cli.Usagef("give the sweep's output folder, e.g. sgn sweep status out/sweep --shards 16")
	}
	if *shards < 1 {
		return cli.Usagef("--shards %d: want the number of shards (≥ 1)", *shards)
	}
	rep, err := sweep.Status(pos[0], *shards)
	if err != nil {
		return err
	}
	if *retry {
		fmt.Fprintln(a.stdout, sweep.Ranges(rep.Retry()))
		if !rep.Complete() {
			return errNotComplete
		}
		return nil
	}
	printSweepStatus(a, rep)
	if !rep.Complete() {
		return errNotComplete
	}
	return nil
}

// printSweepStatus prints the report of 'sgn sweep status'.
func printSweepStatus(a *app, rep sweep.StatusReport) {
	w := a.stdout
	hash := rep.Hash
	if hash == "" {
		hash = "not started"
	}
	fmt.Fprintf(w, "sweep %s (%s), %d shards: %d of %d runs done\n", rep.Out, hash, len(rep.Shards), rep.Done, rep.Total)
	for _, s := range rep.Shards {
		line := fmt.Sprintf("  shard %-3d %-10s %6d/%-6d %s", s.Index, s.State, s.Done, s.Total, s.Dir)
		switch {
		case s.State == sweep.StateRunning && s.Holder != nil:
			line += "  locked by " + s.Holder.String()
		case s.State == sweep.StateRunning:
			line += "  locked"
		case s.State == sweep.StateBad:
			line += "  " + s.Problem
		}
		if s.Damaged > 0 {
			line += fmt.Sprintf("  (%d damaged lines: resuming the shard repairs them)", s.Damaged)
		}
		fmt.Fprintln(w, line)
	}
	if len(rep.Versions) > 1 {
		fmt.Fprintf(w, "the shards were written by different versions (%s): merge refuses them; compute the odd shards again with one binary\n", strings.Join(rep.Versions, ", "))
	}
	for _, st := range []sweep.State{sweep.StateMissing, sweep.StateIncomplete, sweep.StateRunning, sweep.StateBad} {
		if idx := rep.In(st); len(idx) > 0 {
			fmt.Fprintf(w, "%s: %s\n", st, sweep.Ranges(idx))
		}
	}
	switch {
	case rep.Complete():
		fmt.Fprintln(w, "complete: merge the shards")
	case len(rep.Retry()) > 0:
		fmt.Fprintf(w, "retry: --array=%s (Slurm; the generated submit.sh takes the list) or Job indexes %s\n", sweep.Ranges(rep.Retry()), sweep.Ranges(rep.Retry()))
	}
}

// runUnlock implements 'sgn unlock': break the lock of an output folder
// whose holder died.
func runUnlock(a *app, args []string) error {
	fs := a.newFlagSet("unlock", "unlock DIR [--force]",
		"sgn unlock out/sweep-shard-3\nsgn unlock out/sweep-shard-3 --force   # its holder ran on a node that died")
	force := fs.Bool("force", false, "break a lock held from another host (after making sure that process is dead: squeue, sacct, kubectl get pod)")
	fs.Bool("quiet", false, "no progress (unlock prints none)")
	pos, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return cli.Usagef("give one folder, e.g. sgn unlock out/sweep-shard-3")
	}
	h, found, err := outlock.Break(pos[0], *force)
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintf(a.stdout, "%s is not locked\n", pos[0])
		return nil
	}
	fmt.Fprintf(a.stdout, "broke the lock of %s held by %s (its record is kept as %s*)\n", pos[0], h, outlock.BrokenPrefix)
	return nil
}

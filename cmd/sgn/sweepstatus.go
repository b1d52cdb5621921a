package main

import (
	"errors"
	"fmt"

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
	dir, err := cli.ParseOne(fs, args, "the sweep's output folder, e.g. sgn sweep status out/sweep --shards 16")
	if err != nil {
		return err
	}
	if *shards < 1 {
		return cli.Usagef("--shards %d: want the number of shards (≥ 1)", *shards)
	}
	rep, err := sweep.Status(dir, *shards)
	if err != nil {
		return err
	}
	if *retry {
		fmt.Fprintln(a.stdout, sweep.Ranges(rep.Retry()))
	} else if err := rep.WriteText(a.stdout); err != nil {
		return err
	}
	if !rep.Complete() {
		return errNotComplete
	}
	return nil
}

// runUnlock implements 'sgn unlock': break the lock of an output folder
// whose holder died.
func runUnlock(a *app, args []string) error {
	fs := a.newFlagSet("unlock", "unlock DIR [--force]",
		"sgn unlock out/sweep-shard-3\nsgn unlock out/sweep-shard-3 --force   # its holder ran on a node that died")
	force := fs.Bool("force", false, "break a lock held from another host (after making sure that process is dead: squeue, sacct, kubectl get pod)")
	fs.Bool("quiet", false, "no progress (unlock prints none)")
	dir, err := cli.ParseOne(fs, args, "one folder, e.g. sgn unlock out/sweep-shard-3")
	if err != nil {
		return err
	}
	h, found, err := outlock.Break(dir, *force)
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintf(a.stdout, "%s is not locked\n", dir)
		return nil
	}
	fmt.Fprintf(a.stdout, "broke the lock of %s held by %s (its record is kept as %s*)\n", dir, h, outlock.BrokenPrefix)
	return nil
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/outlock"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/internal/sweep/cluster"
)

// The commands of sharded sweeps on a batch system: sgn cluster writes the
// files that run one, sgn sweep status reads its shards, sgn unlock breaks
// the lock of a task that died.

// runCluster implements 'sgn cluster': it writes the files that run a
// sharded sweep on Slurm or Kubernetes.
func runCluster(a *app, args []string) error {
	return cli.Group[*app]{
		Path: "sgn cluster",
		About: `Writes the files that run a sharded sweep as N independent tasks, then merge
and fit it: a Slurm job array and merge job (slurm), or a Kubernetes Indexed
Job, merge Job, ConfigMap and PersistentVolumeClaim (k8s). The shard count,
the folders and the job names (sgn-NAME, sgn-NAME-merge) are the same in
every file. Guide: docs/cluster.md.`,
		Example: "sgn cluster slurm --config builtin:mlp-batch-size --shards 16 --out out/mlp --time 04:00:00\nout/mlp-slurm/submit.sh",
		Subs: []cli.Sub[*app]{
			{Name: "slurm", Summary: "sweep.sbatch, merge.sbatch, submit.sh and a frozen copy of this binary", Run: runClusterSlurm},
			{Name: "k8s", Summary: "pvc.yaml, configmap.yaml, sweep-job.yaml, merge-job.yaml and run.sh", Run: runClusterK8s},
		},
	}.Run(a, a.stdout, args)
}

// clusterFlags are the flags both subcommands share.
type clusterFlags struct {
	config, out, name, family, dir *string
	shards, cpus                   *int
}

// register defines the shared flags on fs; dirHelp is the help of --dir.
func (f *clusterFlags) register(fs *flag.FlagSet, dirHelp string) {
	f.config = fs.String("config", "", "the sweep's config `file`, or builtin:NAME (required)")
	f.shards = fs.Int("shards", 0, "split the sweep into `N` shards, one task each (required)")
	f.out = fs.String("out", "", "the sweep's output `folder` (required): shard i goes to DIR-shard-i, the merge to DIR")
	f.name = fs.String("name", "", "job names sgn-NAME and sgn-NAME-merge (default: from --out's base name)")
	f.family = fs.String("family", "escape", "the sweep command: its sweep, merge and fit subcommands run (e.g. \"selection networks\")")
	f.dir = fs.String("dir", "", dirHelp)
	f.cpus = fs.Int("cpus", 2, "CPUs of each task: its --workers")
	fs.Bool("quiet", false, "no progress (cluster prints none)")
}

// parse parses args and returns the spec the shared flags describe, and
// the config file's content (nil for builtin:NAME).
func (f *clusterFlags) parse(fs *flag.FlagSet, args []string) (cluster.Spec, []byte, error) {
	if err := cli.Parse(fs, args, false); err != nil {
		return cluster.Spec{}, nil, err
	}
	if *f.config == "" || *f.out == "" || *f.shards == 0 {
		return cluster.Spec{}, nil, cli.Usagef("--config FILE, --shards N and --out DIR are required (see -h)")
	}
	family := strings.Fields(*f.family)
	first, _, _ := strings.Cut(strings.Join(family, " "), " ")
	if _, ok := commands()[first]; !ok {
		return cluster.Spec{}, nil, cli.Usagef("--family %q: %q is not an sgn command (want a sweep command, e.g. escape)", *f.family, first)
	}
	spec, data, err := cluster.NewSpec(*f.name, family, *f.config, *f.out, *f.shards, *f.cpus, version)
	if err != nil && !errors.Is(err, cluster.ErrSpec) {
		return spec, nil, fmt.Errorf("--config: %w", err)
	}
	return spec, data, specError(err)
}

// specError maps an invalid setting to a usage error.
func specError(err error) error {
	if errors.Is(err, cluster.ErrSpec) {
		return cli.Usagef("%v", err)
	}
	return err
}

// runClusterSlurm implements 'sgn cluster slurm'.
func runClusterSlurm(a *app, args []string) error {
	fs := a.newFlagSet("cluster slurm",
		"cluster slurm --config FILE --shards N --out DIR [--name NAME] [--family CMD] [--dir DIR] [--time T] [--cpus C] [--mem M] [--partition P] [--account A]",
		`sgn cluster slurm --config builtin:mlp-batch-size --shards 16 --out out/mlp --time 04:00:00
out/mlp-slurm/submit.sh            # all shards and the merge
sgn sweep status out/mlp --shards 16
out/mlp-slurm/submit.sh 2,5        # shards 2 and 5 again, and a new merge`)
	var f clusterFlags
	f.register(fs, "the `folder` of the scripts, the frozen binary, the config copy and logs/ (default: DIR-slurm of --out)")
	tlimit := fs.String("time", "04:00:00", "each task's time limit (sbatch --time); near it the task stops cleanly and requeues")
	mem := fs.String("mem", "1G", "each task's memory (sbatch --mem)")
	partition := fs.String("partition", "", "sbatch --partition")
	account := fs.String("account", "", "sbatch --account")
	signal := fs.Int("signal", 120, "warn each task this many `seconds` before its time limit (sbatch --signal=B:USR1@s): it stops at a run boundary and requeues itself")
	spec, data, err := f.parse(fs, args)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find this program to freeze it: %w", err)
	}
	s := cluster.Slurm{Spec: spec, Dir: *f.dir, Time: *tlimit, Mem: *mem, Partition: *partition, Account: *account, SignalSeconds: *signal}
	return specError(s.Make(exe, data, claimOut, a.stdout))
}

// runClusterK8s implements 'sgn cluster k8s'.
func runClusterK8s(a *app, args []string) error {
	fs := a.newFlagSet("cluster k8s",
		"cluster k8s --config FILE --shards N --out DIR [--name NAME] [--family CMD] [--dir DIR] [--image IMG:TAG] [--cpus C] [--memory M] [--storage S] [--storage-class SC]",
		`sgn cluster k8s --config escape/testdata/sweep.json --shards 16 --out sweep --image registry.example.org/sgn:v1.2.0
sweep-k8s/run.sh`)
	var f clusterFlags
	f.register(fs, "the `folder` of the manifests and run.sh (default: NAME-k8s)")
	image := fs.String("image", cluster.DefaultImage(version), "the container image, pinned to a tag (not latest) or a digest")
	memory := fs.String("memory", "1Gi", "each pod's memory request and limit")
	storage := fs.String("storage", "10Gi", "the size of the PersistentVolumeClaim")
	storageClass := fs.String("storage-class", "", "its storage class (default: the cluster's default; it must offer ReadWriteMany)")
	parallelism := fs.Int("parallelism", 0, "how many shards run at once (0: all)")
	retries := fs.Int("retries", 3, "how many times a failed shard is retried (backoffLimitPerIndex)")
	uid := fs.Int("uid", 65532, "the user and group the pods run as (the image's user is 65532)")
	spec, data, err := f.parse(fs, args)
	if err != nil {
		return err
	}
	k := cluster.Kubernetes{Spec: spec, Image: *image, ConfigData: data, Storage: *storage, StorageClass: *storageClass,
		Memory: *memory, Parallelism: *parallelism, BackoffLimitPerIndex: *retries, UID: *uid}
	return specError(k.Make(*f.dir, claimOut, a.stdout))
}

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
		return sweep.ErrIncomplete
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

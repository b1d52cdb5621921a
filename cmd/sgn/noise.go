package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/sgn-project/sgn/covariance/noiseshape"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/domain"
)

const noiseExample = `sgn noise --checkpoint out/figure-model/model.safetensors --batch-size 1,4,16,64,256 \
    --minibatches 1000 --out out/noise`

// runNoise implements 'sgn noise': the shape of the gradient noise at fixed
// θ (noiseshape.Analyze), across parameters (Simsekli et al. 2019) and
// across minibatches.
func runNoise(a *app, args []string) error {
	start, cpu0 := time.Now(), cputime.Process()
	fs := a.newFlagSet("noise", "noise --checkpoint FILE [flags]", noiseExample)
	in := inputFlags(fs, "model checkpoint (safetensors) to analyse (required)", 10000, "the full gradient ḡ and the minibatches", "buffers (the noise matrix, the pooled sample, the per-worker gradients)")
	var o noiseshape.Options
	bs := fs.String("batch-size", "1,4,16,64,256", "minibatch sizes B, comma-separated")
	cli.Deprecate(fs, a.stderr, "noise", "batch-sizes", "batch-size")
	fs.IntVar(&o.Minibatches, "minibatches", 1000, fmt.Sprintf("minibatches drawn with replacement per B (at least %d)", noiseshape.MinMinibatches))
	fs.IntVar(&o.Coords, "coords", 0, "coordinates analysed across minibatches (0: all when P is small, a seeded subset otherwise)")
	fs.IntVar(&o.HistB, "hist-b", 0, "batch size drawn in the four-panel figure (0: the smallest B ≥ 16)")
	fs.IntVar(&o.PoolCap, "pool-cap", 0, "values in the pooled across-parameter sample (0: the default, 2,000,000)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the minibatches, coordinate subset and synthetic references")
	cli.WorkersVar(fs, &o.Workers, "the minibatch gradients and the statistics")
	out := fs.String("out", "out/noise", "output folder")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	var err error
	if o.BatchSizes, err = cli.ParseSizes(*bs); err != nil {
		return cli.Usagef("--batch-size %q: %v", *bs, err)
	}
	// The options that need no data (noiseshape.Options.Validate), before
	// anything is loaded.
	renamed := map[string]string{"batch_sizes": "batch-size"}
	if err := domain.First(in.parse(), cli.CheckWorkers(o.Workers), libraryUsage(o.Validate(), renamed)); err != nil {
		return err
	}
	m, meta, set, err := a.loadAnalysed("", in, cli.Given(fs)["first"], *quiet)
	if err != nil {
		return err
	}
	// The options against the samples (a batch larger than N is refused)
	// and the buffers, estimated before anything is allocated for them.
	release, err := claimAfter(libraryUsage(o.CheckMemory(m.NumParams(), set.N, in.lim.memory), renamed), *out)
	if err != nil {
		return err
	}
	defer release()
	if !*quiet {
		fmt.Fprintf(a.stderr, "noise of %v %s (P = %d) on %s: B = %s, %d minibatches each\n",
			m.Layers, m.Activation, m.NumParams(), set.Selection, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(o.BatchSizes)), ","), "[]"), o.Minibatches)
	}
	prog, end := cli.Runs(a.stderr, a.isTerminal, "noise", *quiet)
	nr, err := noiseshape.Run(noiseshape.Job{Model: m, Meta: meta, Checkpoint: *in.ckpt, Data: set, Options: o, OutDir: *out, Version: version,
		Start: start, StartCPU: cpu0, Progress: prog, Removed: a.removed("noise", *out, *quiet)})
	return summarise(a, end, nr, err)
}

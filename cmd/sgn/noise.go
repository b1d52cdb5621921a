package main

import (
	"errors"
	"fmt"
	"github.com/sgn-project/sgn/internal/domain"
	"slices"
	"strings"
	"time"

	"github.com/sgn-project/sgn/covariance/noiseshape"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/cputime"
)

const noiseExample = `sgn noise --checkpoint out/figure-model/model.safetensors --batch-size 1,4,16,64,256 \
    --minibatches 1000 --out out/noise`

// noiseFlags are the parsed flags of 'sgn noise'.
type noiseFlags struct {
	input
	out      string
	firstSet bool
	opt      noiseshape.Options
	quiet    bool
}

// parseNoiseFlags parses and checks the flags of 'sgn noise'.
func parseNoiseFlags(a *app, args []string) (*noiseFlags, error) {
	fs := a.newFlagSet("noise", "noise --checkpoint FILE [flags]", noiseExample)
	in := inputFlags(fs, "model checkpoint (safetensors) to analyse (required)", 10000, "the full gradient ḡ and the minibatches", "buffers (the noise matrix, the pooled sample, the per-worker gradients)")
	bs := fs.String("batch-size", "1,4,16,64,256", "minibatch sizes B, comma-separated")
	cli.Deprecate(fs, a.stderr, "noise", "batch-sizes", "batch-size")
	nmb := fs.Int("minibatches", 1000, fmt.Sprintf("minibatches drawn with replacement per B (at least %d)", noiseshape.MinMinibatches))
	coords := fs.Int("coords", 0, "coordinates analysed across minibatches (0: all when P is small, a seeded subset otherwise)")
	histB := fs.Int("hist-b", 0, "batch size drawn in the four-panel figure (0: the smallest B ≥ 16)")
	poolCap := fs.Int("pool-cap", 0, "values in the pooled across-parameter sample (0: the default, 2,000,000)")
	seed := fs.Uint64("seed", 1, "seed of the minibatches, coordinate subset and synthetic references")
	workers := cli.WorkersFlag(fs, "the minibatch gradients and the statistics")
	out := fs.String("out", "out/noise", "output folder")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := cli.Parse(fs, args, false); err != nil {
		return nil, err
	}
	if err := in.parse(); err != nil {
		return nil, err
	}
	sizes, err := cli.ParseSizes(*bs)
	if err != nil {
		return nil, cli.Usagef("--batch-size %q: %v", *bs, err)
	}
	if err := cli.CheckWorkers(*workers); err != nil {
		return nil, err
	}
	switch {
	case *nmb < noiseshape.MinMinibatches:
		return nil, cli.Usagef("--minibatches %d: need at least %d (the stable fit's quantiles need 20 points)", *nmb, noiseshape.MinMinibatches)
	case *histB != 0 && !slices.Contains(sizes, *histB):
		return nil, cli.Usagef("--hist-b %d: must be one of --batch-size %s", *histB, *bs)
	}
	if err := cli.CheckGiven(fs, cli.Given(fs), domain.AtLeastZero, "coords", "pool-cap"); err != nil {
		return nil, err
	}
	return &noiseFlags{input: in, out: *out, firstSet: cli.Given(fs)["first"], quiet: *quiet,
		opt: noiseshape.Options{BatchSizes: sizes, Minibatches: *nmb, Seed: *seed, Workers: *workers,
			Coords: *coords, HistB: *histB, PoolCap: *poolCap}}, nil
}

// runNoise implements 'sgn noise': the shape of the gradient noise at fixed
// θ (noiseshape.Analyze), across parameters (Simsekli et al. 2019) and
// across minibatches.
func runNoise(a *app, args []string) error {
	start, cpu0 := time.Now(), cputime.Process()
	f, err := parseNoiseFlags(a, args)
	if err != nil {
		return err
	}
	m, meta, set, err := a.loadAnalysed("", f.input, f.firstSet, f.quiet)
	if err != nil {
		return err
	}
	// The options against the samples (a batch larger than N is refused)
	// and the buffers, estimated before anything is allocated for them.
	err = f.opt.CheckMemory(m.NumParams(), set.N, f.lim.memory)
	if oe := (*noiseshape.OptionError)(nil); errors.As(err, &oe) {
		return optionUsage(oe.Field, oe.Detail, map[string]string{"batch_sizes": "batch-size"})
	}
	release, err := claimAfter(cli.MemoryUsage(err, nil), f.out)
	if err != nil {
		return err
	}
	defer release()
	if !f.quiet {
		fmt.Fprintf(a.stderr, "noise of %v %s (P = %d) on %s: B = %s, %d minibatches each\n",
			m.Layers, m.Activation, m.NumParams(), set.Selection, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(f.opt.BatchSizes)), ","), "[]"), f.opt.Minibatches)
	}
	prog, end := cli.Runs(a.stderr, a.isTerminal, "noise", f.quiet)
	nr, err := noiseshape.Run(noiseshape.Job{Model: m, Meta: meta, Checkpoint: *f.ckpt, Data: set, Options: f.opt, OutDir: f.out, Version: version,
		Start: start, StartCPU: cpu0, Progress: prog, Removed: a.removed("noise", f.out, f.quiet)})
	end()
	if err != nil {
		return err
	}
	return nr.WriteText(a.stdout)
}

package main

import (
	"fmt"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/domain"
	"github.com/sgn-project/sgn/train/minimum"
)

const minimumExample = `sgn minimum --checkpoint out/figure-model/model.safetensors --first 2000 --out out/equilibrium
sgn covariance --checkpoint out/equilibrium/minimum.safetensors --first 2000 --out out/cvh-minimum`

// runMinimum implements 'sgn minimum': a true minimum of the
// weight-decay-regularised training loss from a checkpoint, written as a
// checkpoint other commands start from.
func runMinimum(a *app, args []string) error {
	fs := a.newFlagSet("minimum", "minimum --checkpoint FILE [--first N] [--weight-decay λ] [flags] --out DIR", minimumExample)
	in := inputFlags(fs, "model `file` (safetensors) the search starts from", 2000, "the loss L", "the checkpoint")
	var s minimum.Settings
	fs.Float64Var(&s.Decay, "weight-decay", minimum.DefaultDecay, "λ of L(θ) = CE(θ) + (λ/2)‖θ‖² (positive: a network that separates its images has no minimum of CE alone)")
	fs.Float64Var(&s.GradTol, "grad-tol", minimum.DefaultGradTol, "stop at ‖∇L‖₂ ≤ this")
	fs.IntVar(&s.MaxIterations, "max-iterations", minimum.DefaultMaxIterations, "at most this many L-BFGS iterations (Newton–CG follows)")
	fs.Uint64Var(&s.Seed, "seed", 1, "seed of the Lanczos start vector of the curvature check")
	o := outputFlags(fs, "the gradient and Hessian passes", "output `folder` ("+minimum.CheckpointFile+", "+minimum.JSONFile+")")
	if err := o.parse(fs, args); err != nil {
		return err
	}
	set := cli.Given(fs)
	if err := domain.First(in.parse(), cli.CheckGiven(fs, set, domain.Positive, "grad-tol"), cli.CheckGiven(fs, set, domain.PositiveInt, "max-iterations"),
		libraryUsage(s.Validate(), nil)); err != nil {
		return err
	}
	s.Workers = o.workers
	m, meta, ds, err := a.loadAnalysed("minimum", in, set["first"], o.quiet)
	if err != nil {
		return err
	}
	release, err := claimOut(o.out)
	if err != nil {
		return err
	}
	defer release()
	if !o.quiet {
		fmt.Fprintf(a.stderr, "sgn minimum: L-BFGS and Newton–CG on %d images, λ = %g\n", ds.N, s.Decay)
	}
	rep, err := minimum.Run(minimum.Job{Model: m, Meta: meta, Checkpoint: *in.ckpt, Data: ds, Settings: s, OutDir: o.out, Version: version,
		Removed: a.removed("minimum", o.out, o.quiet)})
	if err != nil {
		return libraryUsage(err, nil)
	}
	if err := rep.WriteText(a.stdout); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s/%s and %s\n", o.out, minimum.CheckpointFile, minimum.JSONFile)
	return nil
}

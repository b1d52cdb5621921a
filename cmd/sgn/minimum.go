package main

import (
	"errors"
	"fmt"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/model"
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
	ckpt, lim := in.ckpt, in.lim
	var s minimum.Settings
	fs.Float64Var(&s.Decay, "weight-decay", minimum.DefaultDecay, "λ of L(θ) = CE(θ) + (λ/2)‖θ‖² (positive: a network that separates its images has no minimum of CE alone)")
	fs.Float64Var(&s.GradTol, "grad-tol", minimum.DefaultGradTol, "stop at ‖∇L‖₂ ≤ this")
	fs.IntVar(&s.MaxIterations, "max-iterations", minimum.DefaultMaxIterations, "at most this many L-BFGS iterations (Newton–CG follows)")
	fs.Uint64Var(&s.Seed, "seed", 1, "seed of the Lanczos start vector of the curvature check")
	workers := cli.WorkersFlag(fs, "the gradient and Hessian passes")
	out := fs.String("out", "", "output `folder` ("+minimum.CheckpointFile+", "+minimum.JSONFile+")")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	set := cli.Given(fs)
	if err := cli.CheckWorkers(*workers); err != nil {
		return err
	}
	if err := lim.parse(); err != nil {
		return err
	}
	switch {
	case *ckpt == "":
		return cli.Usagef("--checkpoint FILE is required (see -h)")
	case *out == "":
		return cli.Usagef("--out DIR is required (see -h)")
	case set["max-iterations"] && s.MaxIterations < 1:
		return cli.Usagef("--max-iterations %d: want a positive number", s.MaxIterations)
	case !(s.Decay > 0):
		return cli.Usagef("--weight-decay %v: want a positive number (without it a network that separates its images has no minimum)", s.Decay)
	case !(s.GradTol > 0):
		return cli.Usagef("--grad-tol %v: want a positive number", s.GradTol)
	}
	s.Workers = *workers
	m, meta, ds, err := a.loadAnalysed("minimum", in, set["first"], *quiet)
	if err != nil {
		return err
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	gone, err := minimum.RemoveOutputs(*out)
	if err != nil {
		return err
	}
	a.removed("minimum", *out, *quiet)(gone)
	if !*quiet {
		fmt.Fprintf(a.stderr, "sgn minimum: L-BFGS and Newton–CG on %d images, λ = %g\n", ds.N, s.Decay)
	}
	theta, rep, err := minimum.Find(m, model.Batch{X: ds.X, Y: ds.Y}, s)
	if fe := (*minimum.FieldError)(nil); errors.As(err, &fe) {
		return cli.Usagef("--%s %s", map[string]string{"weight_decay": "weight-decay", "grad_tol": "grad-tol", "max_iterations": "max-iterations"}[fe.Field], fe.Detail)
	}
	if err != nil {
		return fmt.Errorf("checkpoint %s on %s: %w", *ckpt, ds.Selection, err)
	}
	rep.Version, rep.Source, rep.Data = version, checkpointSource(*ckpt, meta), ds.Selected()
	if err := rep.Write(*out, m, theta, meta); err != nil {
		return err
	}
	if err := rep.WriteText(a.stdout); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s/%s and %s\n", *out, minimum.CheckpointFile, minimum.JSONFile)
	return nil
}

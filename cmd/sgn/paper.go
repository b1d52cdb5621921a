package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/domain"
	"github.com/sgn-project/sgn/internal/paper"
	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/model"
)

const paperExample = `sgn paper --checkpoint model.safetensors --data train.safetensors --activation gelu --out out/mine
sgn paper --checkpoint model.safetensors --data train.safetensors --quick --out out/mine-quick
sgn paper --checkpoint out/figure-model/model.safetensors --budget 30m --out out/figure-paper`

// runPaper implements 'sgn paper': every experiment that applies to the
// given network and data (internal/paper), then the claims page.
func runPaper(a *app, args []string) error {
	fs := a.newFlagSet("paper", "paper --checkpoint FILE [--data FILE] [--test FILE] [--activation NAME] [--quick | --budget DURATION] --out DIR", paperExample)
	ckpt := fs.String("checkpoint", "", "the network: a checkpoint sgn wrote or a PyTorch state_dict of nn.Linear layers (see --activation); required")
	dataFile := fs.String("data", "", "the arrays x (N×d features) and y (N labels) of this safetensors or .npz `file` (default: MNIST, for a model of MNIST's width)")
	test := fs.String("test", "", "held-out data `file` of the same layout, recorded in the page's provenance")
	mnist := fs.String("mnist", "", mnistUsage)
	quick := fs.Bool("quick", false, "the quick sizes: a trial of every experiment in seconds to minutes")
	budget := fs.Duration("budget", 0, "scale the full sizes down to fit about this `duration` of computing (e.g. 30m; without it: the full sizes)")
	lim := limitFlags(fs, "buffers (an experiment whose buffers need more is not run, and the page says so)")
	lim.activationFlag(fs)
	o := outputFlags(fs, "every experiment", "output `folder`: one folder per experiment, index.html and report.json")
	if err := domain.First(o.parse(fs, args), lim.parse()); err != nil {
		return err
	}
	switch {
	case *ckpt == "":
		return cli.Usagef("--checkpoint FILE is required (see -h)")
	case *budget < 0:
		return cli.Usagef("--budget %v: want a positive duration such as 30m", *budget)
	case *budget == 0 && cli.Given(fs)["budget"]:
		return cli.Usagef("--budget 0: want a positive duration such as 30m (leave the flag out for the full sizes)")
	case *quick && *budget > 0:
		return cli.Usagef("--quick and --budget %v: give one of them", *budget)
	case *test != "" && *dataFile == "":
		return cli.Usagef("--test %s needs --data (the held-out rows of the data analysed)", *test)
	}
	// The checkpoint is read first for its errors (a missing activation is
	// a usage error naming --activation).
	if _, _, err := lim.loadCheckpoint(*ckpt); err != nil {
		return err
	}
	release, err := claimOut(o.out)
	if err != nil {
		return err
	}
	defer release()
	j := paper.Job{Checkpoint: *ckpt, Load: model.LoadOptions{MaxParams: lim.params(), Activation: lim.act}, Data: *dataFile, Test: *test, MNIST: *mnist,
		Out: o.out, Quick: *quick, Budget: *budget, Workers: o.workers, MaxMemory: float64(lim.memory), Version: version,
		Command: append([]string{"sgn", "paper"}, args...)}
	if !o.quiet {
		j.Log = func(line string) { fmt.Fprintf(a.stderr, "%s sgn paper: %s\n", time.Now().Format("15:04:05"), line) }
	}
	res, err := paper.Run(j)
	if res != nil {
		if err := res.WriteText(a.stdout); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if err := res.Report.WriteText(a.stdout); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s and %s\n", filepath.Join(o.out, "index.html"), filepath.Join(o.out, "report.json"))
	return nil
}

// runReport implements 'sgn report': the page of the paper's claims built
// from existing output folders, recomputing nothing.
func runReport(a *app, args []string) error {
	fs := a.newFlagSet("report",
		"report DIR... [--out DIR]",
		"sgn report out/cvh out/noise out/sgld out/escape-figure out/selection out/equilibrium --out out/paper")
	out := fs.String("out", "out/paper", "output `folder` for index.html and report.json")
	quiet := fs.Bool("quiet", false, "no progress (report prints none) and no notice")
	dirs, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return cli.Usagef("give the output folders to read, e.g. sgn report out/cvh out/noise (see -h)")
	}
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return fmt.Errorf("%s is not a folder: give output folders of sgn commands", d)
		}
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	r, err := report.Build(dirs, version, paper.Experiments())
	if err != nil {
		return err
	}
	gone, err := report.RemoveOutputs(*out)
	if err != nil {
		return err
	}
	a.removed("report", *out, *quiet)(gone)
	if err := report.Write(r, *out); err != nil {
		return err
	}
	if err := r.WriteText(a.stdout); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s and %s\n", filepath.Join(*out, "index.html"), filepath.Join(*out, "report.json"))
	return nil
}

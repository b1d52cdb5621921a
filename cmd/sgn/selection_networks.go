package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgn-project/sgn/escape/sharpness"
	"github.com/sgn-project/sgn/internal/sweep"
)

// runSelectionNetworks implements 'sgn selection networks': training sweeps
// over (B, η) and the sharpness of the minima they reach.
func runSelectionNetworks(a *app, args []string) error {
	return group{
		path: "selection networks",
		about: `How sharp is the minimum SGD finds? Training runs over a grid of batch size B
and learning rate η from one initialisation on one data selection; each run
ends with λmax(H) (Lanczos), tr H (exact for small P, Hutchinson otherwise),
‖∇L‖ and train/test loss and accuracy. Runs shard, merge and resume like the
escape sweeps.`,
		example: `sgn selection networks sweep --workers 2 --out out/selection/networks
sgn selection networks fit out/selection/networks --out out/selection`,
		subs: []subcommand{
			{"sweep", "train the runs of a config (the builtin one by default) into a folder", runNetworksSweep},
			{"merge", "combine the shard folders of one sweep", runNetworksMerge},
			{"fit", "log λmax and log tr H against log(η/B): selection-networks.json, CSV, figures", runNetworksFit},
			{"config", "print the builtin config as JSON (edit it and pass it with --config)", runNetworksConfig},
		},
	}.run(a, args)
}

// loadNetworksConfig reads a config file, or the builtin config for "" or
// "builtin".
func loadNetworksConfig(path string) (sharpness.Config, error) {
	if path == "" || path == "builtin" {
		return sharpness.Builtin(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return sharpness.Config{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c sharpness.Config
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func runNetworksSweep(a *app, args []string) error {
	fs := a.newFlagSet("selection networks sweep",
		"selection networks sweep [--config FILE] --out DIR [--workers N] [--shard i/n]",
		`sgn selection networks sweep --workers 2 --out out/selection/networks
sgn selection networks sweep --out out/selection/networks --shard $SLURM_ARRAY_TASK_ID/16`)
	cfgPath := fs.String("config", "builtin", "sweep config JSON `file` (see sgn selection networks config), or builtin")
	out := fs.String("out", "", "output `folder` (required); with --shard i/n the shard goes to DIR-shard-i")
	workers := workersFlag(fs, "training runs in parallel")
	shardFlag := fs.String("shard", "", "run only shard `i/n` of the runs (0 ≤ i < n)")
	mnist := fs.String("mnist", "", "`folder` holding the four MNIST idx .gz files (default: $SGN_MNIST, then the copy in the binary, then the GoMNIST module)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	lim := limitFlags(fs, "buffers (the images, and per concurrent run its training and the Hessian of its minimum)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out DIR is required (see -h)")
	}
	if err := lim.parse(); err != nil {
		return err
	}
	if err := lim.checkLibraryParams("selection networks"); err != nil {
		return err
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	var shard sweep.Shard
	if *shardFlag != "" {
		s, err := sweep.ParseShard(*shardFlag)
		if err != nil {
			return usagef("--shard: %v", err)
		}
		shard = s
	}
	cfg, err := loadNetworksConfig(*cfgPath)
	if err != nil {
		return configError("config", *cfgPath, err)
	}
	if err := lim.checkModel(cfg.Model, "--config "+*cfgPath+": model"); err != nil {
		return err
	}
	need, err := cfg.MemoryNeed(*workers)
	if err != nil {
		return configError("config", *cfgPath, err)
	}
	if err := lim.checkMemory(need, fmt.Sprintf("%d runs at a time of the model %v", *workers, cfg.Model.Layers),
		"lower --workers, train_first or the model"); err != nil {
		return err
	}
	dir := *out
	if shard.Count > 0 {
		dir = fmt.Sprintf("%s-shard-%d", strings.TrimRight(*out, "/"), shard.Index)
	}
	release, err := claimOut(dir)
	if err != nil {
		return err
	}
	defer release()
	if err := sharpness.Kind.CheckFolder(dir, cfg, shard); err != nil {
		return err
	}
	d, err := sharpness.LoadData(cfg, *mnist)
	if err != nil {
		return err
	}
	label := "selection networks sweep"
	if shard.Count > 0 {
		label += " shard " + shard.String()
	}
	var prog *progress
	sum, err := sharpness.Sweep(dir, cfg, d, sweep.Options{Workers: *workers, Shard: shard, Version: version,
		Progress: func(done, total int) {
			if prog == nil {
				prog = a.newProgress(label, total, *quiet)
			}
			prog.Update(done, "")
		}}, version)
	prog.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d training runs (%d resumed, %d now) into %s\n", sum.Total, sum.Resumed, sum.New, dir)
	if shard.Count == 0 {
		fmt.Fprintf(a.stdout, "next: sgn selection networks fit %s\n", dir)
	} else {
		fmt.Fprintf(a.stdout, "next, once every shard is done: sgn selection networks merge %s-shard-* --out %s\n", strings.TrimRight(*out, "/"), *out)
	}
	return nil
}

func runNetworksMerge(a *app, args []string) error {
	fs := a.newFlagSet("selection networks merge", "selection networks merge DIR... --out DIR",
		"sgn selection networks merge out/selection/networks-shard-* --out out/selection/networks")
	out := fs.String("out", "", "output `folder` (required)")
	fs.Bool("quiet", false, "no progress (merge prints none)")
	dirs, release, err := mergeInputs(fs, args, out, "out/selection/networks-shard-*")
	if err != nil {
		return err
	}
	defer release()
	sum, err := sharpness.Kind.Merge(*out, dirs, sweep.MergeOptions{Version: version})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "merged %d folders: %d of %d runs into %s\n", len(dirs), sum.Runs, sum.Total, *out)
	return nil
}

func runNetworksFit(a *app, args []string) error {
	fs := a.newFlagSet("selection networks fit", "selection networks fit DIR [--out DIR]",
		"sgn selection networks fit out/selection/networks --out out/selection")
	out := fs.String("out", "", "output `folder` (default: the sweep folder)")
	fs.Bool("quiet", false, "no progress (fit prints none)")
	dirs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) != 1 {
		return usagef("give one sweep folder, e.g. sgn selection networks fit out/selection/networks")
	}
	if err := checkSweepDirs(dirs); err != nil {
		return err
	}
	if *out == "" {
		*out = dirs[0]
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	an, err := sharpness.Fit(dirs[0], *out, version)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d of %d runs (%d diverged)\n", an.RunsFound, an.RunsTotal, an.Diverged)
	for _, f := range an.Fits {
		ci := ""
		if f.SlopeCI != nil {
			ci = fmt.Sprintf(" [%.3g, %.3g]", f.SlopeCI[0], f.SlopeCI[1])
		}
		r2, rho := "", ""
		if f.R2 != nil {
			r2 = fmt.Sprintf(", R² %.3f", *f.R2)
		}
		if f.Spearman != nil {
			rho = fmt.Sprintf(", Spearman ρ %.3f", *f.Spearman)
		}
		fmt.Fprintf(a.stdout, "%s against %s: slope %.3g%s%s%s over %d runs\n", f.Of, f.Against, f.Slope, ci, r2, rho, f.N)
	}
	for _, g := range an.SameRatio {
		var parts []string
		for _, p := range g.Points {
			parts = append(parts, fmt.Sprintf("B %d η %g: λmax %.3g", p.BatchSize, p.Eta, p.LambdaMax))
		}
		fmt.Fprintf(a.stdout, "η/B = %.3g: %s (spread ×%.2f)\n", g.EtaOverB, strings.Join(parts, "; "), g.LambdaMaxSpread)
	}
	fmt.Fprintf(a.stdout, "wrote %s, %s and figures %s, %s (.png/.svg)\n", filepath.Join(*out, sharpness.ResultFile),
		filepath.Join(*out, sharpness.CSVFile), sharpness.SharpnessFigure, sharpness.AccuracyFigure)
	return nil
}

func runNetworksConfig(a *app, args []string) error {
	fs := a.newFlagSet("selection networks config", "selection networks config", "sgn selection networks config > mine.json")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	b, err := json.MarshalIndent(sharpness.Builtin(), "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s\n", b)
	return nil
}

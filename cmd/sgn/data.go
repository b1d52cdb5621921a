package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cli"
)

// runData implements 'sgn data': it dispatches to its subcommands.
func runData(a *app, args []string) error {
	return cli.Group[*app]{
		Path:    "sgn data",
		Example: "sgn data export --pool 4 --split train --first 2000 --out out/train2000.safetensors",
		Subs: []cli.Sub[*app]{
			{Name: "export", Summary: "write the exact tensors a model consumes (x N×D float64, y N int64) as safetensors", Run: runDataExport},
		},
	}.Run(a, a.stdout, args)
}

// runDataExport implements 'sgn data export': load a selection of MNIST,
// preprocess it exactly as the models do, and write it as safetensors.
func runDataExport(a *app, args []string) error {
	fs := a.newFlagSet("data export",
		"data export [--mnist DIR] [--split train|test] [--pool 1|2|4] [--first N | --random N --data-seed S] --out FILE",
		"sgn data export --pool 4 --split train --first 2000 --out out/train2000.safetensors")
	var o data.Options
	fs.StringVar(&o.Dir, "mnist", "", mnistUsage)
	fs.StringVar(&o.Split, "split", "train", "MNIST split: train (60000 images) or test (10000)")
	fs.IntVar(&o.Pool, "pool", 4, "average pooling of the 28×28 images: 1 (784 features), 2 (196) or 4 (49)")
	fs.IntVar(&o.First, "first", 0, "take the first `N` images of the file, in file order (0 = all)")
	fs.IntVar(&o.Random, "random", 0, "take `N` images drawn at random without replacement, in the order drawn (exclusive with --first)")
	fs.Uint64Var(&o.Seed, "data-seed", 1, "seed of the --random selection")
	cli.Deprecate(fs, a.stderr, "data export", "seed", "data-seed")
	out := fs.String("out", "", "output safetensors `file` (required; its folder is created)")
	quiet := fs.Bool("quiet", false, "print no progress on stderr")
	var lim limits
	lim.memoryFlag(fs, "rows (the selection held as float64 before it is written)")
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	if *out == "" {
		return cli.Usagef("--out FILE is required (see -h)")
	}
	if err := lim.parse(); err != nil {
		return err
	}
	// The selection (data.Options.Validate) and its memory.
	if err := data.CheckExportMemory(o, lim.memory); err != nil {
		return selectionUsage(cli.MemoryUsage(err, nil))
	}
	if st, err := os.Stat(*out); err == nil && st.IsDir() {
		return fmt.Errorf("--out %s is a folder: want a file name such as %s", *out, filepath.Join(*out, "data.safetensors"))
	}
	s, size, err := data.Export(*out, o, version, func() {
		if !*quiet {
			fmt.Fprintf(a.stderr, "sgn data export: loading MNIST %s (pool %d)\n", o.Split, o.Pool)
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s: N=%d D=%d (%s, pool %d), %d bytes\n", *out, s.N, s.D, s.Selection, s.Pool, size)
	return nil
}

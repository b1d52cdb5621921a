package main

import "fmt"

// runSelection implements 'sgn selection': does SGD select flat minima?
// Each setting of the experiment is a subcommand.
func runSelection(a *app, args []string) error {
	if len(args) == 0 {
		return usagef("missing setting: want twowell or networks (e.g. sgn selection twowell figure --out out/selection)")
	}
	switch args[0] {
	case "twowell":
		return runSelectionTwoWell(a, args[1:])
	case "networks":
		return runSelectionNetworks(a, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(a.stderr, `Usage: sgn selection <setting> <subcommand> [flags]

Minima selection: does SGD favour flat minima, and how strongly, against batch
size and learning rate (Xie, Sato & Sugiyama, ICLR 2021)?

Settings:
  twowell   long trajectories between a sharp and a flat valley of an analytic
            landscape: occupancy ratio and rates against Theorems 1 and 2
  networks  training sweeps over (B, η) on MNIST: the sharpness of the minima reached
`)
		return nil
	}
	return usagef("unknown setting %q: want twowell or networks", args[0])
}

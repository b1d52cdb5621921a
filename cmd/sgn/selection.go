package main

import "github.com/sgn-project/sgn/internal/cli"

// runSelection implements 'sgn selection': does SGD select flat minima?
// Each setting of the experiment is a subcommand group.
func runSelection(a *app, args []string) error {
	return cli.Group[*app]{
		Path: "sgn selection",
		About: `Minima selection: does SGD favour flat minima, and how strongly, against batch
size and learning rate (Xie, Sato & Sugiyama, ICLR 2021)?`,
		Example: "sgn selection twowell figure --out out/selection",
		Subs: []cli.Sub[*app]{
			{Name: "twowell", Summary: "long trajectories between a sharp and a flat valley of an analytic landscape: occupancy ratio and rates against Theorems 1 and 2", Run: func(a *app, args []string) error { return a.twowellFamily().Run(a.env(), args) }},
			{Name: "networks", Summary: "training sweeps over (B, η) on MNIST: the sharpness of the minima reached", Run: func(a *app, args []string) error { return a.networksFamily().Run(a.env(), args) }},
		},
	}.Run(a, a.stdout, args)
}

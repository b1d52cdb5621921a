package main

// runSelection implements 'sgn selection': does SGD select flat minima?
// Each setting of the experiment is a subcommand.
func runSelection(a *app, args []string) error {
	return group{
		path: "selection",
		noun: "setting",
		about: `Minima selection: does SGD favour flat minima, and how strongly, against batch
size and learning rate (Xie, Sato & Sugiyama, ICLR 2021)?`,
		example: "sgn selection twowell figure --out out/selection",
		subs: []subcommand{
			{"twowell", "long trajectories between a sharp and a flat valley of an analytic landscape: occupancy ratio and rates against Theorems 1 and 2", twowellFamily.run},
			{"networks", "training sweeps over (B, η) on MNIST: the sharpness of the minima reached", networksFamily.run},
		},
	}.run(a, args)
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/workgroup"
	"github.com/sgn-project/sgn/model"
)

// version is the program version, recorded in every output file. It is set at
// build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// app carries what every subcommand needs: where to print and how loudly.
type app struct {
	stdout, stderr io.Writer
	// isTerminal: stderr is a terminal (a progress bar; else plain lines).
	isTerminal bool
}

// command is one subcommand of sgn.
type command struct {
	summary string
	run     func(a *app, args []string) error
}

// commands lists the subcommands. Each lives in a file of its own.
func commands() map[string]command {
	return map[string]command{
		"train":       {"train an MLP on MNIST with minibatch SGD", runTrain},
		"data":        {"data utilities: export the exact tensors a model consumes", runData},
		"hessian":     {"Hessian spectrum: Lanczos top/bottom-k, trace, density, full matrix", runHessian},
		"covariance":  {"gradient-noise covariance C(θ) against H(θ)/B", runCovariance},
		"noise":       {"shape of the gradient noise: across parameters vs across minibatches", runNoise},
		"escape":      {"escape times of SGD and SGLD from sharp minima", runEscape},
		"minimum":     {"a true minimum of the weight-decay-regularised training loss, as a checkpoint", runMinimum},
		"equilibrium": {"SGD and SGLD fluctuations along the Hessian eigendirections near a minimum; equilibrium escape: where network escape runs leave", runEquilibrium},
		"paper":       {"every experiment that applies to your network and data, then the page of claims", runPaper},
		"report":      {"the paper's claims, measured: a page of verdicts from output folders", runReport},
		"selection":   {"minima selection: a sharp against a flat valley (twowell); the sharpness SGD reaches against B and η (networks)", runSelection},
		"version":     {"print the program version", runVersion},
		"cluster":     {"write the Slurm or Kubernetes files that run a sharded sweep", runCluster},
		"sweep":       {"the shards of a sharded sweep: done, missing, running, what to start again", runSweepTools},
		"unlock":      {"break the lock of an output folder whose holder died (a node that failed)", runUnlock},
	}
}

func main() {
	model.UseBLAS()
	a := &app{stdout: os.Stdout, stderr: os.Stderr, isTerminal: cli.IsTerminal(os.Stderr)}
	os.Exit(a.main(os.Args[1:]))
}

// main runs the command line and returns the exit status: 0 on success, 2 on
// usage errors and 1 on failures.
func (a *app) main(args []string) int {
	cmds := commands()
	if len(args) == 0 {
		a.printUsage(a.stderr, cmds)
		return 2
	}
	if cli.IsHelpArg(args[0]) {
		if args[0] == "help" && len(args) > 1 {
			// sgn help CMD [SUB…]: CMD [SUB…] --help.
			args = append(append([]string(nil), args[1:]...), "--help")
		} else {
			a.printUsage(a.stdout, cmds)
			return 0
		}
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(a.stderr, "sgn: unknown command %q%s (commands: %s)\n", args[0], cli.DidYouMean(args[0], slices.Sorted(maps.Keys(cmds)), ""), strings.Join(slices.Sorted(maps.Keys(cmds)), ", "))
		return 2
	}
	return a.status(args[0], runCommand(c, a, args[1:]))
}

// status prints the error of the command name, if any, on stderr and
// returns the exit status (cli.Exit): 0 for none, 2 for a usage error, 1
// otherwise.
func (a *app) status(name string, err error) int {
	return cli.Exit(a.stderr, "sgn "+name, err, a.failure)
}

// failure is the text of a failure: a folder of MNIST not found says the
// flag and variable that give it; a panic (a *workgroup.PanicError, from
// the command's goroutine or a worker) is one line, its stack printed
// first when SGN_TRACEBACK is set.
func (a *app) failure(err error) string {
	msg := err.Error()
	if nf := (*data.NotFoundError)(nil); errors.As(err, &nf) {
		msg = strings.Replace(msg, nf.Error(), nf.Hint("flag --mnist or env SGN_MNIST"), 1)
	}
	if pe := (*workgroup.PanicError)(nil); errors.As(err, &pe) {
		msg += fmt.Sprintf(" (a bug in sgn %s: please report it with the command line; SGN_TRACEBACK=1 prints the stack)", version)
		if os.Getenv("SGN_TRACEBACK") != "" {
			fmt.Fprintf(a.stderr, "%s\n", pe.Stack)
		}
	}
	return msg
}

// runCommand runs c, a panic of its goroutine returned as a
// *workgroup.PanicError (one line, exit status 1), as the libraries'
// worker pools return their goroutines' panics.
func runCommand(c command, a *app, args []string) error {
	return workgroup.Call("", func() error { return c.run(a, args) })
}

// printUsage writes sgn's help: every command with its one-line summary.
func (a *app) printUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprintf(w, "sgn %s: stochastic gradient noise of real networks\n\nUsage:\n  sgn <command> [flags]\n  sgn help <command> [<subcommand>]\n\nCommands:\n", version)
	names := slices.Sorted(maps.Keys(cmds))
	cli.WriteTable(w, "  ", names, func(i int) string { return cmds[names[i]].summary })
	fmt.Fprintf(w, "\nRun 'sgn <command> --help' for a command's flags and an example.\n")
}

// newFlagSet returns the flag set of the command sgn NAME (cli.NewFlagSet:
// help on stdout with the synopsis and an example).
func (a *app) newFlagSet(name, synopsis, example string) *flag.FlagSet {
	return cli.NewFlagSet(a.stdout, "sgn "+name, "sgn "+synopsis, example)
}

func runVersion(a *app, args []string) error {
	fs := a.newFlagSet("version", "version", "sgn version")
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "sgn %s\n", version)
	return nil
}

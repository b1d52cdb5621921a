package kramers

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/model"
)

// TestNetworkSweepEndToEnd: a tiny network sweep on MNIST (49-4-10, 100
// images) runs, caches its minimum, and gives the same runs.jsonl on 1
// and 2 workers.
func TestNetworkSweepEndToEnd(t *testing.T) {
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	cfg := Config{Seed: 4, Network: &network.Spec{Layers: []int{49, 4, 10}, First: 100, Minimizer: network.MinimizerGD, GDMaxSteps: 300, GDEta: 0.3, CheckEvery: 5},
		Dynamics: []escape.Dynamics{escape.SGD}, Sharpness: []float64{1, 2}, BatchSize: []float64{4}, Eta: []float64{0.2},
		Runs: 6, MaxSteps: 400, Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 0.02}}
	var files [][]byte
	for _, w := range []int{1, 2} {
		dir := filepath.Join(t.TempDir(), "sweep")
		sum, mn, err := NetworkSweep(dir, cfg, SweepOptions{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if sum.New != 12 || mn.GDSteps == 0 || !(mn.HessianTop > 0) {
			t.Fatalf("summary %+v, minimum: %d GD steps, λmax %v", sum, mn.GDSteps, mn.HessianTop)
		}
		b, err := os.ReadFile(filepath.Join(dir, RunsFile))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
		cached, err := network.PrepareMinimum(*cfg.Network, "", dir, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cached.Theta, mn.Theta) || cached.Loss != mn.Loss {
			t.Error("the cached minimum differs from the prepared one")
		}
		sd, err := ReadSweep(dir)
		if err != nil {
			t.Fatal(err)
		}
		rates, err := PointRates(sd, nil)
		if err != nil || len(rates) != 2 {
			t.Fatalf("%d rates, %v", len(rates), err)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("runs.jsonl differs between 1 and 2 workers")
	}
}

// TestNetworkMinimumShardsMerge: the default minimizer (L-BFGS, then
// Newton–CG) brings a small MNIST network to ‖∇L‖ ≤ 1e-6, checked with
// model's gradient; the Hessian verdict follows its eigenvalues; two shards
// prepare the same minimum.json and Merge copies it.
func TestNetworkMinimumShardsMerge(t *testing.T) {
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	cfg := Config{Seed: 5, Network: &network.Spec{Layers: []int{49, 4, 10}, First: 100, CheckEvery: 5},
		Dynamics: []escape.Dynamics{escape.SGD}, Sharpness: []float64{1}, BatchSize: []float64{4}, Eta: []float64{0.2},
		Runs: 4, MaxSteps: 200, Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 0.02}}
	tmp := t.TempDir()
	var shards []string
	var mn *network.Minimum
	for i := range 2 {
		dir := filepath.Join(tmp, fmt.Sprint("shard", i))
		_, m, err := NetworkSweep(dir, cfg, SweepOptions{Workers: 2, Shard: Shard{Index: i, Count: 2}})
		if err != nil {
			t.Fatal(err)
		}
		shards, mn = append(shards, dir), m
	}
	if mn.Minimizer != network.MinimizerLBFGS || !mn.Converged || mn.GradNorm > 1e-6 || mn.HessianMethod != "dense" {
		t.Fatalf("minimum %+v: want lbfgs converged to ‖∇L‖ ≤ 1e-6 with a dense Hessian", mn.MinimumSearch)
	}
	set, err := data.Load(data.Options{Split: "train", Pool: 4, First: 100})
	if err != nil {
		t.Fatal(err)
	}
	net, err := model.New(model.Config{Layers: mn.Spec.Layers, Activation: mn.Spec.Activation})
	if err != nil {
		t.Fatal(err)
	}
	grad := make([]float64, len(mn.Theta))
	ev, err := net.Evaluate(mn.Theta, model.Batch{X: set.X, Y: set.Y}, grad, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g := floats.Norm(grad, 2); g > 1e-6 || ev.Loss != mn.Loss {
		t.Errorf("at θ₀: ‖∇L‖ = %g, loss %v (recorded %v)", g, ev.Loss, mn.Loss)
	}
	if mn.Saddle != (mn.HessianBottom < -1e-6*mn.HessianTop) || mn.Saddle != strings.Contains(mn.Verdict, "saddle") || !(mn.HessianTop > 0) {
		t.Errorf("verdict %q with λ = %g … %g", mn.Verdict, mn.HessianBottom, mn.HessianTop)
	}
	merged := filepath.Join(tmp, "merged")
	if _, err := Merge(merged, shards, "test"); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(shards[0], network.MinimumFile))
	if got, err := os.ReadFile(filepath.Join(merged, network.MinimumFile)); err != nil || !bytes.Equal(got, want) || len(want) == 0 {
		t.Errorf("merged minimum.json: %v", err)
	}
}

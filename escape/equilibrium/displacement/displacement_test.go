package displacement

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/memlimit"
)

// TestCheckMemory: the refusal past MemoryNeed names the network, the
// folder and top_k; none at the need; a sweep without a network is an
// error.
func TestCheckMemory(t *testing.T) {
	cfg := kramers.Config{Seed: 4, Network: &network.Spec{Layers: []int{49, 4, 10}, First: 100},
		Dynamics: []escape.Dynamics{escape.SGD}, Sharpness: []float64{1}, BatchSize: []float64{4}, Eta: []float64{0.2}, Runs: 4, MaxSteps: 400}
	need, err := MemoryNeed(cfg, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckMemory("d", cfg, 5, 2, int64(math.Ceil(need))); err != nil {
		t.Errorf("at its need: %v", err)
	}
	var me *memlimit.Error
	if err := CheckMemory("d", cfg, 5, 2, 1<<10); !errors.As(err, &me) ||
		me.Error() != fmt.Sprintf("top_k 5 on the network [49 4 10] of d needs about %d bytes, more than the limit of 1024 bytes; lower top_k or workers", int64(need)) {
		t.Errorf("under 1 KiB: %v", err)
	}
	cfg.Network = nil
	if err := CheckMemory("d", cfg, 5, 2, 1<<10); err == nil || errors.As(err, &me) {
		t.Errorf("no network: %v", err)
	}
}

// TestMeasure runs a tiny network escape sweep on real MNIST, then
// re-simulates its runs (Measure checks each reproduces its recorded
// outcome): with K = P the top-k eigenspaces grow to all of R^P, so the
// fraction rises monotonically to exactly 1, and the eigenvalues include
// the weight decay.
func TestMeasure(t *testing.T) {
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	cfg := kramers.Config{Seed: 4, Network: &network.Spec{Layers: []int{49, 4, 10}, First: 100, Minimizer: network.MinimizerGD, GDMaxSteps: 300, GDEta: 0.3, CheckEvery: 5, WeightDecay: 1e-3},
		Dynamics: []escape.Dynamics{escape.SGD}, Sharpness: []float64{1, 2}, BatchSize: []float64{4}, Eta: []float64{0.2},
		Runs: 4, MaxSteps: 400, Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 0.02}}
	dir := filepath.Join(t.TempDir(), "sweep")
	_, mn, err := kramers.NetworkSweep(dir, cfg, kramers.SweepOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	const P = 49*4 + 4 + 4*10 + 10
	rep, err := Measure(dir, "", []int{1}, 3, P, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Points) != 1 || rep.Points[0].Runs != 3 || rep.Points[0].Point != 1 {
		t.Fatalf("points %+v", rep.Points)
	}
	ep := rep.Points[0]
	if ep.Escaped == 0 {
		t.Fatalf("no run escaped: %+v", ep)
	}
	for k := 1; k < P; k++ {
		if ep.Fraction[k] < ep.Fraction[k-1]-1e-15 {
			t.Fatalf("fraction falls at k = %d: %v → %v", k+1, ep.Fraction[k-1], ep.Fraction[k])
		}
	}
	if math.Abs(ep.Fraction[P-1]-1) > 1e-12 {
		t.Errorf("fraction in all P eigendirections = %v, want 1", ep.Fraction[P-1])
	}
	// escape's own λmax and λmin of H(θ₀), weight decay included.
	if ep.Isotropic[P-1] != 1 || len(rep.Lambda) != P || math.Abs(rep.Lambda[0]-mn.HessianTop) > 1e-6*mn.HessianTop ||
		math.Abs(rep.Lambda[P-1]-mn.HessianBottom) > 1e-6*mn.HessianTop {
		t.Errorf("isotropic %v, λ %v … %v, escape's minimum.json %v … %v", ep.Isotropic[P-1], rep.Lambda[0], rep.Lambda[P-1], mn.HessianTop, mn.HessianBottom)
	}
	out := t.TempDir()
	if err := rep.Write(out); err != nil {
		t.Fatal(err)
	}
	if _, err := Measure(dir, "", []int{7}, 3, 5, 1, nil); err == nil {
		t.Error("point 7 of a 2-point sweep: no error")
	}
}

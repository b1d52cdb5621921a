package train

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDivergenceFiniteLoss: a tanh network with η = 10⁴ keeps a finite
// loss (its hidden units saturate) that grows far beyond chance: the run
// stops with ErrDiverged as soon as a minibatch loss exceeds 1000 times
// max(its first minibatch loss, log 10), says which step and the bound,
// and writes no checkpoint. The bound itself: 1000·log 10 when the first
// loss is below chance, 1000 times the first loss above it.
func TestDivergenceFiniteLoss(t *testing.T) {
	if b := divergenceBound(1.5, 10); math.Abs(b-1000*math.Log(10)) > 1e-9 {
		t.Errorf("bound after a first loss 1.5 with 10 classes: %v, want 1000·log 10", b)
	}
	if b := divergenceBound(5, 10); b != 5000 {
		t.Errorf("bound after a first loss 5: %v, want 5000", b)
	}
	s := settings(3)
	s.LR = 1e4
	dir := t.TempDir()
	_, _, err := smallRun(t, dir, s, false)
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "is above 1000 times max(the run's first minibatch loss, log K)") ||
		!strings.Contains(err.Error(), "lower the learning rate (now 10000)") {
		t.Fatalf("η = 1e4: error %v, want ErrDiverged naming the bound", err)
	}
	if strings.Contains(err.Error(), "NaN") || strings.Contains(err.Error(), "Inf") {
		t.Errorf("the loss was not finite: %v", err)
	}
	if _, e := os.Stat(filepath.Join(dir, CheckpointFile)); e == nil {
		t.Error("a diverged run left a checkpoint")
	}
}

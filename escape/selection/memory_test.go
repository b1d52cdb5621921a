package selection

import (
	"testing"

	"github.com/sgn-project/sgn/escape"
)

// TestSweepBytesCountsEveryReplica: the bound grows with the replicas and
// the points; a Task (point, run, seed) and a Replica's record are what the
// sweep and the fit hold for each, so 2·10⁹ replicas need hundreds of GB.
func TestSweepBytesCountsEveryReplica(t *testing.T) {
	cfg := Config{Dynamics: []escape.Dynamics{SGLD}, Eta: []float64{0.05, 0.1}, Temperature: []float64{0.004}, Replicas: 1000, Steps: 10}
	one := SweepBytes(cfg)
	if want := 2 * 1000 * float64(24+(24+48)+48); one != want {
		t.Errorf("SweepBytes = %v, want %v (2 points × 1000 replicas × 144 bytes)", one, want)
	}
	cfg.Replicas = 2_000_000_000
	if b := SweepBytes(cfg); b < 5e11 {
		t.Errorf("2·10⁹ replicas at 2 points: %v bytes", b)
	}
}

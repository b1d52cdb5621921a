package equilibrium

import (
	"testing"

	"github.com/sgn-project/sgn/model"
)

// The defaults sized to the network and the samples pass Validate on small
// data and small networks, keep the given fields and the full defaults
// where they fit.
func TestSizedFor(t *testing.T) {
	for _, c := range []struct {
		P, N             int
		batch, top, bulk int
	}{
		{74, 48, 12, 40, 34},
		{36, 5, 1, 36, -1},
		{1242, 2000, 64, 40, 40},
		{3, 3, 1, 3, -1},
	} {
		s := Settings{}.SizedFor(c.P, c.N)
		if s.BatchSize != c.batch || s.TopK != c.top || s.Bulk != c.bulk {
			t.Errorf("P %d N %d: B %d top-k %d bulk %d, want %d %d %d", c.P, c.N, s.BatchSize, s.TopK, s.Bulk, c.batch, c.top, c.bulk)
		}
		if err := s.Normalized().Validate(c.P, c.N); err != nil {
			t.Errorf("P %d N %d: %v", c.P, c.N, err)
		}
	}
	if s := (Settings{BatchSize: 7, TopK: 2, Bulk: 3}).SizedFor(74, 48); s.BatchSize != 7 || s.TopK != 2 || s.Bulk != 3 {
		t.Errorf("given fields changed: %+v", s)
	}
}

// TestCheckpointDefaults: a checkpoint that records a positive weight decay
// is measured with it and without descent, any other with λ = 0 after
// DefaultDescend steps; a value given wins either way.
func TestCheckpointDefaults(t *testing.T) {
	minimum := model.CheckpointMeta{Metrics: map[string]float64{"weight_decay": 1e-4}}
	trained := model.CheckpointMeta{Metrics: map[string]float64{"weight_decay": 0, "loss": 0.3}}
	decay, descend := 0.5, 7
	for _, c := range []struct {
		meta    model.CheckpointMeta
		decay   *float64
		descend *int
		d       float64
		steps   int
	}{
		{minimum, nil, nil, 1e-4, 0},
		{trained, nil, nil, 0, DefaultDescend},
		{model.CheckpointMeta{}, nil, nil, 0, DefaultDescend},
		{minimum, &decay, &descend, 0.5, 7},
		{trained, &decay, nil, 0.5, DefaultDescend},
		{minimum, nil, &descend, 1e-4, 7},
	} {
		if d, steps := CheckpointDefaults(c.meta, c.decay, c.descend); d != c.d || steps != c.steps {
			t.Errorf("%v: λ %g, %d steps; want %g, %d", c.meta.Metrics, d, steps, c.d, c.steps)
		}
	}
}

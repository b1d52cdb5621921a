package covariance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train/minimum"
)

// realReport analyses a 49-6-10 tanh network on the first 300 MNIST
// training images (pool 4) at θ, against a random model of seed
// 17911839290282890590 (above 2⁵³: a seed that float64 would change), and
// writes covariance.json into a new folder, as sgn covariance does.
func realReport(t *testing.T, m *model.MLP, set *data.Set, decay float64, source string) string {
	t.Helper()
	dir := t.TempDir()
	ckpt := filepath.Join(t.TempDir(), source)
	meta := model.CheckpointMeta{Pool: 4, Metrics: map[string]float64{"weight_decay": decay}}
	if err := model.SaveCheckpoint(ckpt, m, meta); err != nil {
		t.Fatal(err)
	}
	_, err := Run(Job{Pretrained: m, Meta: meta, Checkpoint: ckpt, Source: source, Data: set, RandomSeed: 17911839290282890590,
		Options: Options{BatchSizes: []int{16}, Mode: ModeFull, Window: Window{Min: DefaultLambdaMin, Max: DefaultLambdaMax}, Seed: 1, Workers: 2},
		OutDir:  dir, Version: "test", Command: []string{"sgn", "covariance"}, Start: time.Now(), StartCPU: cputime.Process()})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func claimByID(t *testing.T, cs []report.Claim, id string) report.Claim {
	t.Helper()
	c, ok := report.Find(cs, id)
	if !ok {
		t.Fatalf("no claim %s among %d", id, len(cs))
	}
	return c
}

// TestClaimsOnRealOutputs judges the claims from covariance.json files of
// real analyses: at the initial network (not a minimum: not-testable, with
// the reason) and at a true minimum of CE + (λ/2)‖θ‖² found by
// train/minimum (every regime check passes).
func TestClaimsOnRealOutputs(t *testing.T) {
	set, err := data.Load(data.Options{Split: "train", Pool: 4, First: 300})
	if err != nil {
		t.Fatal(err)
	}
	b := model.Batch{X: set.X, Y: set.Y}
	m, err := model.New(model.Config{Layers: []int{49, 6, 10}, Activation: model.Tanh, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}

	dir := realReport(t, m, set, 0, "init.safetensors")
	cs, err := Claims(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := claimByID(t, cs, ClaimTrained)
	if c.Verdict != report.NotTestable || c.Regime[0].OK || !strings.Contains(c.Reason, "‖∇L‖") ||
		!strings.Contains(c.Reason, "minimum.safetensors") || len(c.Effects) != 1 {
		t.Errorf("C ≈ H/B at a point that is no minimum: %s, reason %q, regime %+v", c.Verdict, c.Reason, c.Regime)
	}
	if rc := claimByID(t, cs, ClaimRandom); strings.Count(rc.At, "random initialisation") != 1 {
		t.Errorf("the random model's claim is judged at %q", rc.At)
	}
	written, err := Read(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Sources[0]; s.Seeds["random_model"] != 17911839290282890590 || s.Version != "test" || s.WallSeconds != written.Seconds["total"] ||
		s.CPUSeconds != written.CPUSeconds || !(written.CPUSeconds > 0) {
		t.Errorf("source %+v", s)
	}

	const decay = 1e-2
	theta := append([]float64(nil), m.Theta...)
	st, err := minimum.Minimize(minimum.Network{Net: m, Batch: b, Decay: decay, Workers: 2}, theta,
		minimum.Options{GradTol: 1e-8, MaxIterations: 5000})
	if err != nil || !st.Converged {
		t.Fatalf("minimum: %+v, %v", st, err)
	}
	at := *m
	at.Theta = theta
	dir = realReport(t, &at, set, decay, "minimum.safetensors")
	cs, err = Claims(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The shape C ∝ H is judged at the minimum; its level C = H/B is
	// not-testable there: the network interpolates its 300 images, so the
	// empirical Fisher is far below the model's (cᵢB/fᵢ ≈ 0.35) while the
	// model Fisher follows H.
	c = claimByID(t, cs, ClaimShapeMinimum)
	for _, ck := range c.Regime {
		if !ck.OK {
			t.Errorf("at a minimum to ‖∇L‖ ≤ 1e-8 the check %+v fails", ck)
		}
	}
	if e := c.Effects[0]; !(e.Interval.Lo < e.Value && e.Value < e.Interval.Hi) || len(c.Regime) != 3 {
		t.Errorf("the slope's effect %+v has no 95%% interval, or regime %+v lacks the fit's span", e, c.Regime)
	}
	if e := c.Effects[1]; !(e.Interval.Lo < e.Value && e.Value < e.Interval.Hi) {
		t.Errorf("Pearson r %+v has no bootstrap interval", e)
	}
	if c.Verdict == report.NotTestable || !strings.Contains(c.At, "minimum") {
		t.Errorf("C ∝ H at the minimum: %s at %q", c.Verdict, c.At)
	}
	lv := claimByID(t, cs, ClaimMinimum)
	if len(lv.Regime) != 3 || !lv.Regime[0].OK || !lv.Regime[1].OK || lv.Regime[2].OK || !(lv.Regime[2].Measured > 0 && lv.Regime[2].Measured < 0.5) ||
		lv.Verdict != report.NotTestable || !strings.Contains(lv.Reason, "interpolat") {
		t.Errorf("C = H/B at an interpolating minimum: %s (%s), regime %+v", lv.Verdict, lv.Reason, lv.Regime)
	}
	if e := lv.Effects[0]; !(e.Interval.Lo < e.Value && e.Value < e.Interval.Hi) {
		t.Errorf("median ratio %+v has no bootstrap interval", e)
	}
	if len(lv.Details) < 2 || lv.Details[0].Interval == nil || lv.Details[1].Interval == nil ||
		lv.Details[0].Value != lv.Regime[2].Measured || !(lv.Details[1].Value > 0.5 && lv.Details[1].Value < 2) {
		t.Errorf("Fisher links %+v: want cᵢB/fᵢ and fᵢ/λᵢ ≈ 1 (Gauss–Newton near a minimum) with intervals", lv.Details)
	}
	rnd := claimByID(t, cs, ClaimRandom)
	if !rnd.Regime[0].OK || rnd.Verdict == report.NotTestable || len(rnd.Effects) != 1 {
		t.Errorf("random model: %+v", rnd)
	}
	// Every claim obeys the judging rules as Build enforces them.
	if _, err := report.Build([]string{dir}, "v", []report.ClaimsFunc{Claims}); err != nil {
		t.Fatal(err)
	}
}

// TestClaimsRejectNonReports: a covariance.json that is null, a list, has
// numbers as strings or lacks a model is an error naming the file; a folder
// without one gives the claims unmeasured.
func TestClaimsRejectNonReports(t *testing.T) {
	for _, body := range []string{`null`, `[]`, `"x"`, `{}`, `{"models": {"pretrained": {"median_ratio": "0.5"}}}`,
		`{"batch_sizes": [16], "models": {"pretrained": null, "random": null}}`, `{not json`} {
		dir := t.TempDir()
		p := filepath.Join(dir, FileName)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Claims(dir); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("covariance.json %s: error %v does not name the file", body, err)
		}
	}
	cs, err := Claims(t.TempDir())
	if err != nil || len(cs) != 3 || cs[0].Produce == "" || len(cs[0].Sources) != 0 {
		t.Errorf("an empty folder: %+v, %v", cs, err)
	}
}

// TestClaimsEdges judges the claims from testdata/covariance.json, the
// covariance.json of sgn covariance at the true minimum of the figure
// network (λ = 1e-3, first 2,000 training images, B = 64), as measured and
// with one number moved across each edge of each rule. As measured: C ∝ H
// agrees (slope 1.09 [1.08, 1.10], r 0.986 [0.984, 0.988]); C = H/B is
// not-testable, the labels not distributed as the model predicts (median
// cᵢB/fᵢ 0.19: the minimum interpolates its images); the random model
// departs (median ratio 0.27 [0.18, 0.36]).
func TestClaimsEdges(t *testing.T) {
	type edit func(pre, rnd *ModelReport)
	labels := func(v float64) edit {
		return func(pre, _ *ModelReport) { pre.Fisher.MedianEmpiricalOverFisher = v }
	}
	ratio := func(lo, v, hi float64) edit {
		return func(pre, _ *ModelReport) {
			pre.MedianRatio, pre.Intervals.MedianRatio = v, [2]float64{lo, hi}
		}
	}
	both := func(a, b edit) edit { return func(p, r *ModelReport) { a(p, r); b(p, r) } }
	r95 := func(lo, hi float64) edit {
		return func(pre, _ *ModelReport) { pre.Intervals.PearsonR = &[2]float64{lo, hi} }
	}
	rndRatio := func(lo, v, hi float64) edit {
		return func(_, rnd *ModelReport) {
			rnd.MedianRatio, rnd.Intervals.MedianRatio = v, [2]float64{lo, hi}
		}
	}
	cases := []struct {
		name               string
		edit               edit
		level, shape, rand report.Verdict
		cause              string
	}{
		{"as measured", func(*ModelReport, *ModelReport) {}, report.NotTestable, report.Agrees, report.Agrees, "interpolate"},
		{"labels 0.49", labels(0.49), report.NotTestable, report.Agrees, report.Agrees, "cᵢB/fᵢ"},
		{"labels 0.51", labels(0.51), report.Disagrees, report.Agrees, report.Agrees, ""},
		{"labels 2.01", labels(2.01), report.NotTestable, report.Agrees, report.Agrees, "cᵢB/fᵢ"},
		{"no Fisher links", func(pre, _ *ModelReport) { pre.Fisher = nil }, report.NotTestable, report.Agrees, report.Agrees, "rerun sgn covariance"},
		{"ratio inside", both(labels(1), ratio(0.6, 0.8, 1.9)), report.Agrees, report.Agrees, report.Agrees, ""},
		{"ratio straddles 0.5", both(labels(1), ratio(0.45, 0.55, 0.65)), report.Inconclusive, report.Agrees, report.Agrees, ""},
		{"ratio straddles 2", both(labels(1), ratio(1.8, 1.95, 2.1)), report.Inconclusive, report.Agrees, report.Agrees, ""},
		{"ratio above 2", both(labels(1), ratio(2.1, 2.5, 3)), report.Disagrees, report.Agrees, report.Agrees, ""},
		{"r straddles 0.9", r95(0.89, 0.93), report.NotTestable, report.Inconclusive, report.Agrees, "interpolate"},
		{"r below 0.9", r95(0.8, 0.89), report.NotTestable, report.Disagrees, report.Agrees, "interpolate"},
		{"not a minimum", func(pre, _ *ModelReport) { pre.Analysis.Stationarity.GradNorm = 2e-5 }, report.NotTestable, report.NotTestable, report.Agrees, "‖∇L‖"},
		{"random inside the band", rndRatio(0.6, 0.8, 1.2), report.NotTestable, report.Agrees, report.Disagrees, "interpolate"},
		{"random straddles 1/2", rndRatio(0.4, 0.45, 0.55), report.NotTestable, report.Agrees, report.Inconclusive, "interpolate"},
		{"random straddles 1", rndRatio(0.4, 0.9, 2.5), report.NotTestable, report.Agrees, report.Inconclusive, "interpolate"},
	}
	for _, tc := range cases {
		r, err := Read("testdata/covariance.json")
		if err != nil {
			t.Fatal(err)
		}
		tc.edit(r.Models.Pretrained, r.Models.Random)
		dir := t.TempDir()
		if err := r.Write(dir); err != nil {
			t.Fatal(err)
		}
		cs, err := Claims(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []struct {
			id   string
			want report.Verdict
		}{{ClaimMinimum, tc.level}, {ClaimShapeMinimum, tc.shape}, {ClaimRandom, tc.rand}} {
			c := claimByID(t, cs, w.id)
			if c.Verdict != w.want {
				t.Errorf("%s: %s %s (%s), want %s", tc.name, w.id, c.Verdict, c.Reason, w.want)
			}
			if w.want == report.NotTestable && !strings.Contains(c.Reason, tc.cause) {
				t.Errorf("%s: %s's reason %q does not name %q", tc.name, w.id, c.Reason, tc.cause)
			}
		}
		if _, err := report.Build([]string{dir}, "v", []report.ClaimsFunc{Claims}); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

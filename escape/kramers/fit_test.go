package kramers

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep/sweeptest"
)

// syntheticRate builds a PointRate whose measured rate per unit time is
// exactly exp(−negLog).
func syntheticRate(p Point, negLog float64, pred *escape.Prediction) PointRate {
	g := math.Exp(-negLog) * p.Eta // per step
	return PointRate{Point: p, Prediction: pred, Estimate: Estimate{Runs: 100, Escaped: 100, Exposure: 100 / g, Rate: g, Lo: g / 2, Hi: 2 * g}}
}

// On data that follow Theorem 2 exactly with s = 0.3, every SGD relation
// gives s_from_slope = 0.3, and the −log γ lines against B and 1/η are
// exact (R² = 1) with Theorem 2's slope.
func TestFitRelationsRecoverS(t *testing.T) {
	const s = 0.3
	cfg := Config{Seed: 1, Landscape: escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 0.2}, Dynamics: []escape.Dynamics{escape.SGDDiffusion},
		Sharpness: []float64{1, 2, 4}, BatchSize: []float64{1, 2, 3}, Eta: []float64{0.05, 0.1}, Runs: 1, MaxSteps: 10}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var rates []PointRate
	for _, p := range cfg.Points() {
		pred, err := AnalyticPrediction(p)
		if err != nil {
			t.Fatal(err)
		}
		rates = append(rates, syntheticRate(p, escape.Theorem2NegLogRate(pred.Curvature, p.Eta, p.BatchSize, s), pred))
	}
	rels := FitRelations(rates)
	if len(rels) != 3 {
		t.Fatalf("%d relations, want 3 (1/k, B, 1/η)", len(rels))
	}
	for _, rel := range rels {
		if len(rel.Series) == 0 {
			t.Errorf("%s: no series", rel.Name)
		}
		for _, se := range rel.Series {
			if se.SFromSlope == nil || math.Abs(*se.SFromSlope-s) > 1e-9 {
				t.Errorf("%s %v: s from slope %v, want %g", rel.Name, se.Fixed, se.SFromSlope, s)
			}
			if rel.Variable == "batch-size" {
				// slope = (2ΔL/η)(s/H_ae + (1−s)/|H_be|), H_ae = 8kΔL, H_be = −4kΔL.
				k, eta := se.Fixed["sharpness"], se.Fixed["eta"]
				want := 2 * 0.2 / eta * (s/(8*k*0.2) + (1-s)/(4*k*0.2))
				if math.Abs(se.Line.Slope-want) > 1e-9*want || math.Abs(*se.Line.R2-1) > 1e-12 {
					t.Errorf("%s %v: slope %g R² %g, want %g and 1", rel.Name, se.Fixed, se.Line.Slope, *se.Line.R2, want)
				}
			}
		}
	}
	for _, r := range rates {
		if math.Abs(r.S()-s) > 1e-9 {
			t.Errorf("point %d: s solved from the rate = %g, want %g", r.Point.Index, r.S(), s)
		}
	}
}

// SGLD data that follow Theorem 1 give the predicted slopes −1 against
// log k and ΔL against 1/D; a point with no escape is left out.
func TestFitRelationsSGLD(t *testing.T) {
	cfg := Config{Seed: 1, Landscape: escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 0.5}, Dynamics: []escape.Dynamics{escape.SGLD},
		Sharpness: []float64{1, 2, 4}, Eta: []float64{0.01}, Temperature: []float64{0.05, 0.1, 0.2}, Runs: 1, MaxSteps: 10}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var rates []PointRate
	for _, p := range cfg.Points() {
		pred, _ := AnalyticPrediction(p)
		r := syntheticRate(p, *pred.NegLogRate, pred)
		if p.Index == 0 {
			r.Estimate.Escaped, r.Estimate.Rate, r.Estimate.Lo = 0, 0, 0
		}
		rates = append(rates, r)
	}
	for _, rel := range FitRelations(rates) {
		for _, se := range rel.Series {
			want := -1.0
			if rel.Variable == "inv-temperature" {
				want = 0.5
			}
			if se.Line == nil || math.Abs(se.Line.Slope-want) > 1e-9 || math.Abs(*se.PredictedSlope-want) > 1e-9 {
				t.Errorf("%s %v: line %+v, predicted %v, want slope %g", rel.Name, se.Fixed, se.Line, se.PredictedSlope, want)
			}
			if math.Abs(rates[se.Points[0]].Ratio()-1) > 1e-12 {
				t.Errorf("measured/predicted = %g on exact data", rates[se.Points[0]].Ratio())
			}
			for _, i := range se.Points {
				if i == 0 {
					t.Error("the point with no escape was fitted")
				}
			}
		}
	}
}

// WriteFit on a small real sweep writes rates.csv, fit.json and figures.
func TestWriteFit(t *testing.T) {
	tmp := t.TempDir()
	cfg := smallConfig(3)
	runSweep(t, tmp, cfg, SweepOptions{Workers: 2})
	sd, err := ReadSweep(tmp)
	if err != nil {
		t.Fatal(err)
	}
	rates, err := PointRates(sd, AnalyticPrediction)
	if err != nil {
		t.Fatal(err)
	}
	rels := FitRelations(rates)
	files, err := WriteFit(tmp, sd, rates, rels, "test", cputime.Clock{})
	if err != nil {
		t.Fatal(err)
	}
	// sgld varies k only; sgd-diffusion varies k and B.
	for _, f := range []string{"rates.csv", "fit.json", "fit-sgld-vs-log-sharpness.png", "fit-sgld-vs-log-sharpness.svg",
		"fit-sgd-diffusion-vs-inv-sharpness.png", "fit-sgd-diffusion-vs-batch-size.svg"} {
		if _, err := os.Stat(filepath.Join(tmp, f)); err != nil {
			t.Errorf("%s not written (files: %v)", f, files)
		}
	}
	png := sweeptest.ReadFile(t, filepath.Join(tmp, "fit-sgld-vs-log-sharpness.png"))
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Error("the figure is not a PNG")
	}
	var rep FitReport
	if err := json.Unmarshal(sweeptest.ReadFile(t, filepath.Join(tmp, "fit.json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.RunsFound != rep.RunsTotal || rep.ConfigHash != cfg.Hash() || len(rep.Relations) != 3 {
		t.Errorf("fit.json: %d of %d runs, hash %s, %d relations", rep.RunsFound, rep.RunsTotal, rep.ConfigHash, len(rep.Relations))
	}
	csv := sweeptest.ReadFile(t, filepath.Join(tmp, "rates.csv"))
	if n := bytes.Count(csv, []byte("\n")); n != 1+len(cfg.Points()) {
		t.Errorf("rates.csv has %d lines, want %d", n, 1+len(cfg.Points()))
	}
}

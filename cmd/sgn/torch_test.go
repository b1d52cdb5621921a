package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/covariance"
	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// writeTorchCheckpoint writes m as a plain PyTorch state_dict of an
// nn.Sequential (keys 0.weight, 0.bias, 2.weight, …) in float32, as
// safetensors.torch.save_file writes it, and returns its path.
func writeTorchCheckpoint(t *testing.T, dir string, m *model.MLP) string {
	t.Helper()
	lo := m.Layout
	var ts []data.Tensor
	for l := 0; l < lo.NumLayers(); l++ {
		ts = append(ts,
			data.Tensor{Name: fmt.Sprintf("%d.weight", 2*l), DType: "F32", Shape: []int{lo.Layers[l+1], lo.Layers[l]}, F64: lo.W(m.Theta, l)},
			data.Tensor{Name: fmt.Sprintf("%d.bias", 2*l), DType: "F32", Shape: []int{lo.Layers[l+1]}, F64: lo.B(m.Theta, l)})
	}
	p := filepath.Join(dir, "torch.safetensors")
	if err := data.WriteSafetensors(p, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	return p
}

// A PyTorch state_dict is analysed as the same network saved by sgn: the
// same eigenvalues, bit for bit, with the provenance in hessian.json; the
// activation comes from --activation (a usage error without it).
func TestTorchCheckpointHessian(t *testing.T) {
	mnist := mnistOrSkip(t)
	dir := t.TempDir()
	m, err := model.New(model.Config{Layers: []int{49, 6, 10}, Activation: model.GELU, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range m.Theta { // the float32 values PyTorch would hold
		m.Theta[i] = float64(float32(v))
	}
	tp := writeTorchCheckpoint(t, dir, m)
	sp := filepath.Join(dir, "sgn.safetensors")
	if err := model.SaveCheckpoint(sp, m, model.CheckpointMeta{Pool: 4}); err != nil {
		t.Fatal(err)
	}
	args := []string{"hessian", "--mnist", mnist, "--first", "100", "--top-k", "3", "--full", "--quiet"}
	code, _, stderr := run(append(args, "--checkpoint", tp, "--out", filepath.Join(dir, "none"))...)
	if code != 2 || !strings.Contains(stderr, "--activation") || !strings.Contains(stderr, tp) {
		t.Errorf("no activation: exit %d, %q", code, stderr)
	}
	code, _, stderr = run(append(args, "--checkpoint", tp, "--activation", "swish", "--out", filepath.Join(dir, "none"))...)
	if code != 2 || !strings.Contains(stderr, "--activation") {
		t.Errorf("--activation swish: exit %d, %q", code, stderr)
	}
	var reps [2]*struct{ top, full []float64 }
	for i, c := range [][]string{{"--checkpoint", tp, "--activation", "gelu"}, {"--checkpoint", sp}} {
		out := filepath.Join(dir, fmt.Sprint("out", i))
		code, stdout, stderr := run(append(append(args, c...), "--out", out)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", c, code, stdout, stderr)
		}
		r := hessReadReport(t, out)
		if i == 0 {
			if tr := r.Config.Torch; tr == nil || !tr.WidenedFromFloat32 || tr.DType != "F32" || !slices.Equal(tr.Modules, []string{"0", "2"}) || tr.ActivationFrom != "option" || r.Config.Pool != 4 {
				t.Errorf("hessian.json config: %+v, torch %+v", r.Config, tr)
			}
		}
		reps[i] = &struct{ top, full []float64 }{r.Eigenvalues, r.Full.EigenvaluesAscending}
	}
	if !slices.Equal(reps[0].top, reps[1].top) || !slices.Equal(reps[0].full, reps[1].full) {
		t.Errorf("the state_dict's eigenvalues %v differ from the same network's in sgn's format %v", reps[0].top, reps[1].top)
	}
	// An activation other than an sgn checkpoint's own is refused.
	code, _, stderr = run(append(args, "--checkpoint", sp, "--activation", "relu", "--out", filepath.Join(dir, "none"))...)
	if code != 2 || !strings.Contains(stderr, "gelu") || !strings.Contains(stderr, "--activation relu") {
		t.Errorf("--activation relu on a gelu checkpoint: exit %d, %q", code, stderr)
	}
}

// A state_dict whose input is not an MNIST width is refused by the
// commands that read MNIST, with a message saying so.
func TestTorchCheckpointNotMNIST(t *testing.T) {
	dir := t.TempDir()
	m, err := model.New(model.Config{Layers: []int{6, 5, 3}, Activation: model.Tanh, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tp := writeTorchCheckpoint(t, dir, m)
	for _, cmd := range []string{"hessian", "noise", "minimum", "covariance", "equilibrium"} {
		code, _, stderr := run(cmd, "--checkpoint", tp, "--activation", "tanh", "--out", filepath.Join(dir, cmd), "--quiet")
		if code != 2 || !strings.Contains(stderr, "6 input features") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%s: exit %d, %q", cmd, code, stderr)
		}
	}
}

// The commands as a user runs them on the fixture written by PyTorch
// (model/testdata/torch: a float32 state_dict with its sidecar and a data
// file): covariance.json and hessian.json hold PyTorch's float64 numbers
// to a relative 1e-10.
func TestTorchFixtureCommands(t *testing.T) {
	fix := filepath.Join("..", "..", "model", "testdata", "torch")
	var ref struct {
		Loss        float64   `json:"loss"`
		Eigenvalues []float64 `json:"eigenvalues"`
		TraceH      float64   `json:"trace_h"`
		TraceSigma  float64   `json:"trace_sigma"`
		RelFrob     float64   `json:"rel_frobenius"`
		Comparison  struct {
			BatchSize int `json:"batch_size"`
			Selected  int `json:"selected"`
			Fit       struct {
				Slope float64 `json:"loglog_slope"`
				R     float64 `json:"pearson_r"`
			} `json:"fit"`
			MedianRatio  float64   `json:"median_ratio"`
			TopRatios    []float64 `json:"top_ratios"`
			OffdiagRatio float64   `json:"offdiag_ratio"`
		} `json:"comparison"`
	}
	raw, err := os.ReadFile(filepath.Join(fix, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var refs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &refs); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(refs["model_f32"], &ref); err != nil {
		t.Fatal(err)
	}
	ck, dat := filepath.Join(fix, "model_f32.safetensors"), filepath.Join(fix, "data.safetensors")
	dir := t.TempDir()
	near := func(what string, got, want float64) {
		t.Helper()
		if d := math.Abs(got - want); !(d <= 1e-10*math.Abs(want)) {
			t.Errorf("%s: sgn %.17g, PyTorch %.17g", what, got, want)
		}
	}
	code, stdout, stderr := run("covariance", "--checkpoint", ck, "--data", dat, "--batch-size", fmt.Sprint(ref.Comparison.BatchSize), "--out", filepath.Join(dir, "cvh"), "--quiet")
	if code != 0 {
		t.Fatalf("covariance: exit %d\n%s\n%s", code, stdout, stderr)
	}
	rep, err := covariance.Read(filepath.Join(dir, "cvh", covariance.FileName))
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Models.Pretrained
	if !strings.Contains(p.Source, "float32 widened to float64") || !strings.Contains(p.Source, "model_f32.safetensors.json") {
		t.Errorf("source %q does not say how the state_dict was read", p.Source)
	}
	c := p.Analysis.Comparisons[0]
	if c.Selected != ref.Comparison.Selected || p.LogLogSlope == nil || p.RelFrobenius == nil || p.Analysis.TraceH == nil {
		t.Fatalf("%d eigenvalues in the window (PyTorch %d), slope %v", c.Selected, ref.Comparison.Selected, p.LogLogSlope)
	}
	near("loss", p.Loss, ref.Loss)
	near("tr Σ", p.TraceSigma, ref.TraceSigma)
	near("tr H", *p.Analysis.TraceH, ref.TraceH)
	near("‖Σ − H‖_F/‖H‖_F", *p.RelFrobenius, ref.RelFrob)
	near("slope", *p.LogLogSlope, ref.Comparison.Fit.Slope)
	near("Pearson r", *p.PearsonR, ref.Comparison.Fit.R)
	near("median ratio", p.MedianRatio, ref.Comparison.MedianRatio)
	near("off-diagonal ratio", p.OffdiagRatio, ref.Comparison.OffdiagRatio)
	for i, r := range ref.Comparison.TopRatios {
		near(fmt.Sprintf("top ratio %d", i+1), p.TopRatios[i], r)
	}

	code, stdout, stderr = run("hessian", "--checkpoint", ck, "--data", dat, "--top-k", "5", "--full", "--out", filepath.Join(dir, "hessian"), "--quiet")
	if code != 0 {
		t.Fatalf("hessian: exit %d\n%s\n%s", code, stdout, stderr)
	}
	r := hessReadReport(t, filepath.Join(dir, "hessian"))
	near("hessian.json loss", r.Loss, ref.Loss)
	for i, l := range r.Eigenvalues {
		near(fmt.Sprintf("λ%d", i+1), l, ref.Eigenvalues[i])
	}
	if r.Trace == nil || r.Trace.Exact == nil {
		t.Fatal("hessian.json has no exact trace")
	}
	near("hessian.json tr H", *r.Trace.Exact, ref.TraceH)
}

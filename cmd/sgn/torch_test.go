package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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

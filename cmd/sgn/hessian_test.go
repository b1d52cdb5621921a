package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/hessian/analysis"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/mat"
)

// hessCheckpoint writes a 49-8-10 tanh checkpoint (P = 490) with the given
// pool in the metadata and returns its path.
func hessCheckpoint(t *testing.T, pool int) string {
	return writeCheckpoint(t, t.TempDir(), "model.safetensors", []int{49, 8, 10}, 3, pool)
}

func hessReadReport(t *testing.T, dir string) *analysis.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, analysis.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var r analysis.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", analysis.JSONFile, err)
	}
	return &r
}

// hessRelTo returns max_i |a_i − b_i| / scale.
func hessRelTo(a, b []float64, scale float64) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d / scale
}

// The whole command on a small model: Lanczos against the dense
// eigendecomposition, the assembled matrix against the R-operator, its
// symmetry and eigenpairs, Hutchinson against the exact trace, the files.
func TestHessianCommand(t *testing.T) {
	mnist := mnistOrSkip(t)
	ck := hessCheckpoint(t, 4)
	dir := filepath.Join(t.TempDir(), "new", "out")
	code, stdout, stderr := run("hessian", "--checkpoint", ck, "--mnist", mnist, "--first", "300",
		"--top-k", "5", "--bottom-k", "3", "--full", "--trace", "--density", "--save-matrix", "--out", dir, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("--quiet printed on stderr: %q", stderr)
	}
	for _, want := range []string{"P = 490", "N = 300", "top eigenvalues", "trace", dir} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{analysis.JSONFile, "density.png", "density.svg", "spectrum.png", "spectrum.svg", analysis.MatrixFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("output %s missing or empty", f)
		}
	}
	r := hessReadReport(t, dir)
	if r.NumParams != 490 || r.NumParamsModel != 490 || r.NumSamples != 300 || r.Data.First != 300 || r.Data.Pool != 4 {
		t.Errorf("num_params %d, num_params_model %d, num_samples %d, data %+v", r.NumParams, r.NumParamsModel, r.NumSamples, r.Data)
	}
	if r.Version != version || r.Configuration["top-k"] != "5" || r.Config.Pool != 4 || len(r.Config.Layers) != 3 {
		t.Errorf("version %q, configuration %v, config %+v", r.Version, r.Configuration, r.Config)
	}
	if r.Full == nil || r.Trace == nil || r.Density == nil || r.Lanczos == nil {
		t.Fatalf("sections missing: full %v trace %v density %v lanczos %v", r.Full != nil, r.Trace != nil, r.Density != nil, r.Lanczos != nil)
	}
	full := r.Full.EigenvaluesAscending
	P := len(full)
	if P != 490 {
		t.Fatalf("full decomposition has %d eigenvalues, want 490", P)
	}
	scale := math.Max(math.Abs(full[0]), math.Abs(full[P-1]))

	hessCheckLanczos(t, r, full, scale)
	H, grad := hessCheckMatrix(t, r, dir, ck, mnist, full, scale)
	hessCheckLayer(t, ck, mnist, H, grad, scale)
}

// hessCheckLanczos checks the Lanczos eigenvalues and residuals of r
// against the dense decomposition's eigenvalues full, and the assembled
// matrix's symmetry.
func hessCheckLanczos(t *testing.T, r *analysis.Report, full []float64, scale float64) {
	t.Helper()
	P := len(full)
	if len(r.Eigenvalues) != 5 || len(r.EigenvaluesSmallest) != 3 || len(r.Residuals) != 5 || len(r.ResidualsSmallest) != 3 {
		t.Fatalf("eigenvalues %v, smallest %v, residuals %v %v", r.Eigenvalues, r.EigenvaluesSmallest, r.Residuals, r.ResidualsSmallest)
	}
	top := make([]float64, 5)
	for i := range top {
		top[i] = full[P-1-i]
	}
	if e := hessRelTo(r.Eigenvalues, top, scale); e > 1e-8 {
		t.Errorf("Lanczos top-5 %v vs full %v: relative error %.3g > 1e-8", r.Eigenvalues, top, e)
	}
	if e := hessRelTo(r.EigenvaluesSmallest, full[:3], scale); e > 1e-8 {
		t.Errorf("Lanczos bottom-3 %v vs full %v: relative error %.3g > 1e-8", r.EigenvaluesSmallest, full[:3], e)
	}
	if r.Full.LanczosMaxRelErrorTop == nil || *r.Full.LanczosMaxRelErrorTop > 1e-8 || r.Full.LanczosMaxRelErrorBottom == nil {
		t.Errorf("lanczos_max_rel_error_top %v, bottom %v", r.Full.LanczosMaxRelErrorTop, r.Full.LanczosMaxRelErrorBottom)
	}
	for i, res := range append(r.Residuals, r.ResidualsSmallest...) {
		if res > 1e-6*scale {
			t.Errorf("residual %d = %.3g above tol·max|λ| = %.3g", i, res, 1e-6*scale)
		}
	}
	if r.Full.AsymmetryRelative > 1e-10 {
		t.Errorf("assembled Hessian asymmetry %.3g relative > 1e-10", r.Full.AsymmetryRelative)
	}

}

// hessCheckMatrix checks the matrix saved in dir: its columns are
// R-operator products of the checkpoint ck's Hessian, its eigenpairs
// satisfy H v = λ v with orthonormal v, its trace is the exact trace, which
// Hutchinson's estimate matches; SLQ's weights sum to 1. It returns H and
// the gradient of the loss.
func hessCheckMatrix(t *testing.T, r *analysis.Report, dir, ck, mnist string, full []float64, scale float64) (*mat.Dense, []float64) {
	t.Helper()
	P := len(full)
	ts, _, err := data.ReadSafetensors(filepath.Join(dir, analysis.MatrixFile))
	if err != nil {
		t.Fatal(err)
	}
	H := mat.NewDense(P, P, ts["hessian"].F64)
	V := mat.NewDense(P, P, ts["eigenvectors"].F64)
	vals := ts["eigenvalues"].F64
	if hessRelTo(vals, full, scale) != 0 {
		t.Error("eigenvalues in the safetensors differ from hessian.json")
	}
	m, _, err := model.LoadCheckpoint(ck)
	if err != nil {
		t.Fatal(err)
	}
	s, err := data.Load(data.Options{Dir: mnist, Split: "train", Pool: 4, First: 300})
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.NewHessian(m.Theta, model.Batch{X: s.X, Y: s.Y}, 1)
	if err != nil {
		t.Fatal(err)
	}
	e := make([]float64, P)
	col := make([]float64, P)
	hv := make([]float64, P)
	for _, j := range []int{0, 123, 391, 400, 489} {
		clear(e)
		e[j] = 1
		h.MulVec(hv, e)
		mat.Col(col, j, H)
		if d := hessRelTo(col, hv, scale); d > 1e-12 {
			t.Errorf("saved H column %d vs R-operator Hv: relative error %.3g", j, d)
		}
	}
	if math.Abs(h.Loss()-r.Loss) > 1e-12*r.Loss || math.Abs(r.GradNorm-math.Sqrt(hessDot(h.Gradient(), h.Gradient()))) > 1e-12*r.GradNorm {
		t.Errorf("loss %v and grad_norm %v do not match the model's", r.Loss, r.GradNorm)
	}
	var HV, VL, VtV mat.Dense
	HV.Mul(H, V)
	VL.Mul(V, mat.NewDiagDense(P, vals))
	HV.Sub(&HV, &VL)
	if d := mat.Norm(&HV, math.Inf(1)); d > 1e-10*scale {
		t.Errorf("‖HV − VΛ‖∞ = %.3g", d)
	}
	VtV.Mul(V.T(), V)
	for i := 0; i < P; i++ {
		VtV.Set(i, i, VtV.At(i, i)-1)
	}
	if d := mat.Norm(&VtV, math.Inf(1)); d > 1e-10 {
		t.Errorf("‖VᵀV − I‖∞ = %.3g", d)
	}
	var tr, sum float64
	for i := 0; i < P; i++ {
		tr += H.At(i, i)
		sum += vals[i]
	}
	if r.Trace.Exact == nil || math.Abs(*r.Trace.Exact-tr) > 1e-12*math.Abs(tr) || math.Abs(sum-tr) > 1e-10*scale*float64(P) {
		t.Errorf("exact trace %v, Σ H_ii %v, Σ λ %v", r.Trace.Exact, tr, sum)
	}

	// Hutchinson within 4 standard errors of the exact trace.
	if r.Trace.Estimate == nil || r.Trace.StdErr == nil || *r.Trace.StdErr <= 0 {
		t.Fatalf("trace section %+v", r.Trace)
	}
	if d := math.Abs(*r.Trace.Estimate - tr); d > 4**r.Trace.StdErr {
		t.Errorf("Hutchinson %v ± %v vs exact %v: %.2g standard errors", *r.Trace.Estimate, *r.Trace.StdErr, tr, d / *r.Trace.StdErr)
	}

	// SLQ weights sum to 1.
	var w float64
	for _, x := range r.Density.Weights {
		w += x
	}
	if math.Abs(w-1) > 1e-12 || r.Density.Sigma <= 0 {
		t.Errorf("density weights sum to %v, sigma %v", w, r.Density.Sigma)
	}

	return H, h.Gradient()
}

// hessCheckLayer runs --layer 2: the block of fc2 (8·10 + 10 = 90
// parameters) is the diagonal block of the full matrix H.
func hessCheckLayer(t *testing.T, ck, mnist string, H *mat.Dense, grad []float64, scale float64) {
	t.Helper()
	dir2 := filepath.Join(t.TempDir(), "layer")
	code, stdout, stderr := run("hessian", "--checkpoint", ck, "--mnist", mnist, "--first", "300",
		"--layer", "2", "--top-k", "2", "--full", "--out", dir2, "--quiet")
	if code != 0 {
		t.Fatalf("--layer 2: exit %d\n%s%s", code, stdout, stderr)
	}
	r2 := hessReadReport(t, dir2)
	if r2.NumParams != 90 || r2.Block != [2]int{400, 490} || r2.Layer != 2 {
		t.Fatalf("--layer 2: num_params %d, block %v, layer %d", r2.NumParams, r2.Block, r2.Layer)
	}
	var es mat.EigenSym
	blk := mat.NewSymDense(90, nil)
	for i := 0; i < 90; i++ {
		for j := i; j < 90; j++ {
			blk.SetSym(i, j, H.At(400+i, 400+j))
		}
	}
	if !es.Factorize(blk, false) {
		t.Fatal("eigendecomposition of the block failed")
	}
	want := es.Values(nil)
	if d := hessRelTo(r2.Full.EigenvaluesAscending, want, scale); d > 1e-12 {
		t.Errorf("--layer 2 full eigenvalues differ from the block of H: %.3g", d)
	}
	if d := hessRelTo(r2.Eigenvalues, []float64{want[89], want[88]}, scale); d > 1e-8 {
		t.Errorf("--layer 2 Lanczos %v vs block eigenvalues %v", r2.Eigenvalues, want[88:])
	}
	gb := grad[400:490]
	if math.Abs(r2.GradNormBlock-math.Sqrt(hessDot(gb, gb))) > 1e-12*r2.GradNormBlock {
		t.Errorf("grad_norm_block %v", r2.GradNormBlock)
	}
}

func hessDot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// --random takes the place of the default --first, and the selection and
// seeds are recorded; Lanczos alone writes the spectrum figure only.
func TestHessianRandomSelection(t *testing.T) {
	mnist := mnistOrSkip(t)
	ck := hessCheckpoint(t, 4)
	dir := t.TempDir()
	code, stdout, stderr := run("hessian", "--checkpoint", ck, "--mnist", mnist, "--random", "40", "--data-seed", "7",
		"--split", "test", "--top-k", "2", "--seed", "5", "--out", dir, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	r := hessReadReport(t, dir)
	if r.Data.Random != 40 || r.Data.First != 0 || r.Data.Seed != 7 || r.Data.Split != "test" || r.NumSamples != 40 {
		t.Errorf("data selection %+v, num_samples %d", r.Data, r.NumSamples)
	}
	if r.Seed != 5 || r.Lanczos == nil || r.Lanczos.Seed == 0 || r.Trace != nil || r.Full != nil || r.Density != nil {
		t.Errorf("seed %d, lanczos %+v, trace %v, full %v, density %v", r.Seed, r.Lanczos, r.Trace, r.Full, r.Density)
	}
	if len(r.Eigenvalues) != 2 || !(r.Eigenvalues[0] >= r.Eigenvalues[1]) {
		t.Errorf("eigenvalues %v: want 2, descending", r.Eigenvalues)
	}
	if _, err := os.Stat(filepath.Join(dir, "spectrum.png")); err != nil {
		t.Error("spectrum.png missing")
	}
	if _, err := os.Stat(filepath.Join(dir, "density.png")); err == nil {
		t.Error("density.png written without --density")
	}
}

// Bad input: exit 2 for the command line, 1 for files, with a one-line
// message naming the flag or the file.
func TestHessianBadInput(t *testing.T) {
	mnist := mnistOrSkip(t)
	ck := hessCheckpoint(t, 4)
	pool2 := hessCheckpoint(t, 2)
	missing := filepath.Join(t.TempDir(), "nope.safetensors")
	out := t.TempDir()
	base := []string{"hessian", "--mnist", mnist, "--first", "50", "--out", out, "--quiet"}
	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no checkpoint", nil, 2, []string{"--checkpoint"}},
		{"k > P", []string{"--checkpoint", ck, "--top-k", "491"}, 2, []string{"--top-k 491", "490"}},
		{"bottom k > P", []string{"--checkpoint", ck, "--bottom-k", "1000"}, 2, []string{"--bottom-k 1000", "490"}},
		{"k > block", []string{"--checkpoint", ck, "--layer", "2", "--top-k", "91"}, 2, []string{"--top-k 91", "90", "layer 2"}},
		{"split", []string{"--checkpoint", ck, "--split", "validation"}, 2, []string{"validation", "train", "test"}},
		{"layer 0", []string{"--checkpoint", ck, "--layer", "0"}, 2, []string{"--layer 0"}},
		{"layer > L", []string{"--checkpoint", ck, "--layer", "3"}, 2, []string{"--layer 3", "2 layers"}},
		{"negative k", []string{"--checkpoint", ck, "--top-k", "-1"}, 2, []string{"--top-k -1"}},
		{"save without full", []string{"--checkpoint", ck, "--save-matrix"}, 2, []string{"--save-matrix", "--full"}},
		{"vectors without Lanczos", []string{"--checkpoint", ck, "--top-k", "0", "--trace", "--save-vectors"}, 2, []string{"--save-vectors needs --top-k or --bottom-k"}},
		{"bad memory", []string{"--checkpoint", ck, "--full", "--max-memory", "lots"}, 2, []string{"--max-memory"}},
		{"first and random", []string{"--checkpoint", ck, "--random", "10"}, 2, []string{"first 50", "random 10"}},
		{"no checkpoint file", []string{"--checkpoint", missing}, 1, []string{missing}},
		{"pool mismatch", []string{"--checkpoint", pool2}, 1, []string{pool2, "pool 2", "49"}},
		// 2 × 490² × 8 bytes = 3,841,600 bytes: H and the eigensolver's copy.
		{"full too large", []string{"--checkpoint", ck, "--full", "--max-memory", "1MiB"}, 2, []string{"--full", "3841600 bytes", "--max-memory"}},
	}
	for _, c := range cases {
		code, stdout, stderr := run(append(base, c.args...)...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", c.name, code, c.code, stderr)
			continue
		}
		if stdout != "" {
			t.Errorf("%s: printed on stdout: %q", c.name, stdout)
		}
		if strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: message is not one line: %q", c.name, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: message %q does not name %q", c.name, stderr, w)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(out, analysis.JSONFile)); err == nil {
		t.Error("a refused run wrote hessian.json")
	}
}

// Same seed, same numbers, bit for bit, whatever --workers is.
func TestHessianWorkersBitIdentical(t *testing.T) {
	mnist := mnistOrSkip(t)
	ck := hessCheckpoint(t, 4)
	var reps []*analysis.Report
	for _, w := range []string{"1", "3"} {
		dir := t.TempDir()
		code, _, stderr := run("hessian", "--checkpoint", ck, "--mnist", mnist, "--first", "300", "--top-k", "4",
			"--bottom-k", "2", "--full", "--trace", "--trace-max", "40", "--density", "--workers", w, "--out", dir, "--quiet")
		if code != 0 {
			t.Fatalf("--workers %s: exit %d: %s", w, code, stderr)
		}
		reps = append(reps, hessReadReport(t, dir))
	}
	a, b := reps[0], reps[1]
	same := func(what string, x, y []float64) {
		if len(x) != len(y) || len(x) == 0 {
			t.Errorf("%s: lengths %d and %d", what, len(x), len(y))
			return
		}
		for i := range x {
			if x[i] != y[i] {
				t.Errorf("%s[%d]: %v with 1 worker, %v with 3", what, i, x[i], y[i])
				return
			}
		}
	}
	same("eigenvalues", a.Eigenvalues, b.Eigenvalues)
	same("eigenvalues_smallest", a.EigenvaluesSmallest, b.EigenvaluesSmallest)
	same("full eigenvalues", a.Full.EigenvaluesAscending, b.Full.EigenvaluesAscending)
	same("trace", []float64{*a.Trace.Estimate, *a.Trace.StdErr}, []float64{*b.Trace.Estimate, *b.Trace.StdErr})
	same("loss and gradient norm", []float64{a.Loss, a.GradNorm}, []float64{b.Loss, b.GradNorm})
}

// TestHessianRefusesBuffersAboveMaxMemory: the Lanczos basis (--max-iterations
// vectors of length P) and the SLQ basis are estimated
// before anything is allocated: past --max-memory, a usage error naming the
// stage and what to lower.
func TestHessianRefusesBuffersAboveMaxMemory(t *testing.T) {
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 16, 16, 10}, 1, 4)
	usageErrors(t, func(args []string) []string {
		return append([]string{"hessian", "--checkpoint", ck, "--first", "100", "--out", filepath.Join(base, "h"), "--quiet"}, args...)
	}, []refusal{
		// 1,242 Lanczos vectors of 1,242 values: 12 MiB.
		{[]string{"--top-k", "200", "--max-iterations", "1242", "--max-memory", "8MiB"}, []string{"most for lanczos", "--max-iterations", "--max-memory 8.0 MiB"}},
		{[]string{"--top-k", "0", "--density", "--slq-steps", "1242", "--max-memory", "8MiB"}, []string{"most for density", "--slq-steps"}},
	})
}

package covariance_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sgn-project/sgn/covariance"
	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/model"
)

// torchDir holds the fixture written by PyTorch (make.py beside it): a
// 6-5-4-3 gelu nn.Sequential as a plain state_dict in float64 and float32,
// a data file and PyTorch's float64 numbers for both models.
var torchDir = filepath.Join("..", "model", "testdata", "torch")

// torchFit is the log–log fit as make.py writes it.
type torchFit struct {
	Slope     float64 `json:"loglog_slope"`
	Intercept float64 `json:"loglog_intercept"`
	R         float64 `json:"pearson_r"`
	N         float64 `json:"fit_points"`
	StdErr    float64 `json:"slope_stderr"`
	Decades   float64 `json:"fit_decades"`
}

// torchReference is one model's entry of reference.json.
type torchReference struct {
	Loss, Accuracy float64
	GradNorm       float64 `json:"grad_norm"`
	Gradient       []float64
	Eigenvalues    []float64 // descending
	TraceH         float64   `json:"trace_h"`
	TraceSigma     float64   `json:"trace_sigma"`
	TraceFIM       float64   `json:"trace_fim"`
	BSimple        float64   `json:"b_simple"`
	RelFrobenius   float64   `json:"rel_frobenius"`
	Eigen          struct {
		LambdaMax float64 `json:"lambda_max"`
		LambdaMin float64 `json:"lambda_min"`
		Negative  int     `json:"negative"`
		InWindow  int     `json:"in_window"`
		Analysed  int     `json:"analysed"`
	}
	Comparison struct {
		BatchSize       int       `json:"batch_size"`
		Selected        int       `json:"selected"`
		NonPositive     int       `json:"nonpositive_c"`
		Fit             torchFit  `json:"fit"`
		MedianRatio     float64   `json:"median_ratio"`
		MedianRatioFIM  float64   `json:"median_ratio_fim"`
		TopLambdas      []float64 `json:"top_lambdas"`
		TopRatios       []float64 `json:"top_ratios"`
		OffdiagRatio    float64   `json:"offdiag_ratio"`
		OffdiagMeanCorr float64   `json:"offdiag_mean_corr"`
		PointsLambda    []float64 `json:"points_lambda"`
		PointsC         []float64 `json:"points_c"`
	}
}

// torchTol is the agreement asked of every number: relative 1e-10 (sgn and
// PyTorch both compute in float64; they agree to about 1e-13).
const torchTol = 1e-10

// TestTorchFixture loads the PyTorch state_dicts of the fixture (float64
// with keys 0.weight, …; float32 with keys fc1.weight, …; the activation
// from their sidecars) and checks sgn's loss, gradient, Hessian
// eigenvalues, trace and the comparison of C = Σ/B with H/B (Xie, Sato &
// Sugiyama 2021) against PyTorch's float64 numbers to 1e-10.
func TestTorchFixture(t *testing.T) {
	model.UseBLAS()
	raw, err := os.ReadFile(filepath.Join(torchDir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var refs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &refs); err != nil {
		t.Fatal(err)
	}
	ts, _, err := data.ReadSafetensors(filepath.Join(torchDir, "data.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	b := model.Batch{X: ts["x"].F64}
	for _, y := range ts["y"].I64 {
		b.Y = append(b.Y, int(y))
	}
	for _, name := range []string{"model_f64", "model_f32"} {
		t.Run(name, func(t *testing.T) {
			var ref torchReference
			if err := json.Unmarshal(refs[name], &ref); err != nil {
				t.Fatal(err)
			}
			m, meta, _, err := model.LoadCheckpointOptions(filepath.Join(torchDir, name+".safetensors"), model.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			widened := name == "model_f32"
			if !slices.Equal(m.Layers, []int{6, 5, 4, 3}) || m.Activation != model.GELU || meta.Torch == nil ||
				meta.Torch.WidenedFromFloat32 != widened || meta.Pool != 0 {
				t.Fatalf("loaded layers %v, activation %s, pool %d, torch %+v", m.Layers, m.Activation, meta.Pool, meta.Torch)
			}
			tc := torchCheck{t}
			tc.lossAndHessian(m, b, ref)
			a, err := covariance.Analyze(m, b, covariance.Options{BatchSizes: []int{ref.Comparison.BatchSize}, Mode: covariance.ModeFull, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			tc.analysis(a, ref)
			tc.comparison(a, ref)
		})
	}
}

// torchCheck compares sgn's numbers with PyTorch's to torchTol.
type torchCheck struct{ t *testing.T }

// near checks one number, relative to PyTorch's.
func (tc torchCheck) near(what string, got, want float64) {
	tc.t.Helper()
	if d := math.Abs(got - want); !(d <= torchTol*math.Abs(want)) {
		tc.t.Errorf("%s: sgn %.17g, PyTorch %.17g (relative difference %.2g)", what, got, want, d/math.Abs(want))
	}
}

// nearVec checks a vector entry by entry, relative to its largest entry.
func (tc torchCheck) nearVec(what string, got, want []float64) {
	tc.t.Helper()
	if len(got) != len(want) {
		tc.t.Fatalf("%s: sgn has %d entries, PyTorch %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); !(d <= torchTol*scale) {
			tc.t.Errorf("%s[%d]: sgn %.17g, PyTorch %.17g (difference %.2g of the largest %.3g)", what, i, got[i], want[i], d, scale)
		}
	}
}

// lossAndHessian checks the loss and gradient of m on b and the
// eigenvalues and trace of its dense Hessian.
func (tc torchCheck) lossAndHessian(m *model.MLP, b model.Batch, ref torchReference) {
	t := tc.t
	grad := make([]float64, m.NumParams())
	loss, err := m.LossGrad(m.NewWorkspace(b.N()), m.Theta, b, grad)
	if err != nil {
		t.Fatal(err)
	}
	tc.near("loss", loss, ref.Loss)
	tc.nearVec("gradient", grad, ref.Gradient)

	h, err := m.NewHessian(m.Theta, b, 1)
	if err != nil {
		t.Fatal(err)
	}
	H, _, err := hessian.Full(h, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	eig, err := hessian.Decompose(H, false)
	if err != nil {
		t.Fatal(err)
	}
	top := eig.Top(10)
	for i, l := range top {
		tc.near("eigenvalue "+string(rune('1'+i)), l, ref.Eigenvalues[i])
	}
	desc := slices.Clone(eig.Values)
	slices.Reverse(desc)
	tc.nearVec("eigenvalues", desc, ref.Eigenvalues)
	tc.near("tr H", eig.Trace, ref.TraceH)
}

// analysis checks the analysis' scalars and its eigenvalue counts.
func (tc torchCheck) analysis(a *covariance.Analysis, ref torchReference) {
	t := tc.t
	tc.near("analysis loss", a.Loss, ref.Loss)
	tc.near("accuracy", a.Accuracy, ref.Accuracy)
	tc.near("‖ḡ‖", a.GradNorm, ref.GradNorm)
	tc.near("tr Σ", a.TraceSigma, ref.TraceSigma)
	tc.near("tr FIM", a.TraceFIM, ref.TraceFIM)
	tc.near("analysis tr H", *a.TraceH, ref.TraceH)
	tc.near("B_simple", *a.BSimple, ref.BSimple)
	tc.near("‖Σ − H‖_F/‖H‖_F", *a.RelFrobenius, ref.RelFrobenius)
	tc.near("λmax", a.Eigen.LambdaMax, ref.Eigen.LambdaMax)
	tc.near("λmin", a.Eigen.LambdaMin+ref.Eigen.LambdaMax, ref.Eigen.LambdaMin+ref.Eigen.LambdaMax)
	if e := a.Eigen; e.InWindow != ref.Eigen.InWindow || e.Analysed != ref.Eigen.Analysed {
		t.Errorf("eigen: sgn %d in the window, %d analysed; PyTorch %d, %d", e.InWindow, e.Analysed, ref.Eigen.InWindow, ref.Eigen.Analysed)
	}
	// The sign of an eigenvalue within rounding of 0 (|λ| ≤ 1e-10·λmax)
	// is not determined: the negative count may differ by those.
	neg, zero := 0, 0
	for _, l := range ref.Eigenvalues {
		switch {
		case math.Abs(l) <= torchTol*ref.Eigen.LambdaMax:
			zero++
		case l < 0:
			neg++
		}
	}
	if e := a.Eigen.Negative; e < neg || e > neg+zero {
		t.Errorf("sgn counts %d negative eigenvalues; PyTorch %d, and %d within rounding of 0", e, neg, zero)
	}
}

// comparison checks the comparison of C = Σ/B with H/B: the selection,
// the log–log fit, the ratios and the points.
func (tc torchCheck) comparison(a *covariance.Analysis, ref torchReference) {
	rc, c := ref.Comparison, a.Comparisons[0]
	if c.Selected != rc.Selected || c.NonPositive != rc.NonPositive || c.Fit == nil {
		tc.t.Fatalf("comparison: sgn %d selected, %d with c ≤ 0, fit %v; PyTorch %d, %d", c.Selected, c.NonPositive, c.Fit, rc.Selected, rc.NonPositive)
	}
	tc.near("log–log slope", c.Fit.Slope, rc.Fit.Slope)
	tc.near("log–log intercept", c.Fit.Intercept, rc.Fit.Intercept)
	tc.near("Pearson r", c.Fit.R, rc.Fit.R)
	tc.near("slope standard error", c.Fit.SlopeStdErr, rc.Fit.StdErr)
	tc.near("fit decades", c.Fit.Decades, rc.Fit.Decades)
	tc.near("median ratio", c.MedianRatio, rc.MedianRatio)
	tc.near("median ratio (FIM)", *c.MedianRatioFIM, rc.MedianRatioFIM)
	tc.nearVec("top λ", c.TopLambdas, rc.TopLambdas)
	for i := range rc.TopRatios {
		tc.near("top ratio "+string(rune('1'+i)), c.TopRatios[i], rc.TopRatios[i])
	}
	tc.near("off-diagonal ratio", c.OffdiagRatio, rc.OffdiagRatio)
	tc.near("off-diagonal mean correlation", c.OffdiagMeanCorr, rc.OffdiagMeanCorr)
	var px, py []float64
	for _, i := range c.Index {
		px, py = append(px, a.Lambda[i]), append(py, a.Sigma.At(i, i)/float64(c.BatchSize))
	}
	for i := range rc.PointsLambda {
		tc.near("point λ", px[i], rc.PointsLambda[i])
		tc.near("point c", py[i], rc.PointsC[i])
	}
}

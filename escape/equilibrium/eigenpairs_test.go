package equilibrium

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestTopEigenpairs: on a quadratic landscape whose Hessian A = Q diag(λ) Qᵀ
// has known eigenvalues, the top-k pairs are those eigenvalues, descending,
// with orthonormal vectors satisfying Au = λu.
func TestTopEigenpairs(t *testing.T) {
	eig := []float64{0.3, 5, 0.01, 2, 1, 0.7, 0.05, 3}
	q := newQuadratic(t, eig, 16, 3)
	const k = 4
	U, lam, err := TopEigenpairs(q, make([]float64, len(eig)), k, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{5, 3, 2, 1}
	if r, c := U.Dims(); r != len(eig) || c != k || len(lam) != k {
		t.Fatalf("U %d×%d, %d eigenvalues; want %d×%d, %d", r, c, len(lam), len(eig), k, k)
	}
	for i := range k {
		if math.Abs(lam[i]-want[i]) > 1e-12 {
			t.Errorf("λ%d = %v, want %v", i+1, lam[i], want[i])
		}
		u := U.ColView(i)
		var Au mat.VecDense
		Au.MulVec(q.A, u)
		Au.AddScaledVec(&Au, -lam[i], u)
		if r := mat.Norm(&Au, 2); r > 1e-12 {
			t.Errorf("‖Au − λu‖ = %v for λ%d", r, i+1)
		}
		for j := range i + 1 {
			d := mat.Dot(u, U.ColView(j))
			if w := map[bool]float64{true: 1, false: 0}[i == j]; math.Abs(d-w) > 1e-12 {
				t.Errorf("u%d·u%d = %v, want %v", i+1, j+1, d, w)
			}
		}
	}
	for _, bad := range []int{0, len(eig) + 1} {
		if _, _, err := TopEigenpairs(q, make([]float64, len(eig)), bad, nil); err == nil {
			t.Errorf("top-k %d of %d parameters: no error", bad, len(eig))
		}
	}
}

package analysis

import (
	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// Names of the output files inside the output folder.
const (
	JSONFile    = "hessian.json"
	MatrixFile  = "hessian.safetensors"
	DensityBase = "density"
	// DensityCSV holds the curve of density.png: columns lambda and
	// density, the Gaussian-smoothed SLQ density on its grid.
	DensityCSV   = "density.csv"
	SpectrumBase = "spectrum"
	// VectorsFile holds the Lanczos eigenvectors (Options.SaveVectors).
	VectorsFile = "eigenvectors.safetensors"
)

// Report is hessian.json. Eigenvalues are of H, the Hessian of the mean
// cross-entropy over the selected samples at the checkpoint's θ (or of its
// diagonal block for a layer).
type Report struct {
	Version    string               `json:"version"`
	Checkpoint string               `json:"checkpoint"`
	Config     model.CheckpointMeta `json:"config"`
	Data       data.Selection       `json:"data"`
	// NumParams is the dimension of the operator analysed: P, or the size of
	// the layer's block. NumParamsModel is P.
	NumParams      int `json:"num_params"`
	NumParamsModel int `json:"num_params_model"`
	NumSamples     int `json:"num_samples"`
	// Layer is the 1-based layer (0: the whole network) and Block its range
	// [begin, end) in θ.
	Layer int    `json:"layer"`
	Block [2]int `json:"block"`
	// Loss is the mean cross-entropy at θ; GradNorm the Euclidean norm of
	// its gradient over all P parameters, GradNormBlock over the block.
	Loss          float64 `json:"loss"`
	GradNorm      float64 `json:"grad_norm"`
	GradNormBlock float64 `json:"grad_norm_block"`
	// Eigenvalues are the top-k eigenvalues by Lanczos, descending;
	// EigenvaluesSmallest the bottom-k, ascending. Residuals and
	// ResidualsSmallest are ‖Hv − λv‖ of each pair (‖v‖ = 1).
	Eigenvalues         []float64 `json:"eigenvalues"`
	EigenvaluesSmallest []float64 `json:"eigenvalues_smallest"`
	Residuals           []float64 `json:"residuals"`
	ResidualsSmallest   []float64 `json:"residuals_smallest"`
	Lanczos             *Lanczos  `json:"lanczos,omitempty"`
	Trace               *Trace    `json:"trace,omitempty"`
	Density             *Density  `json:"density,omitempty"`
	Full                *Full     `json:"full,omitempty"`
	// Timings are the wall-clock seconds of each stage.
	Timings map[string]float64 `json:"timings"`
	// Seed is Options.Seed; the stages draw from seeds derived from it
	// (seed.Stream), recorded in their sections.
	Seed uint64 `json:"seed"`
	// Configuration holds the caller's settings as given or defaulted (the
	// command's flags).
	Configuration map[string]string `json:"configuration"`
	Files         []string          `json:"files"`
	// Pending names the stages asked for that have not run: a run writes
	// hessian.json after each stage, so a later stage that fails leaves
	// the earlier ones saved. Empty in a finished run.
	Pending []string `json:"pending,omitempty"`
	// dir is the folder the files are in (Options.OutDir).
	dir string
}

// Lanczos describes the Lanczos run.
type Lanczos struct {
	Iterations int     `json:"iterations"`
	Converged  bool    `json:"converged"`
	Tol        float64 `json:"tol"`
	MaxIter    int     `json:"max_iter"`
	Seed       uint64  `json:"seed"`
}

// Trace is the trace of H: the Hutchinson estimate and its standard error,
// and the exact trace Σ H_ii with the dense decomposition. Converged says
// whether Hutchinson's sampling reached its relative tolerance Tol
// (StdErr ≤ Tol·|Estimate|) or stopped at its probe cap short of it;
// RelStdErr is the relative standard error reached, StdErr/|Estimate|.
type Trace struct {
	Estimate  *float64 `json:"estimate"`
	StdErr    *float64 `json:"stderr"`
	RelStdErr *float64 `json:"rel_stderr,omitempty"`
	Samples   int      `json:"samples,omitempty"`
	Tol       float64  `json:"tol,omitempty"`
	Converged *bool    `json:"converged,omitempty"`
	Seed      uint64   `json:"seed,omitempty"`
	Exact     *float64 `json:"exact"`
}

// Density is the SLQ spectral density: Gauss quadrature nodes and weights
// of all runs (weights sum to 1) and the Gaussian width of the figure.
type Density struct {
	Runs    int       `json:"runs"`
	Steps   int       `json:"steps"`
	Sigma   float64   `json:"sigma"`
	Seed    uint64    `json:"seed"`
	Nodes   []float64 `json:"nodes"`
	Weights []float64 `json:"weights"`
}

// Full is the dense eigendecomposition of the assembled matrix.
type Full struct {
	// EigenvaluesAscending holds all eigenvalues in ascending order (the
	// order of the columns of "eigenvectors" in hessian.safetensors).
	EigenvaluesAscending []float64 `json:"eigenvalues_ascending"`
	// Top (descending) and Bottom (ascending) repeat the extreme ones, as
	// many as TopK and BottomK.
	Top    []float64 `json:"top"`
	Bottom []float64 `json:"bottom"`
	// Trace is Σ H_ii.
	Trace float64 `json:"trace"`
	// Asymmetry is max |H_ij − H_ji| of the assembled columns before
	// symmetrisation; AsymmetryRelative divides it by max |H_ij|.
	Asymmetry         float64 `json:"asymmetry"`
	AsymmetryRelative float64 `json:"asymmetry_relative"`
	// LanczosMaxRelError* compare Lanczos with the dense decomposition:
	// max_i |λ_i(Lanczos) − λ_i(full)| / max_j |λ_j(full)|.
	LanczosMaxRelErrorTop    *float64 `json:"lanczos_max_rel_error_top,omitempty"`
	LanczosMaxRelErrorBottom *float64 `json:"lanczos_max_rel_error_bottom,omitempty"`
	// Bytes is the memory the assembly and decomposition needed.
	Bytes int64 `json:"bytes"`
}

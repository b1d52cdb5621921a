package equilibrium

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"

	"github.com/sgn-project/sgn/model"
)

// Defaults of Settings (the zero value of a field means its default).
const (
	DefaultEta             = 0.1
	DefaultBatchSize       = 64
	DefaultSteps           = 20000
	DefaultEvery           = 10
	DefaultTopK            = 40
	DefaultBulk            = 40
	DefaultBatches         = 20
	DefaultMinRelaxations  = 50
	DefaultBurnRelaxations = 3
	// DefaultSnapshots is the number of points along each chain where the
	// local curvature λᵢ(t) and noise cᵢ(t) are measured.
	DefaultSnapshots = 10
	// lossPoints is about the number of full-batch losses recorded along
	// each chain for the stationarity gate.
	lossPoints = 200
	// FullMaxParams is the largest P for which the Hessian is assembled and
	// fully decomposed (then bulk directions can be sampled); above it the
	// top-k come from Lanczos.
	FullMaxParams = 3000
	// MaxSteps bounds the steps of a chain, burn-in included, and those of
	// the descent: 2⁵² steps, so that every step count and time is exact
	// in float64 and their sums cannot overflow.
	MaxSteps = 1 << 52
)

// DefaultDescend is the default Settings.Descend from a checkpoint that is
// not a minimum written by train/minimum (CheckpointDefaults): a
// checkpoint trained on other samples (the figure preset: all 60,000) is
// far from a minimum of the loss on the N analysed; 20,000 steps of
// η = 0.1 take the figure model's ‖∇L‖ on the first 2,000 from 0.26 to
// 0.003.
const DefaultDescend = 20000

// CheckpointDefaults returns the weight decay λ of the loss CE + (λ/2)‖θ‖²
// the dynamics follow (Job.Decay) and the Descend steps of a measurement
// from a checkpoint with metadata meta, each the value given unless nil. A
// checkpoint that records a positive weight decay (train/minimum writes
// it) is a minimum of that loss: by default the same λ and no descent.
// Any other checkpoint: by default λ = 0 and DefaultDescend steps.
func CheckpointDefaults(meta model.CheckpointMeta, decay *float64, descend *int) (float64, int) {
	d, steps := 0.0, DefaultDescend
	if w, ok := meta.Metrics["weight_decay"]; ok && w > 0 {
		d, steps = w, 0
	}
	if decay != nil {
		d = *decay
	}
	if descend != nil {
		steps = *descend
	}
	return d, steps
}

// Centers of the displacement (Settings.Center).
const (
	CenterTheta0 = "theta0"
	CenterGD     = "gd"
)

// Settings configure Measure. JSON names are those of equilibrium.json.
type Settings struct {
	// Eta is the step size η of both dynamics.
	Eta float64 `json:"eta"`
	// BatchSize is SGD's B (minibatches drawn with replacement) and the B of
	// C = Σ/B.
	BatchSize int `json:"batch_size"`
	// Steps is T, the number of steps sampled after the burn-in.
	Steps int `json:"steps"`
	// BurnIn is the number of steps before sampling; 0 means Steps/10.
	BurnIn int `json:"burn_in"`
	// Every is m: θ is sampled every m steps.
	Every int `json:"every"`
	// TopK is the number of top eigendirections (the k of the
	// low-dimensional fraction runs 1 … TopK).
	TopK int `json:"top_k"`
	// Bulk is the number of further eigendirections drawn at random (seeded)
	// from the rest of the spectrum when the Hessian is fully decomposed;
	// negative means none.
	Bulk int `json:"bulk"`
	// D is SGLD's diffusion; 0 means η·tr C/(2P) (same noise power per step
	// as SGD).
	D float64 `json:"sgld_d"`
	// Batches is the number of batch means of every interval.
	Batches int `json:"batches"`
	// MinRelaxations and BurnRelaxations: a direction is equilibrated when
	// the sampled steps span MinRelaxations and the burn-in BurnRelaxations
	// relaxation times 1/(ηλᵢ).
	MinRelaxations  float64 `json:"min_relaxations"`
	BurnRelaxations float64 `json:"burn_relaxations"`
	// Descend is a number of full-batch gradient-descent steps of size η
	// taken from the given θ to bring it nearer a minimum of L before
	// anything is measured; θ₀ is where they end (0: measure at the given
	// θ).
	Descend int `json:"descend"`
	// Center is what the displacement is measured from: CenterGD
	// (θ − θ_GD(t), θ_GD the noise-free full-batch gradient descent from
	// θ₀, computed once before the chains and shared by both: the
	// noise-driven displacement, the default) or CenterTheta0 (θ − θ₀).
	Center string `json:"center"`
	// Snapshots is the number of points along each chain (evenly spaced
	// over the sampled steps) where λᵢ(t) = uᵢᵀH(θ_t)uᵢ and cᵢ(t) =
	// uᵢᵀC(θ_t)uᵢ are measured for the quasi-static prediction.
	Snapshots int `json:"snapshots"`
	// Seed seeds everything random (minibatches, SGLD noise, the bulk
	// sample, Lanczos' start vector) through independent streams.
	Seed uint64 `json:"seed"`
	// Workers is the number of goroutines: the two chains run concurrently
	// when it is at least 2; Hessian and per-sample passes use it too.
	// Results do not depend on it.
	Workers int `json:"-"`
}

// SizedFor returns s with the batch size, the top eigendirections and the
// bulk, where left at their default (zero), set to defaults that fit a
// network of P parameters on N samples: B at most a quarter of the samples,
// k at most P, the bulk at most the P − k directions beyond the top (none
// when there are none), so that the measurement of Xie, Sato & Sugiyama
// (2021, Sec. 3) runs on small data and small networks as given.
func (s Settings) SizedFor(P, N int) Settings {
	s.BatchSize = cmp.Or(s.BatchSize, min(DefaultBatchSize, max(1, N/4)))
	s.TopK = cmp.Or(s.TopK, min(DefaultTopK, max(1, P)))
	if s.Bulk == 0 {
		s.Bulk = min(DefaultBulk, P-s.TopK)
		if s.Bulk <= 0 {
			s.Bulk = -1
		}
	}
	return s
}

// Normalized returns s with the defaults filled in.
func (s Settings) Normalized() Settings {
	s.Eta = cmp.Or(s.Eta, DefaultEta)
	s.BatchSize = cmp.Or(s.BatchSize, DefaultBatchSize)
	s.Steps = cmp.Or(s.Steps, DefaultSteps)
	s.BurnIn = cmp.Or(s.BurnIn, s.Steps/10)
	s.Every = cmp.Or(s.Every, DefaultEvery)
	s.TopK = cmp.Or(s.TopK, DefaultTopK)
	s.Bulk = cmp.Or(s.Bulk, DefaultBulk)
	if s.Bulk < 0 {
		s.Bulk = 0
	}
	s.Batches = cmp.Or(s.Batches, DefaultBatches)
	s.MinRelaxations = cmp.Or(s.MinRelaxations, DefaultMinRelaxations)
	s.BurnRelaxations = cmp.Or(s.BurnRelaxations, DefaultBurnRelaxations)
	s.Center = cmp.Or(s.Center, CenterGD)
	s.Snapshots = cmp.Or(s.Snapshots, DefaultSnapshots)
	if s.Workers < 1 {
		s.Workers = 1
	}
	return s
}

// Validate checks normalized settings against an objective of P parameters
// and N samples; errors name the setting as the command-line flag does.
func (s Settings) Validate(P, N int) error {
	pos := func(x float64) bool { return x > 0 && !math.IsInf(x, 0) }
	switch {
	case !pos(s.Eta):
		return fmt.Errorf("eta %v: want a positive number", s.Eta)
	case s.BatchSize < 1 || s.BatchSize > N:
		return fmt.Errorf("batch-size %d: want 1..%d (the number of samples)", s.BatchSize, N)
	case s.Steps < 1 || s.Steps > MaxSteps:
		return fmt.Errorf("steps %d: want 1..%d", s.Steps, MaxSteps)
	case s.Descend < 0 || s.Descend > MaxSteps:
		return fmt.Errorf("descend %d: want 0..%d", s.Descend, MaxSteps)
	case s.BurnIn < 0 || s.BurnIn > MaxSteps-s.Steps:
		return fmt.Errorf("burn-in %d: want 0..%d (with --steps %d, at most %d steps in all)", s.BurnIn, MaxSteps-s.Steps, s.Steps, MaxSteps)
	case s.Every < 1:
		return fmt.Errorf("every %d: want a positive number", s.Every)
	case s.Steps/s.Every < s.Batches:
		return fmt.Errorf("steps %d / --every %d gives %d samples, fewer than the %d batches of the intervals", s.Steps, s.Every, s.Steps/s.Every, s.Batches)
	case s.TopK < 1 || s.TopK > P:
		return fmt.Errorf("top-k %d: want 1..%d (the number of parameters)", s.TopK, P)
	case P <= FullMaxParams && s.TopK < P && s.Bulk > P-s.TopK:
		return fmt.Errorf("bulk %d: want 0..%d (the eigendirections beyond --top-k %d of P = %d; -1 for none)", s.Bulk, P-s.TopK, s.TopK, P)
	case s.D < 0 || math.IsNaN(s.D) || math.IsInf(s.D, 0):
		return fmt.Errorf("temperature %v: want a positive number (0 for η·tr C/(2P))", s.D)
	case s.Snapshots < 1 || s.Snapshots > s.Steps:
		return fmt.Errorf("snapshots %d: want 1..%d (the steps)", s.Snapshots, s.Steps)
	case s.Center != CenterTheta0 && s.Center != CenterGD:
		return fmt.Errorf("center %q: want %s or %s", s.Center, CenterTheta0, CenterGD)
	case s.Batches < 2:
		return fmt.Errorf("batches %d: want at least 2", s.Batches)
	case !pos(s.MinRelaxations) || !pos(s.BurnRelaxations):
		return fmt.Errorf("relaxation thresholds %v and %v: want positive numbers", s.MinRelaxations, s.BurnRelaxations)
	}
	return nil
}

// Number is a float64 written to JSON as null when it is NaN or infinite
// (a prediction that does not apply, e.g. for λ ≤ 0), and read back as NaN.
type Number float64

// MarshalJSON writes null for NaN and ±Inf.
func (x Number) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads null as NaN.
func (x *Number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = Number(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*x = Number(f)
	return nil
}

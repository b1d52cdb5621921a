package report

import "fmt"

// Claim is one claim of Xie, Sato & Sugiyama (ICLR 2021), or of a paper
// it answers (Simsekli et al. 2019), with what sgn measured and the
// verdict. The experiment package that owns the measurement builds it
// from its own typed output (its Claims function); this package only
// checks it against the rules of Judge and lays it out.
type Claim struct {
	// ID is a short stable identifier, e.g. "cvh-minimum"; unique on a page.
	ID string `json:"id"`
	// Conclusion is the row of the page the claim belongs to.
	Conclusion Conclusion `json:"conclusion"`
	// Statement is the claim in the paper's words, phrased so that
	// "agrees" means the paper is borne out.
	Statement string `json:"statement"`
	// At names the point or setting the claim was judged at, e.g. "the
	// minimum (minimum.safetensors)" or "the trained checkpoint".
	At string `json:"at,omitempty"`
	// Verdict is decided by Judge from Regime and Effects (or is
	// Inconclusive for want of a measurement).
	Verdict Verdict `json:"verdict"`
	// Reason says, when the verdict is NotTestable, which regime check
	// failed, with its numbers, and the setting that would reach the
	// regime.
	Reason string `json:"reason,omitempty"`
	// Regime holds the measured checks of the regime the theory assumes.
	Regime []RegimeCheck `json:"regime"`
	// Effects are the effect sizes compared with the prediction.
	Effects []Effect `json:"effects"`
	// Details are further numbers shown beside the claim (not judged).
	Details []Quantity `json:"details,omitempty"`
	// Rule states in words how the verdict follows from the numbers.
	Rule string `json:"rule"`
	// Finding says in one or two sentences what was found.
	Finding string `json:"finding"`
	// Figure is the path of an SVG figure drawn for the claim, "" if none.
	Figure string `json:"figure,omitempty"`
	// Sources are the files the claim was judged from, with their
	// provenance.
	Sources []Source `json:"sources"`
	// Produce is the command that writes the missing input, when the claim
	// could not be measured for want of a file.
	Produce string `json:"produce,omitempty"`
}

// Judge sets c's verdict (and its effects' verdicts and the reason) by the
// package-level Judge.
func (c *Claim) Judge() { c.Verdict, c.Reason = Judge(c.Regime, c.Effects) }

// Source is one file a claim was judged from, with what the file records
// of how it was made. Numbers are copied from the typed file as they are
// (seeds are uint64: never through float64). WallSeconds and CPUSeconds
// are what the command that wrote the file cost: its wall time and its
// process CPU time (user + system, all threads), 0 when not recorded.
type Source struct {
	Path        string            `json:"path"`
	Version     string            `json:"version,omitempty"`
	Command     []string          `json:"command,omitempty"`
	Seeds       map[string]uint64 `json:"seeds,omitempty"`
	DataDigest  string            `json:"data_digest,omitempty"`
	WallSeconds float64           `json:"wall_seconds,omitempty"`
	CPUSeconds  float64           `json:"cpu_seconds,omitempty"`
}

// Measured reports whether the claim was judged from a file (false for a
// claim built by Unmeasured, which names the command that would write it).
func (c Claim) Measured() bool { return c.Produce == "" }

// Find returns the claim of cs with the given id, and whether there is one.
func Find(cs []Claim, id string) (Claim, bool) {
	for _, c := range cs {
		if c.ID == id {
			return c, true
		}
	}
	return Claim{}, false
}

// Unmeasured returns a claim that could not be measured for want of a
// file: Inconclusive, with the command that writes the file.
func Unmeasured(id string, row Conclusion, statement, file, produce string) Claim {
	return Claim{ID: id, Conclusion: row, Statement: statement, Verdict: Inconclusive,
		Rule: "needs " + file, Produce: produce,
		Finding: "Not measured: no " + file + " among the folders given. `" + produce + "` writes it."}
}

// Conclusion is a row of the page: one conclusion of the paper, or one
// assumption of its theory, under which the claims that test it are laid
// out.
type Conclusion string

// The rows of the page: the paper's four conclusions (Xie et al. 2021,
// Sections 3–5), then the assumptions of its theory that sgn measures.
const (
	FlatMinima       Conclusion = "flat-minima"
	BatchOverEta     Conclusion = "batch-over-eta"
	SharpnessEscape  Conclusion = "sharpness-escape"
	LowDimDiffusion  Conclusion = "low-dim-diffusion"
	NoiseCovariance  Conclusion = "noise-covariance"
	NoiseShape       Conclusion = "noise-shape"
	QuasiEquilibrium Conclusion = "quasi-equilibrium"
)

// Row is a conclusion with its heading and what it says.
type Row struct {
	ID      Conclusion
	Title   string
	Summary string
}

// Rows returns the page's rows in order.
func Rows() []Row {
	return []Row{
		{FlatMinima, "SGD favours flat minima exponentially",
			"Minibatch SGD spends exponentially more time in, and ends more often in, flat minima than sharp ones: on two valleys and on networks (Xie et al. 2021, Theorem 2 and Section 5)."},
		{BatchOverEta, "The ratio B/η matters exponentially",
			"−log γ is linear in B/η: the batch size and the learning rate act through their ratio, equal η/B gives an equal outcome (Theorem 2)."},
		{SharpnessEscape, "SGD's escape depends on sharpness exponentially, SGLD's only polynomially",
			"Under SGD's noise (covariance ηH/B) −log γ is linear in 1/k; under isotropic SGLD noise the sharpness enters only through the prefactor √(H_a|H_b|) (Theorems 1 and 2)."},
		{LowDimDiffusion, "SGD diffuses in a low-dimensional space",
			"SGD's noise lies mostly in the few sharp directions of the Hessian, unlike isotropic noise (Xie et al. 2021, Section 4)."},
		{NoiseCovariance, "Assumption: near a minimum C(θ) ≈ H(θ)/B",
			"The covariance of the minibatch gradient noise is the Hessian over the batch size near a minimum (Xie et al. 2021, Section 2)."},
		{NoiseShape, "Assumption: the minibatch noise is Gaussian",
			"Across minibatches the gradient noise is Gaussian for moderate B (central limit), though pooled across parameters it looks heavy-tailed (Simsekli et al. 2019)."},
		{QuasiEquilibrium, "Assumption: quasi-equilibrium near a minimum",
			"Within a valley the parameters reach a stationary distribution before escaping (Xie et al. 2021, Assumption 2)."},
	}
}

// knownRow reports whether c is one of Rows.
func knownRow(c Conclusion) bool {
	for _, r := range Rows() {
		if r.ID == c {
			return true
		}
	}
	return false
}

// check enforces the judging rules on a claim built by a package: a claim
// with a failed regime check is NotTestable (with a reason); Disagrees
// needs every check passed and an effect wholly outside its prediction;
// Agrees needs every check passed and every effect inside.
func (c *Claim) check() error {
	if c.ID == "" || c.Statement == "" {
		return fmt.Errorf("claim %q: no id or statement", c.ID)
	}
	if !knownRow(c.Conclusion) {
		return fmt.Errorf("claim %s: unknown conclusion %q", c.ID, c.Conclusion)
	}
	failed := failedChecks(c.Regime) != ""
	in, out := 0, 0
	for _, e := range c.Effects {
		switch e.compare() {
		case Agrees:
			in++
		case Disagrees:
			out++
		}
	}
	switch c.Verdict {
	case NotTestable:
		if !failed || c.Reason == "" {
			return fmt.Errorf("claim %s: not-testable needs a failed regime check and its reason", c.ID)
		}
	case Disagrees:
		if failed || out == 0 {
			return fmt.Errorf("claim %s: disagrees needs every regime check passed and an interval outside the prediction", c.ID)
		}
	case Agrees:
		if failed || len(c.Effects) == 0 || in != len(c.Effects) {
			return fmt.Errorf("claim %s: agrees needs every regime check passed and every interval inside the prediction", c.ID)
		}
	case Inconclusive:
		if failed {
			return fmt.Errorf("claim %s: a failed regime check makes it not-testable, not inconclusive", c.ID)
		}
	default:
		return fmt.Errorf("claim %s: unknown verdict %q", c.ID, c.Verdict)
	}
	return nil
}

package equilibrium

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/seed"
	"github.com/sgn-project/sgn/internal/workgroup"
)

// Dynamics names.
const (
	// SGD is minibatch SGD: θ ← θ − η·g_B(θ), g_B the mean gradient of B
	// samples drawn uniformly with replacement.
	SGD = "sgd"
	// SGLD is full-batch gradient descent with isotropic Gaussian noise:
	// θ ← θ − η∇L(θ) + √(2ηD)·ζ, ζ ~ N(0, I).
	SGLD = "sgld"
)

// Progress, if not nil, is called with the stage ("hessian", "gradients",
// "sgd+sgld"), the work done and the total. Calls come from one goroutine
// at a time.
type Progress func(stage string, done, total int)

// Measure runs the measurement at theta0 on obj: the eigenbasis of
// H(θ₀) (full decomposition when P ≤ FullMaxParams, else Lanczos top-k),
// cᵢ = uᵢᵀCuᵢ from per-sample gradients, SGD and SGLD chains from θ₀ with
// the samples of θ − θ₀ projected on the directions, and the analysis. The
// result depends on s and obj only, not on s.Workers.
func Measure(obj Objective, theta0 []float64, s Settings, progress Progress) (*Report, error) {
	return measure(obj, theta0, s, progress, pathBytes)
}

// measure is Measure holding at most gdBytes of the gradient-descent
// path's rows at once (at least one row).
func measure(obj Objective, theta0 []float64, s Settings, progress Progress, gdBytes int) (*Report, error) {
	s = s.Normalized()
	P, N := obj.Dim(), obj.NumSamples()
	if len(theta0) != P {
		return nil, fmt.Errorf("θ₀ has %d entries, the objective %d parameters", len(theta0), P)
	}
	if err := s.Validate(P, N); err != nil {
		return nil, err
	}
	progress = serialized(progress)
	r := newReport(s, P, N)

	t0 := time.Now()
	tStart, cpu0 := t0, cputime.Process()
	if s.Descend > 0 {
		// The descent takes steps of η from the given θ: refused, as the
		// chains are at θ₀, when η·λmax there is at least StableBound.
		lmax, err := topEigenvalue(obj, theta0, r.Seeds.Lanczos, progress)
		if err != nil {
			return nil, err
		}
		r.Minimum.LambdaMaxStart = Number(lmax)
		if err := checkStable(s.Eta, lmax, 0); err != nil {
			return nil, err
		}
		if theta0, err = descend(obj, theta0, s, r, progress); err != nil {
			return nil, err
		}
		r.Seconds["descend"] = since(t0)
		t0 = time.Now()
	}
	// The gradient-descent path (Settings.Center) depends on θ₀ alone: with
	// two workers or more it runs from here on a goroutine of its own, beside
	// the Hessian, the gradients and the chains, which wait for each of its
	// rows as they need it; with one, the chains' goroutine takes its steps
	// as they need its rows. It holds a window of rows, not all of them
	// (gdPath). The path is the same either way.
	gd := startGDPath(obj, theta0, s, gdBytes, progress)
	if gd != nil {
		defer gd.stop()
	}
	t0 = time.Now()
	b, err := eigenbasis(obj, theta0, s, r, progress)
	if err != nil {
		return nil, err
	}
	if err := checkStable(s.Eta, float64(r.Minimum.LambdaMax), s.Descend); err != nil {
		return nil, err
	}
	r.Seconds["hessian"] = since(t0)

	t0 = time.Now()
	cs, err := noiseAlong(obj, theta0, b.U, s.BatchSize, progress)
	if errors.Is(err, errGradientsNotFinite) {
		return nil, fmt.Errorf("%w at θ₀", err)
	}
	if err != nil {
		return nil, err
	}
	r.Seconds["gradients"] = since(t0)
	r.Minimum.GradNorm = cs.gradNorm
	r.Minimum.TraceC = cs.traceC
	D, err := sgldDiffusion(s, cs.traceC, P)
	if err != nil {
		return nil, err
	}
	r.Minimum.SGLDD, r.Minimum.SGLDDDefault = D, s.D == 0

	t0 = time.Now()
	chains, err := runChains(obj, theta0, b.U, s, D, [2]uint64{r.Seeds.SGD, r.Seeds.SGLD}, gd, progress)
	if gd != nil {
		// The path's own failure comes first: the chains only saw it.
		if err := gd.wait(err == nil); err != nil {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	r.Seconds["dynamics"] = since(t0)
	if gd != nil {
		r.Seconds["gd_path"] = math.Round(gd.seconds*1000) / 1000
		if !gd.started {
			// The chains' goroutine took the path's steps.
			r.Seconds["dynamics"] = math.Round((since(t0)-gd.seconds)*1000) / 1000
		}
		r.GDPathEnd = gd.endDistance
		for _, c := range chains {
			c.lossEndGD = gd.lossEnd
		}
	}
	if err := r.analyse(b, cs, chains, D); err != nil {
		return nil, err
	}
	if err := r.divergence(); err != nil {
		return nil, err
	}
	r.Seconds["total"] = since(tStart)
	r.CPUSeconds = cputime.Since(cpu0)
	return r, nil
}

// serialized returns progress (a no-op when nil) behind a mutex: the
// gradient-descent path runs beside the other stages, and progress has one
// caller at a time.
func serialized(progress Progress) Progress {
	if progress == nil {
		return func(string, int, int) {}
	}
	var mu sync.Mutex
	return func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		progress(stage, done, total)
	}
}

// seedLanczos is the seed stream of Lanczos' start vector.
const seedLanczos = 4

// newReport is the report of a measurement with settings s on P parameters
// and N samples before anything is measured: its settings and the seed
// stream of each stage.
func newReport(s Settings, P, N int) *Report {
	r := &Report{Settings: s, Seconds: map[string]float64{}}
	r.Seeds.SGD = seed.Stream(s.Seed, 1)
	r.Seeds.SGLD = seed.Stream(s.Seed, 2)
	r.Seeds.Bulk = seed.Stream(s.Seed, 3)
	r.Seeds.Lanczos = seed.Stream(s.Seed, seedLanczos)
	r.Minimum.NumParams, r.Minimum.NumSamples = P, N
	return r
}

// startGDPath starts the gradient-descent path of Settings.Center from
// theta0 (nil when the centre is not CenterGD): on a goroutine of its own
// with two workers or more, else it takes its steps as the chains ask for
// its rows; it holds at most bytes of rows (at least one). The caller stops
// a non-nil path.
func startGDPath(obj Objective, theta0 []float64, s Settings, bytes int, progress Progress) *gdPath {
	if s.Center != CenterGD {
		return nil
	}
	gd := newGDPath(obj, theta0, s, segmentRows(s.Steps/s.Every, len(theta0), bytes), progress)
	if s.Workers >= 2 {
		gd.started = true
		go gd.run()
	}
	return gd
}

// sgldDiffusion is the SGLD diffusion D: s.D when given, else the default
// η·tr C/(2P), which gives SGLD the same noise power per step as SGD
// (2ηD·P = η²·tr C).
func sgldDiffusion(s Settings, traceC float64, P int) (float64, error) {
	if s.D != 0 {
		return s.D, nil
	}
	D := s.Eta * traceC / (2 * float64(P))
	if !(D > 0) {
		return 0, fmt.Errorf("tr C = %v at θ₀: the default SGLD diffusion η·tr C/(2P) is not positive; give --temperature", traceC)
	}
	return D, nil
}

// descend takes s.Descend full-batch gradient-descent steps from theta and
// returns the end point; it records the loss and gradient norm at both
// ends in r.Minimum.
func descend(obj Objective, theta []float64, s Settings, r *Report, progress Progress) ([]float64, error) {
	theta = append([]float64(nil), theta...)
	g := make([]float64, len(theta))
	grad := obj.NewGradient()
	for t := 0; t <= s.Descend; t++ {
		loss, err := grad.Grad(theta, nil, g)
		if err != nil {
			return nil, fmt.Errorf("descent step %d: %w", t, err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, fmt.Errorf("gradient descent diverged at step %d (η = %v): loss %v", t, s.Eta, loss)
		}
		if t == 0 {
			r.Minimum.LossStart, r.Minimum.GradNormStart = loss, floats.Norm(g, 2)
		}
		if t == s.Descend {
			// Gradient descent with η·λmax < 2 lowers the loss near a
			// minimum; one that ends above where it started has left it.
			if loss > r.Minimum.LossStart {
				return nil, fmt.Errorf("gradient descent diverged (η = %v): the loss rose from %.5g to %.5g over its %d steps; lower eta", s.Eta, r.Minimum.LossStart, loss, s.Descend)
			}
			break
		}
		floats.AddScaled(theta, -s.Eta, g)
		if (t+1)%256 == 0 || t+1 == s.Descend {
			progress("descend", t+1, s.Descend)
		}
	}
	return theta, nil
}

func since(t time.Time) float64 { return math.Round(time.Since(t).Seconds()*1000) / 1000 }

// basis is the set of eigendirections measured: U (P×K) holds the unit
// eigenvectors as columns, the first TopK the largest eigenvalues in
// descending order, then the bulk sample in descending order.
type basis struct {
	U       *mat.Dense
	lambda  []float64
	rank    []int // 1-based rank of λ among all P, descending
	kind    []string
	topK    int
	lambdas []float64 // the full spectrum, descending (full method only)
}

// TopEigenpairs returns the topK largest eigenvalues of the Hessian of obj
// at theta0, descending, and their eigenvectors as the columns of a P×topK
// matrix: the directions Measure judges, computed as it computes them
// (dense decomposition when P ≤ FullMaxParams, else Lanczos). progress may
// be nil.
func TopEigenpairs(obj Objective, theta0 []float64, topK int, progress Progress) (*mat.Dense, []float64, error) {
	if P := obj.Dim(); topK < 1 || topK > P {
		return nil, nil, fmt.Errorf("top-k %d: want 1..%d (the parameters)", topK, P)
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	var scratch Report
	b, err := eigenbasis(obj, theta0, Settings{TopK: topK, Bulk: 0}.Normalized(), &scratch, progress)
	if err != nil {
		return nil, nil, err
	}
	return b.U.Slice(0, obj.Dim(), 0, topK).(*mat.Dense), b.lambda[:topK], nil
}

// eigenbasis computes the directions and records the method in r.
func eigenbasis(obj Objective, theta0 []float64, s Settings, r *Report, progress Progress) (*basis, error) {
	P := obj.Dim()
	op, err := obj.Hessian(theta0)
	if err != nil {
		return nil, fmt.Errorf("Hessian at θ₀: %w", err)
	}
	v, err := obj.NewGradient().Grad(theta0, nil, make([]float64, P))
	if err != nil {
		return nil, fmt.Errorf("loss at θ₀: %w", err)
	}
	r.Minimum.Loss = (*Number)(&v)
	b := &basis{topK: s.TopK}
	if P <= FullMaxParams {
		r.Minimum.EigenMethod = "full"
		h, _, err := hessian.Full(op, 64, func(done, total int) { progress("hessian", done, total) })
		if err != nil {
			return nil, err
		}
		var es mat.EigenSym
		if !es.Factorize(h, true) {
			return nil, errors.New("the eigendecomposition of H(θ₀) did not converge")
		}
		vals := es.Values(nil) // ascending
		var vecs mat.Dense
		es.VectorsTo(&vecs)
		// descending order: rank j ↔ column P−1−j
		b.lambdas = make([]float64, P)
		for j := range P {
			b.lambdas[j] = vals[P-1-j]
		}
		ranks := make([]int, 0, s.TopK+s.Bulk)
		for j := range s.TopK {
			ranks = append(ranks, j)
		}
		if rest := P - s.TopK; rest > 0 && s.Bulk > 0 {
			rng := rand.New(rand.NewPCG(r.Seeds.Bulk, 0))
			perm := rng.Perm(rest)[:min(s.Bulk, rest)]
			sort.Ints(perm)
			for _, j := range perm {
				ranks = append(ranks, s.TopK+j)
			}
		}
		b.U = mat.NewDense(P, len(ranks), nil)
		col := make([]float64, P)
		for c, j := range ranks {
			mat.Col(col, P-1-j, &vecs)
			b.U.SetCol(c, col)
			b.lambda = append(b.lambda, b.lambdas[j])
			b.rank = append(b.rank, j+1)
			kind := "top"
			if j >= s.TopK {
				kind = "bulk"
			}
			b.kind = append(b.kind, kind)
		}
		r.Minimum.LambdaMax, r.Minimum.LambdaMin = Number(b.lambdas[0]), Number(b.lambdas[P-1])
		return b, nil
	}
	r.Minimum.EigenMethod = "lanczos"
	sp, err := hessian.Lanczos(op, s.TopK, 0, hessian.LanczosOptions{Seed: r.Seeds.Lanczos, Progress: func(i, m int) { progress("hessian", i, m) }})
	if err != nil {
		return nil, err
	}
	if !sp.Converged {
		r.Warnings = append(r.Warnings, fmt.Sprintf("Lanczos did not converge in %d iterations: the top-%d eigenpairs are approximate", sp.Iterations, s.TopK))
	}
	if s.Bulk > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("P = %d > %d: no full decomposition, so no bulk directions", P, FullMaxParams))
	}
	b.U = sp.TopVectors
	for j, l := range sp.Top {
		b.lambda = append(b.lambda, l)
		b.rank = append(b.rank, j+1)
		b.kind = append(b.kind, "top")
	}
	r.Minimum.LambdaMax, r.Minimum.LambdaMin = Number(sp.Top[0]), Number(math.NaN())
	return b, nil
}

// noise holds the gradient statistics at θ₀ along the directions.
type noise struct {
	c        []float64 // uᵢᵀCuᵢ, C = Σ/B
	gproj    []float64 // uᵢᵀ∇L(θ₀)
	gradNorm float64   // ‖∇L(θ₀)‖
	traceC   float64   // tr C
}

// gradChunk is the most per-sample gradients held at once, fewer when they
// would take more than gradBytes (P > 32,768), so that memory grows like
// P, not like the rows times P.
const (
	gradChunk = 512
	gradBytes = 128 << 20
)

// errGradientsNotFinite is noiseAlong's error for per-sample gradients
// that are not finite.
var errGradientsNotFinite = errors.New("the gradients are not finite")

// noiseAlong computes cᵢ = uᵢᵀCuᵢ with C = Σ/B, Σ = (1/N)Σₙ gₙgₙᵀ − ḡḡᵀ,
// from per-sample gradients streamed in chunks: one GEMM G·U per chunk.
// Sums run in chunk order, so the result does not depend on workers.
func noiseAlong(obj Objective, theta0 []float64, U *mat.Dense, B int, progress Progress) (*noise, error) {
	P, N := obj.Dim(), obj.NumSamples()
	_, K := U.Dims()
	chunk := segmentRows(gradChunk, P, gradBytes)
	G := make([]float64, chunk*P)
	GU := make([]float64, chunk*K)
	sumSq := make([]float64, K)   // Σₙ (uᵢᵀgₙ)²
	sumProj := make([]float64, K) // Σₙ uᵢᵀgₙ
	gsum := make([]float64, P)
	var normSq float64 // Σₙ ‖gₙ‖²
	u := U.RawMatrix()
	for lo := 0; lo < N; lo += chunk {
		hi := min(lo+chunk, N)
		n := hi - lo
		if err := obj.PerSampleGradients(theta0, lo, hi, G[:n*P]); err != nil {
			return nil, fmt.Errorf("per-sample gradients at θ₀: %w", err)
		}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, blas64.General{Rows: n, Cols: P, Stride: P, Data: G[:n*P]}, u, 0,
			blas64.General{Rows: n, Cols: K, Stride: K, Data: GU[:n*K]})
		for r := 0; r < n; r++ {
			g := G[r*P : (r+1)*P]
			for j, v := range g {
				gsum[j] += v
				normSq += v * v
			}
			for i, v := range GU[r*K : (r+1)*K] {
				sumSq[i] += v * v
				sumProj[i] += v
			}
		}
		progress("gradients", hi, N)
	}
	out := &noise{c: make([]float64, K), gproj: make([]float64, K)}
	fn := float64(N)
	var gbarSq float64
	for _, v := range gsum {
		gbarSq += (v / fn) * (v / fn)
	}
	out.gradNorm = math.Sqrt(gbarSq)
	out.traceC = (normSq/fn - gbarSq) / float64(B)
	for i := range K {
		m := sumProj[i] / fn
		out.gproj[i] = m
		out.c[i] = (sumSq[i]/fn - m*m) / float64(B)
	}
	if math.IsNaN(out.traceC) || math.IsInf(out.traceC, 0) {
		return nil, fmt.Errorf("tr C = %v: %w", out.traceC, errGradientsNotFinite)
	}
	return out, nil
}

// chain holds the samples of one dynamics: proj is n×K row-major, row t
// the projections uᵢᵀ(θ_t − θ₀); sq[t] = ‖θ_t − θ₀‖².
type chain struct {
	proj []float64
	sq   []float64
	n, k int
	// lossEnd is the full-batch loss at the last step; lossEndGD that of
	// the GD reference (CenterGD).
	lossEnd, lossEndGD float64
	// losses is the full-batch loss every lossEvery samples.
	losses []float64
	// snapLambda and snapC are Snapshots×K row-major: λᵢ(t) = uᵢᵀH(θ_t)uᵢ
	// and cᵢ(t) = uᵢᵀC(θ_t)uᵢ at the snapshots.
	snapLambda, snapC []float64
}

// gdPath is the noise-free full-batch gradient descent θ ← θ − η∇L(θ) from
// θ₀ at the sample times of the chains. It keeps only a window of its
// latest rows (a ring of at most pathBytes, so that memory grows like P,
// not like the samples times P): row j is written over row j − window once
// both chains have used it (release). With two workers or more it runs on
// a goroutine of its own (run), waiting for room in the window; with one
// it takes its steps when a chain asks for a row it has not reached (row),
// and the chains run in step, a window of samples at a time. The rows are
// the same numbers either way.
type gdPath struct {
	obj      Objective
	s        Settings
	theta0   []float64
	progress Progress
	// The descent: θ after t steps, its gradient buffer.
	grad      Gradient
	theta, gr []float64
	t         int
	rows      []float64 // window×P: θ_GD at sample j in row j mod window
	p, n      int       // parameters, samples
	window    int

	lossEnd     float64
	endDistance float64 // ‖θ_GD(end) − θ₀‖
	seconds     float64 // time spent taking the steps

	// started says run was started on a goroutine of its own.
	started bool
	mu      sync.Mutex
	cond    *sync.Cond // signals a new row, a release, the end or a halt
	// stored rows are computed; used[i] rows were used by chain i; done
	// is set at the end, with err; halted asks run to stop early (stop).
	stored int
	used   [2]int
	done   bool
	halted bool
	err    error
}

// pathBytes bounds the rows of θ_GD held at once.
const pathBytes = 256 << 20

// segmentRows returns the rows of length p, at most n and at least one,
// that fit in bytes.
func segmentRows(n, p, bytes int) int { return max(1, min(n, bytes/(8*p))) }

// newGDPath returns the path of s's sample times from theta0, not yet
// computed, holding at most window rows at once.
func newGDPath(obj Objective, theta0 []float64, s Settings, window int, progress Progress) *gdPath {
	P := len(theta0)
	n := s.Steps / s.Every
	window = max(1, min(window, n))
	g := &gdPath{obj: obj, s: s, theta0: theta0, progress: progress, grad: obj.NewGradient(), theta: append([]float64(nil), theta0...),
		gr: make([]float64, P), rows: make([]float64, window*P), p: P, n: n, window: window}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// run takes every step of the path on a goroutine of its own, waiting for
// room in the window before it writes a row.
func (g *gdPath) run() {
	err := workgroup.Call("gd path", func() error { return g.advance(math.MaxInt, true) })
	g.mu.Lock()
	g.done, g.err = true, err
	g.cond.Broadcast()
	g.mu.Unlock()
}

// advance takes steps until the path holds rows samples or has taken them
// all; at the last step it computes the loss and the distance from θ₀ at
// the end. Before writing a row over one a chain has not used it waits
// (wait, on its own goroutine, which also stops when halted) or fails (on
// the chains' goroutine: they asked out of step).
func (g *gdPath) advance(rows int, wait bool) error {
	t0 := time.Now()
	defer func() { g.seconds += time.Since(t0).Seconds() }()
	P, s := g.p, g.s
	total := s.BurnIn + s.Steps
	for g.t < total && g.stored < rows {
		t := g.t + 1
		if wait {
			g.mu.Lock()
			halted := g.halted
			g.mu.Unlock()
			if halted {
				return errors.New("gd path stopped")
			}
		}
		if _, err := g.grad.Grad(g.theta, nil, g.gr); err != nil {
			return fmt.Errorf("gd path step %d: %w", t, err)
		}
		floats.AddScaled(g.theta, -s.Eta, g.gr)
		g.t = t
		if t > s.BurnIn && (t-s.BurnIn)%s.Every == 0 && g.stored < g.n {
			g.mu.Lock()
			j := g.stored
			for j >= min(g.used[0], g.used[1])+g.window && !g.halted {
				if !wait {
					g.mu.Unlock()
					return fmt.Errorf("gd path: sample %d would overwrite sample %d, which a chain has not used", j, j-g.window)
				}
				g.cond.Wait()
			}
			if g.halted {
				g.mu.Unlock()
				return errors.New("gd path stopped")
			}
			g.mu.Unlock()
			if !finite(g.theta) {
				return fmt.Errorf("gradient descent diverged (η = %v): θ_GD is not finite after step %d", s.Eta, t)
			}
			r := j % g.window
			copy(g.rows[r*P:(r+1)*P], g.theta)
			g.mu.Lock()
			g.stored = j + 1
			g.cond.Broadcast()
			g.mu.Unlock()
		}
		if t%256 == 0 || t == total {
			g.progress("gd path", t, total)
		}
	}
	if g.t < total {
		return nil
	}
	var err error
	if g.lossEnd, err = g.grad.Grad(g.theta, nil, g.gr); err != nil {
		return err
	}
	if math.IsNaN(g.lossEnd) || math.IsInf(g.lossEnd, 0) {
		return fmt.Errorf("gradient descent diverged (η = %v): loss %v", s.Eta, g.lossEnd)
	}
	floats.SubTo(g.gr, g.theta, g.theta0)
	g.endDistance = floats.Norm(g.gr, 2)
	return nil
}

// row returns θ_GD at sample j: on the path's own goroutine it waits until
// run has computed it (the error is run's if it failed first); else it
// takes the steps up to it. The row is valid until the chain releases it.
func (g *gdPath) row(j int) ([]float64, error) {
	if !g.started {
		if g.err != nil {
			return nil, g.err
		}
		if g.stored <= j {
			if g.err = g.advance(j+1, false); g.err != nil {
				return nil, g.err
			}
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.stored <= j && !g.done {
		g.cond.Wait()
	}
	if g.stored <= j {
		if g.err != nil {
			return nil, g.err
		}
		return nil, fmt.Errorf("the gd path holds %d samples, not sample %d", g.stored, j)
	}
	if j < g.stored-g.window {
		return nil, fmt.Errorf("the gd path no longer holds sample %d", j)
	}
	r := j % g.window
	return g.rows[r*g.p : (r+1)*g.p], nil
}

// release records that chain i has used the rows before sample j, so the
// path may write over them.
func (g *gdPath) release(i, j int) {
	g.mu.Lock()
	g.used[i] = max(g.used[i], j)
	g.cond.Broadcast()
	g.mu.Unlock()
}

// wait returns the path's error once it has ended: waiting for run on its
// own goroutine, else taking the steps left. When the chains failed
// (!chainsDone) it returns only a failure the path already had, and stops
// it otherwise.
func (g *gdPath) wait(chainsDone bool) error {
	if !g.started {
		if g.err == nil && chainsDone {
			g.err = g.advance(math.MaxInt, false)
		}
		return g.err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !chainsDone {
		if g.done && g.err != nil {
			return g.err
		}
		g.halted = true
		g.cond.Broadcast()
	}
	for !g.done {
		g.cond.Wait()
	}
	if !chainsDone {
		return nil
	}
	return g.err
}

// stop ends a run started on its own goroutine early, and waits for it:
// no goroutine outlives Measure.
func (g *gdPath) stop() {
	if !g.started {
		return
	}
	g.mu.Lock()
	g.halted = true
	g.cond.Broadcast()
	for !g.done {
		g.cond.Wait()
	}
	g.mu.Unlock()
}

// snapshot returns λᵢ = uᵢᵀH(θ)uᵢ and cᵢ = uᵢᵀC(θ)uᵢ (C = Σ/B) at theta
// for the columns uᵢ of U.
func snapshot(obj Objective, theta []float64, U *mat.Dense, B int) (lam, c []float64, err error) {
	P, K := U.Dims()
	op, err := obj.Hessian(theta)
	if err != nil {
		return nil, nil, err
	}
	u := make([]float64, P)
	hu := make([]float64, P)
	lam = make([]float64, K)
	for i := range K {
		mat.Col(u, i, U)
		op.MulVec(hu, u)
		lam[i] = floats.Dot(u, hu)
	}
	ns, err := noiseAlong(obj, theta, U, B, func(string, int, int) {})
	if err != nil {
		return nil, nil, err
	}
	return lam, ns.c, nil
}

// col returns the series of direction i.
func (c *chain) col(i int) []float64 {
	x := make([]float64, c.n)
	for t := range x {
		x[t] = c.proj[t*c.k+i]
	}
	return x
}

// blockRows is the most samples of θ − θ₀ projected together (one GEMM
// per block), fewer when they would take more than blockBytes (P > 65,536),
// so that memory grows like P, not like the rows times P.
const (
	blockRows  = 64
	blockBytes = 32 << 20
)

// runChains runs SGD (seeds[0]) and SGLD (seeds[1]) from θ₀, concurrently
// when s.Workers ≥ 2. With one worker and gd they run in step, a window of
// the path's samples at a time (each chain up to the window's last sample,
// SGD first), so that the path's rows are still held when the second chain
// uses them.
func runChains(obj Objective, theta0 []float64, U *mat.Dense, s Settings, D float64, seeds [2]uint64, gd *gdPath, progress Progress) ([2]*chain, error) {
	var (
		out  [2]*chain
		errs [2]error
		mu   sync.Mutex
		done [2]int
	)
	total := s.BurnIn + s.Steps
	report := func(which, steps int) {
		mu.Lock()
		done[which] = steps
		progress("sgd+sgld", done[0]+done[1], 2*total)
		mu.Unlock()
	}
	dyns := [2]string{SGD, SGLD}
	var runs [2]*chainRun
	for i := range runs {
		runs[i] = newChainRun(obj, theta0, U, s, dyns[i], D, seeds[i], func(steps int) { report(i, steps) })
	}
	// advance runs chain i up to step tEnd, and at the last step finishes it.
	advance := func(i, tEnd int) {
		errs[i] = workgroup.Call(dyns[i]+" chain", func() (err error) {
			if err := runs[i].advance(tEnd, i, gd); err != nil {
				return err
			}
			if tEnd == total {
				out[i], err = runs[i].finish()
			}
			return err
		})
		if errs[i] != nil && gd != nil {
			// A chain that failed uses no more rows: the path goes on.
			gd.release(i, math.MaxInt)
		}
	}
	if s.Workers >= 2 {
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() { defer wg.Done(); advance(i, total) }()
		}
		wg.Wait()
		// SGD's failure first, as with one worker, where the chains stop
		// at the first: one line, the same whatever the workers.
		if errs[0] != nil {
			return out, errs[0]
		}
		return out, errs[1]
	}
	n := s.Steps / s.Every
	window := max(1, n)
	if gd != nil {
		window = gd.window
	}
	for j0 := 0; ; j0 += window {
		j1 := min(n, j0+window)
		tEnd := s.BurnIn + j1*s.Every
		if j1 == n {
			tEnd = total
		}
		for i := range 2 {
			if advance(i, tEnd); errs[i] != nil {
				return out, errs[i]
			}
		}
		if j1 == n {
			return out, nil
		}
	}
}

// finite says every entry of x is finite.
func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// chainRun is one dynamics run for s.BurnIn + s.Steps steps, a part of its
// steps at a time (advance), projecting every s.Every-th θ − θ₀ (or θ −
// θ_GD with gd, Settings.Center) of the sampled part on the columns of U.
// Along the sampled part it records the full-batch loss about lossPoints
// times and, at s.Snapshots evenly spaced steps, λᵢ(t) and cᵢ(t) along the
// columns of U.
type chainRun struct {
	obj                     Objective
	theta0                  []float64
	U                       *mat.Dense
	s                       Settings
	dyn                     string
	rng                     *rand.Rand
	grad                    Gradient
	theta, g, scratch       []float64
	idx                     []int
	sigma                   float64
	n, lossEvery, snapEvery int
	c                       *chain
	smp                     *chainSampler
	t                       int // steps taken
	steps                   func(int)
}

// newChainRun starts the run of dyn (SGD or SGLD, diffusion D) from theta0
// with the seed sd; steps is told the steps taken.
func newChainRun(obj Objective, theta0 []float64, U *mat.Dense, s Settings, dyn string, D float64, sd uint64, steps func(int)) *chainRun {
	P := obj.Dim()
	_, K := U.Dims()
	r := &chainRun{obj: obj, theta0: theta0, U: U, s: s, dyn: dyn, rng: rand.New(rand.NewPCG(sd, 0)), grad: obj.NewGradient(),
		theta: append([]float64(nil), theta0...), g: make([]float64, P), scratch: make([]float64, P),
		sigma: math.Sqrt(2 * s.Eta * D), steps: steps}
	if dyn == SGD {
		r.idx = make([]int, s.BatchSize)
	}
	r.n = s.Steps / s.Every
	r.c = &chain{proj: make([]float64, r.n*K), sq: make([]float64, r.n), n: r.n, k: K}
	r.lossEvery = max(1, r.n/lossPoints) // in samples
	r.snapEvery = s.Steps / s.Snapshots
	r.smp = &chainSampler{c: r.c, u: U.RawMatrix(), p: P, block: make([]float64, segmentRows(blockRows, P, blockBytes)*P), dyn: dyn, s: s}
	return r
}

// advance takes the steps up to tEnd; with gd, as chain i of the path's
// readers.
func (r *chainRun) advance(tEnd, i int, gd *gdPath) error {
	s, N := r.s, r.obj.NumSamples()
	total := s.BurnIn + s.Steps
	theta, g, rng, c := r.theta, r.g, r.rng, r.c
	for ; r.t < tEnd; r.t++ {
		t := r.t + 1
		for k := range r.idx {
			r.idx[k] = rng.IntN(N)
		}
		if _, err := r.grad.Grad(theta, r.idx, g); err != nil {
			return fmt.Errorf("%s step %d: %w", r.dyn, t, err)
		}
		if r.dyn == SGD {
			for j, v := range g {
				theta[j] -= s.Eta * v
			}
		} else {
			for j, v := range g {
				theta[j] += -s.Eta*v + r.sigma*rng.NormFloat64()
			}
		}
		if t == s.BurnIn && !finite(theta) {
			return fmt.Errorf("%s diverged during the burn-in of %d steps (η = %v)", r.dyn, s.BurnIn, s.Eta)
		}
		if t > s.BurnIn && (t-s.BurnIn)%r.snapEvery == 0 && len(c.snapLambda) < s.Snapshots*c.k {
			if !finite(theta) {
				return fmt.Errorf("%s diverged: θ is not finite after step %d (η = %v)", r.dyn, t, s.Eta)
			}
			lam, cs, err := snapshot(r.obj, theta, r.U, s.BatchSize)
			if errors.Is(err, errGradientsNotFinite) {
				return fmt.Errorf("%s diverged: the gradients are not finite after step %d (η = %v)", r.dyn, t, s.Eta)
			}
			if err != nil {
				return fmt.Errorf("%s snapshot at step %d: %w", r.dyn, t, err)
			}
			c.snapLambda, c.snapC = append(c.snapLambda, lam...), append(c.snapC, cs...)
		}
		if j := r.smp.samples(); t > s.BurnIn && (t-s.BurnIn)%s.Every == 0 && j < r.n {
			if j%r.lossEvery == 0 {
				l, err := r.grad.Grad(theta, nil, r.scratch)
				if err != nil {
					return fmt.Errorf("%s loss at step %d: %w", r.dyn, t, err)
				}
				c.losses = append(c.losses, l)
			}
			ref := r.theta0
			if gd != nil {
				var err error
				if ref, err = gd.row(j); err != nil {
					return err
				}
			}
			if err := r.smp.add(theta, ref); err != nil {
				return err
			}
			if gd != nil {
				gd.release(i, j+1)
			}
		}
		// t counts this step whatever follows.
		if t%256 == 0 || t == total {
			r.steps(t)
		}
	}
	return nil
}

// finish projects the samples left and computes the loss at the end.
func (r *chainRun) finish() (*chain, error) {
	if err := r.smp.flush(); err != nil {
		return nil, err
	}
	var err error
	if r.c.lossEnd, err = r.grad.Grad(r.theta, nil, r.g); err != nil {
		return nil, err
	}
	return r.c, nil
}

// chainSampler stores a chain's samples of θ − θ_ref in c: blocks of
// rows (len(block)/p of them) projected on the eigenvectors u (one GEMM per block), and
// each row's squared norm, which must be finite.
type chainSampler struct {
	c            *chain
	u            blas64.General
	p            int
	block        []float64 // rows×p not yet projected
	rows, stored int
	dyn          string
	s            Settings
}

// samples returns how many samples were taken.
func (cs *chainSampler) samples() int { return cs.stored + cs.rows }

// add takes the sample θ − ref, projecting the block when it is full.
func (cs *chainSampler) add(theta, ref []float64) error {
	row := cs.block[cs.rows*cs.p : (cs.rows+1)*cs.p]
	for j, v := range theta {
		row[j] = v - ref[j]
	}
	cs.rows++
	if cs.rows == len(cs.block)/cs.p {
		return cs.flush()
	}
	return nil
}

// flush projects the block's rows into c.proj and stores their squared
// norms in c.sq; a norm that is not finite is a divergence.
func (cs *chainSampler) flush() error {
	if cs.rows == 0 {
		return nil
	}
	P, K, rows, stored := cs.p, cs.c.k, cs.rows, cs.stored
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, blas64.General{Rows: rows, Cols: P, Stride: P, Data: cs.block[:rows*P]}, cs.u, 0,
		blas64.General{Rows: rows, Cols: K, Stride: K, Data: cs.c.proj[stored*K : (stored+rows)*K]})
	for r := 0; r < rows; r++ {
		var q float64
		for _, v := range cs.block[r*P : (r+1)*P] {
			q += v * v
		}
		if math.IsNaN(q) || math.IsInf(q, 0) {
			return fmt.Errorf("%s diverged: θ is not finite after step %d (η = %v)", cs.dyn, cs.s.BurnIn+(stored+r+1)*cs.s.Every, cs.s.Eta)
		}
		cs.c.sq[stored+r] = q
	}
	cs.stored += rows
	cs.rows = 0
	return nil
}

// Package equilibrium measures SGD's and SGLD's fluctuations around a
// minimum θ₀ along the eigendirections of the Hessian H, and compares them
// with the stationary variances of the linearised discrete dynamics
// (quasi-equilibrium, Assumption 2 of Xie, Sato & Sugiyama, "A Diffusion
// Theory for Deep Learning Dynamics: Stochastic Gradient Descent
// Exponentially Favors Flat Minima", ICLR 2021), and how much of the
// displacement θ − θ₀ lies in the top eigenspace (their "low dimensional
// diffusion").
//
// The predictions. Near θ₀, with δ = θ − θ₀, minibatch SGD of step η and
// batch size B is δ ← (I − ηH)δ − ηξ with E ξξᵀ = C = Σ/B (Σ the per-sample
// gradient covariance; minibatches drawn with replacement make this exact),
// so the stationary covariance S solves the discrete Lyapunov equation
//
//	S = (I − ηH) S (I − ηH) + η²C.
//
// In H's eigenbasis (Huᵢ = λᵢuᵢ) its diagonal decouples exactly, whatever
// the off-diagonal of C there: vᵢ = uᵢᵀSuᵢ satisfies vᵢ = (1 − ηλᵢ)²vᵢ +
// η²cᵢ, cᵢ = uᵢᵀCuᵢ, hence
//
//	vᵢ = η cᵢ / (λᵢ (2 − ηλᵢ))            (SGD, measured cᵢ)
//	   = η / (B (2 − ηλᵢ))                 (SGD if cᵢ = λᵢ/B)
//
// SGLD, θ ← θ − η∇L(θ) + √(2ηD)·ζ with ζ ~ N(0, I) (the convention of the
// escape package), injects η²C replaced by 2ηD·I:
//
//	vᵢ = 2D / (λᵢ (2 − ηλᵢ)) ≈ D/λᵢ.
//
// The default D = η·tr C/(2P) gives SGLD the same noise power per step as
// SGD (2ηD·P = η²·tr C). Each direction relaxes in about 1/(ηλᵢ) steps; a
// direction counts as equilibrated when λᵢ > 0, ηλᵢ < 2, the burn-in spans
// Settings.BurnRelaxations and the sampled steps Settings.MinRelaxations of
// those times.
//
// The quasi-static prediction. θ₀ should be a true minimum (package
// train/minimum; the Network then carries its weight decay), but the chain
// still moves about it and C and H change with θ. At Settings.Snapshots
// points of each chain λᵢ(t) = uᵢᵀH(θ_t)uᵢ and cᵢ(t) = uᵢᵀC(θ_t)uᵢ are
// measured along the fixed uᵢ, and the prediction is the average over the
// chain of η·cᵢ(t)/(λᵢ(t)(2 − ηλᵢ(t))) (SGD) or 2D/(λᵢ(t)(2 − ηλᵢ(t)))
// (SGLD); the measured vᵢ has the least-squares line in time removed (the
// slow drift of the valley floor). The Lyapunov variances at θ₀ stay
// beside it as the exact reference of the linearised dynamics.
//
// The regime, measured and recorded (Report.Regime): at a minimum
// (‖∇L(θ₀)‖ ≤ 1e-6, λmin ≥ 0 up to rounding), stationary where it is
// judged (the energy drift: last-quarter minus first-quarter mean of the
// energy ½Σλᵢ(uᵢᵀδ)² of the equilibrated directions along each chain over
// its last-quarter standard deviation, at most 1 in size) and relaxed
// (enough directions whose relaxation time 1/(ηλᵢ) fits 50 times in the
// run). The drift of the whole full-batch loss is recorded beside it but
// not gated: directions flatter than 50/(ηT) relax (SGD) or diffuse (SGLD)
// through any run, and the claims judge none of them. Claims judges equilibrium-sgd, equilibrium-sgld and
// low-dim-diffusion from equilibrium.json for the report.
//
// Low-dimensional diffusion is measured on the noise: the share of tr C in
// the top-k eigenspace of H(θ₀), Σ_{i≤k} cᵢ / tr C, against k/P (SGLD's
// isotropic noise), and on the noise-driven displacement θ − θ_GD(t)
// about the gradient-descent path from θ₀ (Settings.Center), never on
// θ − θ₀, which off a minimum is mostly deterministic descent.
//
// Intervals account for the autocorrelation of the samples by batch means
// (internal/stats: BatchMeans, VarianceBatchMeans).
//
// The pieces: an Objective (Network for an MLP on MNIST; any loss with
// per-sample gradients and a Hessian operator), Measure (eigenbasis, cᵢ,
// the two chains, the analysis), Report.Write (equilibrium.json,
// directions.csv, the figure as PNG and SVG), and TopEigenpairs (the
// Hessian's top eigendirections, for the sibling package displacement: the
// runs of a network escape sweep re-simulated from their recorded seeds,
// the fraction of ‖θ_escape − θ₀‖² in the top-k eigenspaces of H(θ₀)).
package equilibrium

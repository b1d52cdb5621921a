// Package displacement measures where SGD leaves a sharp minimum of a
// network: for the runs of a network escape sweep (escape/kramers with a
// network landscape), re-simulated from their recorded seeds and checked to
// reproduce their recorded outcomes, the fraction of the displacement
// ‖θ_escape − θ₀‖² at the escape step that lies in the top-k eigenspaces of
// H(θ₀), k = 1 … K, against the isotropic k/P (Xie, Sato & Sugiyama, ICLR
// 2021: SGD diffuses in the few sharp directions, where its noise C ≈ H/B
// is largest). It writes escape_fraction.json and its figure; it is
// `sgn equilibrium escape`.
package displacement

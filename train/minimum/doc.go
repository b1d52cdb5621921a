// Package minimum finds a true minimum of a smooth training loss: L-BFGS
// (Nocedal, "Updating quasi-Newton matrices with limited storage", Math.
// Comp. 1980) followed by Newton–CG on exact Hessian-vector products
// (Nocedal & Wright, "Numerical Optimization", 2006, Algorithm 7.1), and
// the extreme eigenvalues of the Hessian there that tell a minimum from a
// saddle. The point it finds is the θ₀ about which Xie, Sato & Sugiyama
// (ICLR 2021) linearise SGD: the minimum of Assumption 1, where C ≈ H/B
// (their Eq. 7) and the escape of Theorems 1–2 are judged.
//
// Network is the objective of an MLP of package model on a fixed batch,
// L(θ) = CE(θ) + (λ/2)‖θ‖², whose Hessian is model's R-operator plus λI.
package minimum

// Package claims judges the Kramers claims of Xie, Sato & Sugiyama
// (ICLR 2021) from the files package kramers writes: Theorem 1 for SGLD
// from an SGLD sweep's fit.json and rates.csv, Theorem 2 on the network
// and on the double well and the two-well from the escape figure's
// figure.json, each behind the regime checks of Kramers' escape (escapes
// exponential in time, nearly every run escaped, a barrier of several
// temperatures, a converged step, noise positive on the escape path).
package claims

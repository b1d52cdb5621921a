// Package paper runs every experiment of Xie, Sato & Sugiyama (ICLR 2021)
// and of Simsekli et al. (2019) that applies to one given network and data
// set, sized to them, into one folder per experiment, and builds the claims
// page (internal/report) from the folders that finished: what `sgn paper`
// runs.
package paper
